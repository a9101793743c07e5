use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::util::{fk, index};

/// The B2B order flow: per-line acknowledgement, shipments of SSCC-labelled
/// packages with lots, proof of delivery, contract prices, and partner
/// administration with token revocation and an audit trail.
#[derive(DeriveMigrationName)]
pub struct Migration;

/// SQLite takes one column per ALTER TABLE.
async fn add(m: &SchemaManager<'_>, table: &'static str, col: ColumnDef) -> Result<(), DbErr> {
    m.alter_table(Table::alter().table(table).add_column(col).to_owned())
        .await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // Acknowledgement and fulfilment per line. NULL accepted: not yet
        // acknowledged (PENDING); NULL delivered: not yet received.
        add(
            m,
            "order_line",
            ColumnDef::new("accepted_quantity")
                .big_integer()
                .null()
                .check(Expr::cust(
                    "accepted_quantity IS NULL OR (accepted_quantity >= 0 AND accepted_quantity <= quantity)",
                ))
                .to_owned(),
        )
        .await?;
        add(
            m,
            "order_line",
            ColumnDef::new("shipped_quantity")
                .big_integer()
                .not_null()
                .default(0)
                .check(Expr::cust("shipped_quantity >= 0"))
                .to_owned(),
        )
        .await?;
        add(
            m,
            "order_line",
            ColumnDef::new("delivered_quantity")
                .big_integer()
                .null()
                .check(Expr::cust(
                    "delivered_quantity IS NULL OR delivered_quantity >= 0",
                ))
                .to_owned(),
        )
        .await?;
        add(
            m,
            "order_line",
            ColumnDef::new("rejection_reason").text().null().to_owned(),
        )
        .await?;
        add(
            m,
            "purchase_order",
            ColumnDef::new("promised_ship_date")
                .date()
                .null()
                .to_owned(),
        )
        .await?;
        // Units of an allocation that have left the building.
        add(
            m,
            "order_allocation",
            ColumnDef::new("shipped")
                .big_integer()
                .not_null()
                .default(0)
                .check(Expr::cust("shipped >= 0"))
                .to_owned(),
        )
        .await?;
        // Units of an allocation given back (not accepted, or cancelled).
        add(
            m,
            "order_allocation",
            ColumnDef::new("released")
                .big_integer()
                .not_null()
                .default(0)
                .check(Expr::cust("released >= 0"))
                .to_owned(),
        )
        .await?;
        m.get_connection()
            .execute_unprepared(
                "UPDATE order_allocation SET released = quantity WHERE order_id IN
                   (SELECT id FROM purchase_order WHERE status = 'cancelled')",
            )
            .await?;
        // Orders shipped before this migration shipped everything at once.
        m.get_connection()
            .execute_unprepared(
                "UPDATE order_allocation SET shipped = quantity WHERE order_id IN
                   (SELECT id FROM purchase_order WHERE status IN ('shipped', 'delivered'))",
            )
            .await?;
        m.get_connection()
            .execute_unprepared(
                "UPDATE order_line SET accepted_quantity = quantity WHERE order_id IN
                   (SELECT id FROM purchase_order WHERE status IN ('confirmed', 'shipped', 'delivered'))",
            )
            .await?;
        m.get_connection()
            .execute_unprepared(
                "UPDATE order_line SET shipped_quantity = quantity WHERE order_id IN
                   (SELECT id FROM purchase_order WHERE status IN ('shipped', 'delivered'))",
            )
            .await?;
        m.get_connection()
            .execute_unprepared(
                "UPDATE order_line SET delivered_quantity = quantity WHERE order_id IN
                   (SELECT id FROM purchase_order WHERE status = 'delivered')",
            )
            .await?;

        m.create_table(
            Table::create()
                .table("shipment")
                .col(big_pk_auto("id"))
                .col(big_integer("order_id"))
                .col(string("carrier"))
                .col(string("tracking_reference"))
                .col(big_integer("actor_partner_id"))
                .col(timestamp_with_time_zone("shipped_at"))
                .foreign_key(&mut fk("shipment", "order_id", "purchase_order"))
                .foreign_key(&mut fk("shipment", "actor_partner_id", "partner"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("shipment_by_order", "shipment", &["order_id"]))
            .await?;
        m.create_table(
            Table::create()
                .table("shipment_package")
                .col(big_pk_auto("id"))
                .col(big_integer("shipment_id"))
                .col(string_uniq("sscc"))
                .foreign_key(&mut fk("shipment_package", "shipment_id", "shipment"))
                .check(Expr::cust("length(sscc) = 18"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "package_by_shipment",
            "shipment_package",
            &["shipment_id"],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("shipment_line")
                .col(big_pk_auto("id"))
                .col(big_integer("package_id"))
                .col(big_integer("shipment_id"))
                .col(big_integer("order_line_id"))
                .col(big_integer("quantity"))
                .col(string_null("lot_number"))
                .col(date_null("expiry_date"))
                .foreign_key(&mut fk("shipment_line", "package_id", "shipment_package"))
                .foreign_key(&mut fk("shipment_line", "shipment_id", "shipment"))
                .foreign_key(&mut fk("shipment_line", "order_line_id", "order_line"))
                .check(Expr::cust("quantity > 0"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "shipment_line_by_shipment",
            "shipment_line",
            &["shipment_id"],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("contract_price")
                .col(big_pk_auto("id"))
                .col(big_integer("partner_id"))
                .col(big_integer("product_id"))
                .col(big_integer("unit_price_vnd"))
                .col(integer("minimum_quantity"))
                .col(integer("quantity_increment"))
                .col(date("valid_from"))
                .col(date_null("valid_to"))
                .col(big_integer("actor_partner_id"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("contract_price", "partner_id", "partner"))
                .foreign_key(&mut fk("contract_price", "product_id", "product"))
                .foreign_key(&mut fk("contract_price", "actor_partner_id", "partner"))
                .check(Expr::cust("unit_price_vnd >= 0"))
                .check(Expr::cust("minimum_quantity > 0"))
                .check(Expr::cust("quantity_increment > 0"))
                .check(Expr::cust("valid_to IS NULL OR valid_to >= valid_from"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "contract_by_partner_product",
            "contract_price",
            &["partner_id", "product_id"],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("contract_price_break")
                .col(big_pk_auto("id"))
                .col(big_integer("contract_id"))
                .col(integer("minimum_quantity"))
                .col(big_integer("unit_price_vnd"))
                .foreign_key(&mut fk(
                    "contract_price_break",
                    "contract_id",
                    "contract_price",
                ))
                .check(Expr::cust("minimum_quantity > 0"))
                .check(Expr::cust("unit_price_vnd >= 0"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "break_by_contract",
            "contract_price_break",
            &["contract_id"],
        ))
        .await?;

        // Tokens issued at or before this instant are refused.
        add(
            m,
            "partner",
            ColumnDef::new("tokens_valid_after")
                .timestamp_with_time_zone()
                .null()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("partner_audit")
                .col(big_pk_auto("id"))
                .col(big_integer("partner_id"))
                .col(big_integer("actor_partner_id"))
                .col(string("action"))
                .col(text("detail"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("partner_audit", "partner_id", "partner"))
                .foreign_key(&mut fk("partner_audit", "actor_partner_id", "partner"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("audit_by_partner", "partner_audit", &["partner_id"]))
            .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "partner_audit",
            "contract_price_break",
            "contract_price",
            "shipment_line",
            "shipment_package",
            "shipment",
        ] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        for (table, col) in [
            ("partner", "tokens_valid_after"),
            ("order_allocation", "shipped"),
            ("order_allocation", "released"),
            ("purchase_order", "promised_ship_date"),
            ("order_line", "rejection_reason"),
            ("order_line", "delivered_quantity"),
            ("order_line", "shipped_quantity"),
            ("order_line", "accepted_quantity"),
        ] {
            m.alter_table(Table::alter().table(table).drop_column(col).to_owned())
                .await?;
        }
        Ok(())
    }
}
