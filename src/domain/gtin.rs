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

/// The GTIN-14 form of a valid GTIN (left-padded with zeros), the one
/// key every form of the same item shares; `None` for an invalid one.
pub fn to_gtin14(gtin: &str) -> Option<String> {
    is_valid(gtin).then(|| format!("{gtin:0>14}"))
}

/// Every form the item of a GTIN-14 may be stored in: itself and, where
/// the leading digits are zeros, its GTIN-13, GTIN-12 and GTIN-8.
pub fn stored_forms(gtin14: &str) -> Vec<String> {
    let mut forms = vec![gtin14.to_owned()];
    for len in [13, 12, 8] {
        let (pad, rest) = gtin14.split_at(14 - len);
        if pad.bytes().all(|b| b == b'0') {
            forms.push(rest.to_owned());
        }
    }
    forms
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_of_an_item_meets_at_gtin14() {
        assert_eq!(
            to_gtin14("8934563138165").as_deref(),
            Some("08934563138165")
        );
        assert_eq!(
            to_gtin14("08934563138165").as_deref(),
            Some("08934563138165")
        );
        assert_eq!(to_gtin14("8934563138166"), None);
        assert_eq!(
            stored_forms("08934563138165"),
            vec!["08934563138165", "8934563138165"]
        );
        // A GTIN-8 padded to 14 is also found as 12 and 13 digits.
        assert_eq!(to_gtin14("96385074").as_deref(), Some("00000096385074"));
        assert_eq!(
            stored_forms("00000096385074"),
            vec![
                "00000096385074",
                "0000096385074",
                "000096385074",
                "96385074"
            ]
        );
    }

    #[test]
    fn validates_known_gtins() {
        assert!(is_valid("8934563138165"));
        assert!(is_valid("4006381333931"));
        assert!(!is_valid("4006381333932"));
        assert!(!is_valid("40063813339"));
        assert!(!is_valid("400638133393a"));
    }
}
