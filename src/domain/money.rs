//! Money is integer đồng (VND has no minor unit), never floating point.

/// Largest amount the API represents exactly: 2^53 - 1 đồng, so that
/// JavaScript clients read every amount without rounding.
pub const MAX_VND: i64 = 9_007_199_254_740_991;

/// `unit_price × quantity`, or None past [`MAX_VND`].
pub fn times(unit_price: i64, quantity: i64) -> Option<i64> {
    unit_price.checked_mul(quantity).filter(|t| *t <= MAX_VND)
}

/// `a + b`, or None past [`MAX_VND`].
pub fn plus(a: i64, b: i64) -> Option<i64> {
    a.checked_add(b).filter(|t| *t <= MAX_VND)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_stop_at_the_largest_exact_number() {
        assert_eq!(times(1_000_000, 1_000), Some(1_000_000_000));
        assert_eq!(times(MAX_VND, 2), None);
        assert_eq!(times(i64::MAX, 2), None);
        assert_eq!(plus(MAX_VND, 0), Some(MAX_VND));
        assert_eq!(plus(MAX_VND, 1), None);
    }
}
