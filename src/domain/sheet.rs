//! Spreadsheets in: CSV as Excel and LibreOffice save it (RFC 4180, UTF-8
//! with or without a byte-order mark, `,` or, in locales with a decimal
//! comma such as Vietnamese, `;`), read into rows numbered as the
//! spreadsheet shows them (the header is row 1). The catalogue import and
//! the order sheet both read through here, then check every row with the
//! same rules as their GraphQL mutations.

use chrono::NaiveDate;
use serde::Serialize;

use crate::error::{AppError, AppResult};

/// Most data rows a sheet may have.
pub const MAX_ROWS: usize = 20_000;
/// Largest sheet, in bytes (20,000 full rows fit with room to spare).
pub const MAX_BYTES: usize = 16 * 1024 * 1024;

/// What happens to a sheet with bad rows (Saleor's `errorPolicy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorPolicy {
    /// All rows or none: one bad row writes nothing.
    RejectEverything,
    /// The good rows are written; the bad ones are reported.
    RejectFailedRows,
}

impl ErrorPolicy {
    pub fn parse(value: Option<&str>) -> AppResult<Self> {
        match value {
            None | Some("REJECT_EVERYTHING") => Ok(Self::RejectEverything),
            Some("REJECT_FAILED_ROWS") => Ok(Self::RejectFailedRows),
            Some(_) => Err(AppError::bad_field(
                "errorPolicy",
                "`errorPolicy` is REJECT_EVERYTHING (the default) or REJECT_FAILED_ROWS",
            )),
        }
    }
}

/// One reason a row was refused, on its column.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct RowError {
    pub row: usize,
    pub field: String,
    pub message: String,
}

/// A sheet's rows, each cell under its column.
pub struct Sheet {
    columns: Vec<Option<&'static str>>,
    pub rows: Vec<Row>,
    /// `;`-separated: numbers may carry a decimal comma.
    pub decimal_comma: bool,
}

/// One data row, numbered as the spreadsheet shows it.
pub struct Row {
    pub number: usize,
    cells: Vec<String>,
    /// Cells beyond the header's columns that hold something.
    pub stray: bool,
}

impl Sheet {
    /// Reads `bytes` whose header may name only `known` columns (matched
    /// without regard to case) and `ignored` ones (read by nobody, such as
    /// an export's read-only columns); an empty header cell is unused too.
    /// Rows with nothing in them are skipped (spreadsheets save trailing
    /// `;;;;` lines), but still counted, so row numbers stay the sheet's.
    pub fn read(
        bytes: &[u8],
        known: &[&'static str],
        ignored: &[&'static str],
    ) -> AppResult<Sheet> {
        if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
            return Err(not_utf8());
        }
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let text = std::str::from_utf8(bytes).map_err(|_| not_utf8())?;
        let header_line = text.lines().next().unwrap_or("");
        let decimal_comma = header_line.matches(';').count() > header_line.matches(',').count();
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(if decimal_comma { b';' } else { b',' })
            .from_reader(text.as_bytes());
        let mut records = reader.records();
        let header = match records.next() {
            Some(Ok(h)) => h,
            Some(Err(e)) => return Err(malformed(1, &e)),
            None => {
                return Err(AppError::bad_input(
                    "the sheet is empty: it needs a header row",
                ));
            }
        };
        let mut columns = Vec::with_capacity(header.len());
        for name in header.iter() {
            let name = name.trim();
            if name.is_empty() || ignored.iter().any(|k| k.eq_ignore_ascii_case(name)) {
                columns.push(None);
                continue;
            }
            let Some(&column) = known.iter().find(|k| k.eq_ignore_ascii_case(name)) else {
                return Err(AppError::bad_field(
                    name,
                    format!(
                        "unknown column `{name}`; the columns are {}",
                        known.join(", ")
                    ),
                ));
            };
            if columns.contains(&Some(column)) {
                return Err(AppError::bad_field(
                    column,
                    format!("column `{column}` appears twice"),
                ));
            }
            columns.push(Some(column));
        }
        let mut rows = Vec::new();
        for (i, record) in records.enumerate() {
            let number = i + 2;
            let record = record.map_err(|e| malformed(number, &e))?;
            if record.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            if rows.len() == MAX_ROWS {
                return Err(AppError::bad_input(format!(
                    "a sheet has at most {MAX_ROWS} rows; split it"
                ))
                .with("maxRows", MAX_ROWS as i64));
            }
            let stray = record
                .iter()
                .enumerate()
                .any(|(c, v)| c >= columns.len() && !v.trim().is_empty());
            rows.push(Row {
                number,
                cells: record.iter().map(text_of).collect(),
                stray,
            });
        }
        Ok(Sheet {
            columns,
            rows,
            decimal_comma,
        })
    }

    /// Whether the header names `column`.
    pub fn has(&self, column: &str) -> bool {
        self.columns.contains(&Some(column))
    }

    /// The column positions, for `Row::get`.
    pub fn index(&self, column: &str) -> Option<usize> {
        self.columns.iter().position(|c| *c == Some(column))
    }
}

impl Row {
    /// The cell in column `at`, trimmed; None when empty (not given).
    pub fn get(&self, at: Option<usize>) -> Option<&str> {
        at.and_then(|i| self.cells.get(i))
            .map(|c| c.trim())
            .filter(|c| !c.is_empty())
    }
}

/// A cell as text. Cells that look like formulas (`=`, `+`, `-`, `@`)
/// are kept as the text they are, never evaluated; the `'` our own
/// exports put before them (so that Excel shows them as text) is taken
/// off again, so an export imports back unchanged.
fn text_of(cell: &str) -> String {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@']) => rest.to_owned(),
        _ => cell.to_owned(),
    }
}

fn not_utf8() -> AppError {
    AppError::bad_input(
        "the sheet is not UTF-8 text: in Excel save it as \"CSV UTF-8\", in LibreOffice choose the character set \"Unicode (UTF-8)\"",
    )
}

fn malformed(row: usize, e: &csv::Error) -> AppError {
    let what = match e.kind() {
        csv::ErrorKind::Utf8 { .. } => "is not UTF-8 text".to_owned(),
        _ => "is not well-formed CSV (a quote left open?)".to_owned(),
    };
    AppError::bad_input(format!("row {row} {what}")).with("row", row as i64)
}

/// A whole number as a spreadsheet writes it: `120000`, or grouped in
/// threes by `.`, `,` or spaces (`120.000`, `120,000`, `120 000`), with an
/// optional `₫`, `đ` or `VND` after it.
pub fn whole_number(cell: &str) -> Result<i64, &'static str> {
    const NOT: &str = "a whole number (120000, 120.000 or 120,000)";
    let mut s = cell.trim();
    for unit in ["₫", "đ", "VND", "vnd", "VNĐ"] {
        s = s.strip_suffix(unit).unwrap_or(s).trim_end();
    }
    let (negative, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let groups: Vec<&str> = digits
        .split(['.', ',', ' ', '\u{a0}', '\u{202f}'])
        .collect();
    let grouped = groups.len() > 1;
    if groups
        .iter()
        .any(|g| g.is_empty() || !g.bytes().all(|b| b.is_ascii_digit()))
        || (grouped && (groups[0].len() > 3 || groups[1..].iter().any(|g| g.len() != 3)))
    {
        return Err(NOT);
    }
    let joined: String = groups.concat();
    let value: i64 = joined.parse().map_err(|_| NOT)?;
    Ok(if negative { -value } else { value })
}

/// A number with decimals: `0.5`, or `0,5` in a `;`-separated sheet.
pub fn decimal(cell: &str, decimal_comma: bool) -> Result<f64, &'static str> {
    let s = cell.trim();
    let s = if decimal_comma {
        s.replace(',', ".")
    } else {
        s.to_owned()
    };
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return Err("a number such as 0.5");
    }
    s.parse().map_err(|_| "a number such as 0.5")
}

/// A date as `2026-03-15` or, as Vietnamese spreadsheets show it,
/// `15/03/2026` (day first).
pub fn date(cell: &str) -> Result<NaiveDate, &'static str> {
    let s = cell.trim();
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s, "%d/%m/%Y"))
        .map_err(|_| "a date, 2026-03-15 or 15/03/2026")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_as_spreadsheets_write_them() {
        assert_eq!(whole_number("120000"), Ok(120_000));
        assert_eq!(whole_number("120.000"), Ok(120_000));
        assert_eq!(whole_number("1,250,000 ₫"), Ok(1_250_000));
        assert_eq!(whole_number("120 000đ"), Ok(120_000));
        assert_eq!(whole_number("-5"), Ok(-5));
        assert!(whole_number("12.5").is_err());
        assert!(whole_number("1.2345").is_err());
        assert!(whole_number("abc").is_err());
        assert_eq!(decimal("0,5", true), Ok(0.5));
        assert!(decimal("0,5", false).is_err());
        assert_eq!(decimal("1.25", false), Ok(1.25));
        assert_eq!(
            date("15/03/2026").ok(),
            NaiveDate::from_ymd_opt(2026, 3, 15)
        );
        assert_eq!(
            date("2026-03-15").ok(),
            NaiveDate::from_ymd_opt(2026, 3, 15)
        );
    }

    #[test]
    fn bom_semicolons_and_spreadsheet_row_numbers() {
        let text = "\u{feff}sku;nameVi;;\r\nA;\"Mắm; cá\"\r\n;;;\r\nB;\"two\nlines\"\r\n;;;\r\n";
        let sheet = Sheet::read(text.as_bytes(), &["sku", "nameVi"], &[]).expect("reads");
        assert!(sheet.decimal_comma);
        let numbers: Vec<usize> = sheet.rows.iter().map(|r| r.number).collect();
        assert_eq!(numbers, [2, 4]);
        let name = sheet.index("nameVi");
        assert_eq!(sheet.rows[0].get(name), Some("Mắm; cá"));
        assert_eq!(sheet.rows[1].get(name), Some("two\nlines"));
        assert!(Sheet::read(b"sku,colour\n", &["sku"], &[]).is_err());
        assert!(Sheet::read(b"\xff\xfes\x00", &["sku"], &[]).is_err());
    }

    #[test]
    fn formulas_stay_text() {
        assert_eq!(text_of("'=1+1"), "=1+1");
        assert_eq!(text_of("=1+1"), "=1+1");
        assert_eq!(text_of("'quoted"), "'quoted");
    }
}
