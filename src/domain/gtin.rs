//! GS1 GTIN check digits (GTIN-8/12/13/14).

/// The check digit for the digits before it (GS1 mod-10, weights 3,1 from the right).
pub fn check_digit(body: &str) -> Option<u8> {
    let mut sum = 0u32;
    for (i, c) in body.chars().rev().enumerate() {
        let d = c.to_digit(10)?;
        sum += if i % 2 == 0 { d * 3 } else { d };
    }
    Some(((10 - sum % 10) % 10) as u8)
}

/// True for a GTIN of a valid length whose last digit checks.
pub fn is_valid(gtin: &str) -> bool {
    if !matches!(gtin.len(), 8 | 12 | 13 | 14) || !gtin.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let (body, last) = gtin.split_at(gtin.len() - 1);
    check_digit(body).map(|d| d.to_string()) == Some(last.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_known_gtins() {
        assert!(is_valid("8934563138165"));
        assert!(is_valid("4006381333931"));
        assert!(!is_valid("4006381333932"));
        assert!(!is_valid("40063813339"));
        assert!(!is_valid("400638133393a"));
    }
}
