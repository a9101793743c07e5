//! Helpers every migration builds its statements with.

use sea_orm_migration::prelude::*;

/// A foreign key to `to_table(id)`; rows that are referenced cannot be
/// deleted.
pub fn fk(
    from_table: &'static str,
    from_col: &'static str,
    to_table: &'static str,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from_table, from_col)
        .to(to_table, "id")
        .on_delete(ForeignKeyAction::Restrict)
        .to_owned()
}

/// A CHECK that `col` is one of `values`.
pub fn one_of(col: &str, values: &[&str]) -> Expr {
    let list = values
        .iter()
        .map(|v| format!("'{v}'"))
        .collect::<Vec<_>>()
        .join(", ");
    Expr::cust(format!("{col} IN ({list})"))
}

/// A (non-unique) index named `name`.
pub fn index(
    name: &'static str,
    table: &'static str,
    cols: &[&'static str],
) -> IndexCreateStatement {
    let mut stmt = Index::create().name(name).table(table).to_owned();
    for c in cols {
        stmt.col(*c);
    }
    stmt
}
