//! Opaque global ids: `base64url("Product:42")`. Clients must treat them as
//! strings; the kind inside lets a wrong-type id be refused clearly.

use async_graphql::ID;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::{AppError, AppResult};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Product,
    Producer,
    Location,
    Store,
    Partner,
    Order,
    OrderLine,
    Shipment,
    ContractPrice,
    WebhookEndpoint,
    WebhookDelivery,
}

impl Kind {
    const ALL: [Kind; 11] = [
        Kind::Product,
        Kind::Producer,
        Kind::Location,
        Kind::Store,
        Kind::Partner,
        Kind::Order,
        Kind::OrderLine,
        Kind::Shipment,
        Kind::ContractPrice,
        Kind::WebhookEndpoint,
        Kind::WebhookDelivery,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Product => "Product",
            Kind::Producer => "Producer",
            Kind::Location => "Location",
            Kind::Store => "Store",
            Kind::Partner => "Partner",
            Kind::Order => "Order",
            Kind::OrderLine => "OrderLine",
            Kind::Shipment => "Shipment",
            Kind::ContractPrice => "ContractPrice",
            Kind::WebhookEndpoint => "WebhookEndpoint",
            Kind::WebhookDelivery => "WebhookDelivery",
        }
    }
}

/// The opaque id as text (for layers that know no GraphQL types, such as
/// an error's `extensions.productId` raised in the domain).
pub fn opaque(kind: Kind, id: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}:{id}", kind.name()))
}

pub fn encode(kind: Kind, id: i64) -> ID {
    ID(opaque(kind, id))
}

/// Decodes an id of the expected kind. A malformed id, or an id of another
/// kind, is BAD_USER_INPUT naming `field`.
pub fn decode(kind: Kind, id: &ID, field: &str) -> AppResult<i64> {
    match decode_any(id) {
        Some((k, n)) if k == kind => Ok(n),
        _ => Err(AppError::bad_field(
            field,
            format!("`{field}` is not a valid {} id", kind.name()),
        )),
    }
}

/// The kind and number inside any of our ids.
pub fn decode_any(id: &ID) -> Option<(Kind, i64)> {
    if id.len() > 64 {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(id.as_bytes()).ok()?;
    let text = std::str::from_utf8(&bytes).ok()?;
    let (prefix, number) = text.split_once(':')?;
    let kind = Kind::ALL.into_iter().find(|k| k.name() == prefix)?;
    let number = number.parse::<i64>().ok().filter(|n| *n > 0)?;
    Some((kind, number))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_other_kinds() {
        let id = encode(Kind::Product, 42);
        assert_eq!(decode(Kind::Product, &id, "id").ok(), Some(42));
        assert!(decode(Kind::Order, &id, "id").is_err());
        assert!(decode(Kind::Product, &ID("not base64!".into()), "id").is_err());
        assert!(
            decode(
                Kind::Product,
                &ID(URL_SAFE_NO_PAD.encode("Product:-1")),
                "id"
            )
            .is_err()
        );
    }
}
