//! The tables a statement names, read and written: a scan of its words,
//! no SQL parser.

use super::Table;

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Named {
    pub read: Vec<Table>,
    pub written: Vec<Table>,
}

/// The tables a statement names, and which of them it writes (those after
/// `INSERT .. INTO`, `UPDATE` and `DELETE FROM`). A word that happens to be
/// a table's name (a column, an alias) counts as a read too: more, never
/// less.
pub fn named(sql: &str) -> Named {
    let mut out = Named::default();
    let mut previous: [&str; 2] = ["", ""];
    let mut inserting = false;
    for word in sql
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
    {
        let table = Table::named(word);
        if let Some(t) = table {
            if !out.read.contains(&t) {
                out.read.push(t);
            }
            let target = (inserting && previous[1].eq_ignore_ascii_case("into"))
                || previous[1].eq_ignore_ascii_case("update")
                || (previous[1].eq_ignore_ascii_case("from")
                    && previous[0].eq_ignore_ascii_case("delete"));
            if target && !out.written.contains(&t) {
                out.written.push(t);
            }
        }
        if word.eq_ignore_ascii_case("insert") {
            inserting = true;
        } else if word.eq_ignore_ascii_case("into") && inserting {
            // `INSERT INTO t` names one table; a later INTO is not ours.
        } else if inserting && previous[1].eq_ignore_ascii_case("into") {
            inserting = false;
        }
        previous = [previous[1], word];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    fn t(name: &str) -> Table {
        Table::named(name).expect(name)
    }

    #[test]
    fn statements_name_what_they_read_and_write() {
        let n = named(
            r#"SELECT "product"."id", "product"."sku" FROM "product" WHERE "product"."category" = $1"#,
        );
        assert_eq!(n.read, vec![t("product")]);
        assert!(n.written.is_empty());
        let n = named(
            "WITH wanted (product_id, location_id, qty) AS (VALUES ($2, $3, $4)),
             locked AS (SELECT il.product_id FROM inventory_level il JOIN wanted w ON true
               ORDER BY il.product_id FOR UPDATE OF il)
             UPDATE inventory_level il SET reserved = il.reserved + w.qty FROM wanted w JOIN locked l ON true",
        );
        assert_eq!(n.written, vec![t("inventory_level")]);
        let n = named(
            r#"INSERT INTO "order_line" ("order_id", "product_id") VALUES ($1, $2) RETURNING "id", "product_id""#,
        );
        assert_eq!(n.written, vec![t("order_line")]);
        assert!(n.read.contains(&t("order_line")));
        let n = named(
            "WITH m AS (INSERT INTO stock_movement (a) SELECT 1 FROM product RETURNING 1), \
             e AS (INSERT INTO order_event (b) VALUES (1)) SELECT 1",
        );
        assert_eq!(n.written, vec![t("stock_movement"), t("order_event")]);
        assert!(n.read.contains(&t("product")), "a table only read");
        let n = named("DELETE FROM webhook_delivery WHERE created_at_ms < $1");
        assert_eq!(n.written, vec![t("webhook_delivery")]);
        // `FOR UPDATE OF d` and `ON CONFLICT .. DO UPDATE SET` name no table.
        let n = named(
            "INSERT INTO sales_rollup (a) VALUES (1) ON CONFLICT (a) DO UPDATE SET a = sales_rollup.a + 1",
        );
        assert_eq!(n.written, vec![t("sales_rollup")]);
        let n = named(
            "SELECT d.id FROM webhook_delivery d JOIN webhook_endpoint e ON e.id = d.endpoint_id FOR UPDATE OF d SKIP LOCKED",
        );
        assert!(n.written.is_empty());
    }
}
