use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::util::{fk, index, one_of};

#[derive(DeriveMigrationName)]
pub struct Migration;

const CATEGORIES: &[&str] = &[
    "food",
    "beverages",
    "herbal_products",
    "textiles_garments",
    "handicrafts_souvenirs",
    "rural_tourism",
];
const ORDER_STATUSES: &[&str] = &["placed", "confirmed", "shipped", "delivered", "cancelled"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("partner")
                .col(big_pk_auto("id"))
                .col(string_uniq("code"))
                .col(string("name"))
                .col(string("kind"))
                .col(string("status"))
                .col(text("allowed_scopes"))
                .col(integer_null("rate_limit_rps"))
                .col(timestamp_with_time_zone("created_at"))
                .check(one_of("kind", &["retail_chain", "operator"]))
                .check(one_of("status", &["active", "suspended"]))
                .check(Expr::cust("rate_limit_rps IS NULL OR rate_limit_rps > 0"))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("store")
                .col(big_pk_auto("id"))
                .col(big_integer("partner_id"))
                .col(string("code"))
                .col(string("name"))
                .col(string("address"))
                .col(string("province"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("store", "partner_id", "partner"))
                .index(index("ux_store_partner_code", "store", &["partner_id", "code"]).unique())
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("producer")
                .col(big_pk_auto("id"))
                .col(string_uniq("code"))
                .col(string("name"))
                .col(string("kind"))
                .col(string("commune"))
                .col(string("district"))
                .col(string("province"))
                // Folded (lower case, no diacritics) copies for filtering.
                .col(string("province_key"))
                .col(string("district_key"))
                .col(timestamp_with_time_zone("created_at"))
                .check(one_of("kind", &["cooperative", "household", "enterprise"]))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("product")
                .col(big_pk_auto("id"))
                .col(string_uniq("sku"))
                .col(string_null("gtin").unique_key())
                .col(string("name_vi"))
                .col(string("name_en"))
                .col(text("description"))
                .col(text("search_text"))
                .col(string("category"))
                .col(small_integer("stars"))
                .col(string("certificate_number"))
                .col(date("certificate_issued_on"))
                .col(date("certificate_expires_on"))
                .col(string_uniq("trace_code"))
                .col(string("unit"))
                .col(integer("pack_size"))
                .col(big_integer("wholesale_price_vnd"))
                .col(integer("min_order_qty"))
                .col(string("status"))
                .col(big_integer("producer_id"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut fk("product", "producer_id", "producer"))
                .check(Expr::cust("stars BETWEEN 3 AND 5"))
                .check(Expr::cust("pack_size > 0"))
                .check(Expr::cust("min_order_qty > 0"))
                .check(Expr::cust("wholesale_price_vnd >= 0"))
                .check(Expr::cust(
                    "certificate_expires_on >= certificate_issued_on",
                ))
                .check(one_of("category", CATEGORIES))
                .check(one_of("status", &["active", "discontinued"]))
                .to_owned(),
        )
        .await?;
        for (name, cols) in [
            ("ix_product_producer", &["producer_id"][..]),
            ("ix_product_category_stars", &["category", "stars"][..]),
            ("ix_product_name", &["name_vi", "id"][..]),
            ("ix_product_updated", &["updated_at", "id"][..]),
            ("ix_product_price", &["wholesale_price_vnd", "id"][..]),
        ] {
            m.create_index(index(name, "product", cols)).await?;
        }
        m.create_index(index(
            "ix_producer_province",
            "producer",
            &["province", "district"],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("location")
                .col(big_pk_auto("id"))
                .col(string_uniq("code"))
                .col(string("name"))
                .col(string("province"))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("inventory_level")
                .col(big_pk_auto("id"))
                .col(big_integer("product_id"))
                .col(big_integer("location_id"))
                .col(big_integer("on_hand"))
                .col(big_integer("reserved"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut fk("inventory_level", "product_id", "product"))
                .foreign_key(&mut fk("inventory_level", "location_id", "location"))
                .index(
                    index(
                        "ux_inventory_product_location",
                        "inventory_level",
                        &["product_id", "location_id"],
                    )
                    .unique(),
                )
                .check(Expr::cust("on_hand >= 0"))
                .check(Expr::cust("reserved >= 0"))
                .check(Expr::cust("reserved <= on_hand"))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("purchase_order")
                .col(big_pk_auto("id"))
                .col(big_integer("partner_id"))
                .col(big_integer("store_id"))
                .col(string("idempotency_key"))
                .col(string("request_hash"))
                .col(string("buyer_reference"))
                .col(date("requested_delivery_date"))
                .col(string("status"))
                .col(big_integer("total_vnd"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut fk("purchase_order", "partner_id", "partner"))
                .foreign_key(&mut fk("purchase_order", "store_id", "store"))
                .index(
                    index(
                        "ux_order_partner_idempotency",
                        "purchase_order",
                        &["partner_id", "idempotency_key"],
                    )
                    .unique(),
                )
                .check(Expr::cust("total_vnd >= 0"))
                .check(one_of("status", ORDER_STATUSES))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_order_partner_created",
            "purchase_order",
            &["partner_id", "created_at", "id"],
        ))
        .await?;
        m.create_index(index("ix_order_status", "purchase_order", &["status"]))
            .await?;

        m.create_table(
            Table::create()
                .table("order_line")
                .col(big_pk_auto("id"))
                .col(big_integer("order_id"))
                .col(integer("line_no"))
                .col(big_integer("product_id"))
                .col(big_integer("quantity"))
                .col(big_integer("unit_price_vnd"))
                .col(big_integer("line_total_vnd"))
                .foreign_key(&mut fk("order_line", "order_id", "purchase_order"))
                .foreign_key(&mut fk("order_line", "product_id", "product"))
                .index(index("ux_order_line_no", "order_line", &["order_id", "line_no"]).unique())
                .check(Expr::cust("quantity > 0"))
                .check(Expr::cust("unit_price_vnd >= 0"))
                .check(Expr::cust("line_total_vnd = quantity * unit_price_vnd"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_order_line_product",
            "order_line",
            &["product_id"],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("order_allocation")
                .col(big_pk_auto("id"))
                .col(big_integer("order_line_id"))
                .col(big_integer("order_id"))
                .col(big_integer("product_id"))
                .col(big_integer("location_id"))
                .col(big_integer("quantity"))
                .foreign_key(&mut fk("order_allocation", "order_line_id", "order_line"))
                .foreign_key(&mut fk("order_allocation", "order_id", "purchase_order"))
                .foreign_key(&mut fk("order_allocation", "product_id", "product"))
                .foreign_key(&mut fk("order_allocation", "location_id", "location"))
                .check(Expr::cust("quantity > 0"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_allocation_order",
            "order_allocation",
            &["order_id"],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("order_event")
                .col(big_pk_auto("id"))
                .col(big_integer("order_id"))
                .col(string_null("from_status"))
                .col(string("to_status"))
                .col(big_integer("actor_partner_id"))
                .col(text_null("reason"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("order_event", "order_id", "purchase_order"))
                .foreign_key(&mut fk("order_event", "actor_partner_id", "partner"))
                .check(one_of("to_status", ORDER_STATUSES))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_order_event_order",
            "order_event",
            &["order_id", "id"],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("stock_movement")
                .col(big_pk_auto("id"))
                .col(big_integer("product_id"))
                .col(big_integer("location_id"))
                .col(string("kind"))
                .col(big_integer("on_hand_delta"))
                .col(big_integer("reserved_delta"))
                .col(big_integer_null("order_id"))
                .col(text_null("reason"))
                .col(big_integer_null("actor_partner_id"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("stock_movement", "product_id", "product"))
                .foreign_key(&mut fk("stock_movement", "location_id", "location"))
                .foreign_key(&mut fk("stock_movement", "order_id", "purchase_order"))
                .foreign_key(&mut fk("stock_movement", "actor_partner_id", "partner"))
                .check(one_of(
                    "kind",
                    &[
                        "receipt",
                        "reservation",
                        "release",
                        "shipment",
                        "adjustment",
                    ],
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_stock_movement_product_location",
            "stock_movement",
            &["product_id", "location_id"],
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "stock_movement",
            "order_event",
            "order_allocation",
            "order_line",
            "purchase_order",
            "inventory_level",
            "location",
            "product",
            "producer",
            "store",
            "partner",
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
