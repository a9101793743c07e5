//! Text folding for search: lower case, no diacritics, `đ` as `d`, so that
//! "gom bat trang", "GỐM BÁT TRÀNG" and "Gốm Bát Tràng" are the same words.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use crate::error::{AppError, AppResult};

pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last_space = true;
    for c in text.nfd() {
        if is_combining_mark(c) {
            continue;
        }
        let c = match c {
            'đ' | 'Đ' => 'd',
            c if c.is_control() || c.is_whitespace() => ' ',
            c => c,
        };
        if c == ' ' {
            if !last_space {
                out.push(' ');
            }
            last_space = true;
            continue;
        }
        last_space = false;
        out.extend(c.to_lowercase());
    }
    out.trim_end().to_owned()
}

/// What product search matches: both names, the producer and the SKU,
/// folded. Written with the product row (one formula for every writer).
pub fn product_search_text(name_vi: &str, name_en: &str, producer: &str, sku: &str) -> String {
    fold(&format!("{name_vi} {name_en} {producer} {sku}"))
}

/// Longest free-text reason (cancellation, adjustment, receipt note).
pub const MAX_REASON_CHARS: usize = 500;

/// A trimmed reason, None when blank; BAD_USER_INPUT naming `field` when
/// longer than [`MAX_REASON_CHARS`], or blank where one is `required`.
pub fn reason(text: Option<&str>, field: &str, required: bool) -> AppResult<Option<String>> {
    match text.map(str::trim).filter(|r| !r.is_empty()) {
        None if required => Err(AppError::bad_field(field, "a reason is required")),
        Some(r) if r.chars().count() > MAX_REASON_CHARS => Err(AppError::bad_field(
            field,
            format!("`reason` is limited to {MAX_REASON_CHARS} characters"),
        )),
        r => Ok(r.map(str::to_owned)),
    }
}

/// `value` trimmed, when it is `min` to `max` characters with no control
/// character (the one rule for names, codes and references); otherwise
/// BAD_USER_INPUT naming `field`, with `message`.
pub fn printable(
    value: &str,
    min: usize,
    max: usize,
    field: &str,
    message: &str,
) -> AppResult<String> {
    let value = value.trim();
    let len = value.chars().count();
    if len < min || len > max || value.chars().any(char::is_control) {
        return Err(AppError::bad_field(field, message));
    }
    Ok(value.to_owned())
}

/// Escapes LIKE wildcards so that user text matches literally (with `ESCAPE '\'`).
pub fn like_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_vietnamese_diacritics_and_case() {
        assert_eq!(fold("Gốm Bát Tràng"), "gom bat trang");
        assert_eq!(fold("GỐM BÁT TRÀNG"), "gom bat trang");
        assert_eq!(
            fold("Nước mắm Ba Làng – Đặc sản"),
            "nuoc mam ba lang – dac san"
        );
        assert_eq!(fold("  chè\tđinh\u{0}  "), "che dinh");
    }

    #[test]
    fn printable_text_is_trimmed_bounded_and_free_of_controls() {
        assert_eq!(
            printable("  PO-1 ", 1, 8, "f", "m").ok().as_deref(),
            Some("PO-1")
        );
        assert!(printable("   ", 1, 8, "f", "m").is_err());
        assert!(printable("123456789", 1, 8, "f", "m").is_err());
        assert!(printable("a\u{7}b", 1, 8, "f", "m").is_err());
        assert_eq!(printable("", 0, 8, "f", "m").ok().as_deref(), Some(""));
    }

    #[test]
    fn escapes_like_wildcards() {
        assert_eq!(like_escape("50%_a\\b"), "50\\%\\_a\\\\b");
    }
}
