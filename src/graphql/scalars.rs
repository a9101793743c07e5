use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};

/// An amount of Vietnamese đồng: an integer (VND has no minor unit), 64-bit,
/// so order totals stay exact far past GraphQL's 32-bit `Int`. Serialized as
/// a JSON number; amounts are kept below 2^53 so JavaScript reads them
/// exactly. Accepted as input as a number or a string of digits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Vnd(pub i64);

/// Largest amount the API produces or accepts (2^53 - 1).
use crate::domain::money::MAX_VND;

#[Scalar(name = "VND")]
impl ScalarType for Vnd {
    fn parse(value: Value) -> InputValueResult<Self> {
        let n = match &value {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.parse::<i64>().ok(),
            _ => None,
        };
        match n {
            Some(n) if (0..=MAX_VND).contains(&n) => Ok(Vnd(n)),
            _ => Err(InputValueError::custom(
                "VND must be a whole number of đồng between 0 and 2^53-1",
            )),
        }
    }

    fn to_value(&self) -> Value {
        Value::Number(self.0.into())
    }
}

/// A calendar day, ISO 8601 (`2026-11-23`). In reports, a local business
/// day in Asia/Ho_Chi_Minh.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date(pub chrono::NaiveDate);

#[Scalar(name = "Date")]
impl ScalarType for Date {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map(Date)
                .map_err(|_| InputValueError::custom("a Date is YYYY-MM-DD")),
            _ => Err(InputValueError::custom("a Date is a string YYYY-MM-DD")),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_string())
    }
}
