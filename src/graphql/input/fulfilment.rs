//! Inputs of the B2B order flow: acknowledgement, shipment, delivery.

use async_graphql::{ID, InputObject};
use chrono::NaiveDate;

use crate::domain::orders::{Ack, LineAck, NewShipment, Package, PackageLine, Received};
use crate::error::AppResult;
use crate::ids::{self, Kind};

/// How much of one line the supplier accepts.
#[derive(InputObject)]
pub struct LineAckInput {
    pub line_id: ID,
    /// 0 (rejected) to the line's quantity.
    pub accepted_quantity: i64,
    /// Why not all of it (up to 500 characters).
    pub reason: Option<String>,
}

/// An acknowledgement (EDI 855). Lines not named are accepted whole.
#[derive(InputObject, Default)]
pub struct ConfirmOrderInput {
    /// When the order will ship (business day, today or later).
    pub promised_ship_date: Option<NaiveDate>,
    #[graphql(default)]
    pub lines: Vec<LineAckInput>,
}

impl ConfirmOrderInput {
    pub fn into_domain(self) -> AppResult<Ack> {
        let lines = self
            .lines
            .into_iter()
            .enumerate()
            .map(|(i, l)| {
                Ok(LineAck {
                    line_id: ids::decode(
                        Kind::OrderLine,
                        &l.line_id,
                        &format!("input.lines.{i}.lineId"),
                    )?,
                    accepted: l.accepted_quantity,
                    reason: l.reason,
                })
            })
            .collect::<AppResult<_>>()?;
        Ok(Ack {
            promised_ship_date: self.promised_ship_date,
            lines,
        })
    }
}

/// Units of one order line in a package.
#[derive(InputObject)]
pub struct PackageLineInput {
    pub line_id: ID,
    pub quantity: i64,
    /// Required for food and beverages.
    pub lot_number: Option<String>,
    /// Required for food and beverages; not already past.
    pub expiry_date: Option<NaiveDate>,
}

/// A package, labelled with its SSCC.
#[derive(InputObject)]
pub struct PackageInput {
    /// 18 digits with a GS1 check digit, unique across all shipments.
    pub sscc: String,
    pub lines: Vec<PackageLineInput>,
}

/// A shipment (EDI 856 / GS1 DESADV).
#[derive(InputObject)]
pub struct ShipOrderInput {
    pub carrier: String,
    pub tracking_reference: String,
    /// 1 to 100 packages.
    pub packages: Vec<PackageInput>,
}

impl ShipOrderInput {
    pub fn into_domain(self) -> AppResult<NewShipment> {
        let mut packages = Vec::with_capacity(self.packages.len());
        for (p, package) in self.packages.into_iter().enumerate() {
            let mut lines = Vec::with_capacity(package.lines.len());
            for (i, l) in package.lines.into_iter().enumerate() {
                lines.push(PackageLine {
                    line_id: ids::decode(
                        Kind::OrderLine,
                        &l.line_id,
                        &format!("input.packages.{p}.lines.{i}.lineId"),
                    )?,
                    quantity: l.quantity,
                    lot_number: l.lot_number,
                    expiry_date: l.expiry_date,
                });
            }
            packages.push(Package {
                sscc: package.sscc.trim().to_owned(),
                lines,
            });
        }
        Ok(NewShipment {
            carrier: self.carrier,
            tracking_reference: self.tracking_reference,
            packages,
        })
    }
}

/// What the store received of one line.
#[derive(InputObject)]
pub struct ReceivedLineInput {
    pub line_id: ID,
    /// 0 to the line's shipped quantity.
    pub received_quantity: i64,
}

/// Proof of delivery. Lines not named were received in full.
#[derive(InputObject, Default)]
pub struct DeliverOrderInput {
    #[graphql(default)]
    pub lines: Vec<ReceivedLineInput>,
}

impl DeliverOrderInput {
    pub fn into_domain(self) -> AppResult<Vec<Received>> {
        self.lines
            .into_iter()
            .enumerate()
            .map(|(i, l)| {
                Ok(Received {
                    line_id: ids::decode(
                        Kind::OrderLine,
                        &l.line_id,
                        &format!("input.lines.{i}.lineId"),
                    )?,
                    quantity: l.received_quantity,
                })
            })
            .collect()
    }
}
