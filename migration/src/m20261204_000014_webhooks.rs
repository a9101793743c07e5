use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

/// Webhooks: a second consumer of the outboxes (order events, the stock
/// ledger, the catalogue's audit rows) beside live events.
///
/// - `webhook_endpoint`: a partner's receiver. Its signing secret is kept
///   encrypted (AES-256-GCM under `WEBHOOK_SECRET_KEY`), never in clear;
///   during a rotation the previous secret is kept until `previous_until_ms`.
/// - `webhook_cursor`: how far the fan-out has read each outbox, moved in
///   the same transaction that inserts the deliveries it read, so an event
///   becomes its deliveries exactly once whatever crashes.
/// - `webhook_delivery`: one event for one endpoint, with the body it will
///   always be sent with (so a retry is byte-for-byte the same and keeps
///   its `webhook-id`). `lease_until_ms` is the claim of the replica making
///   an attempt: a replica that dies mid-attempt loses its lease and
///   another (or the restarted one) tries again.
///
/// Times are Unix milliseconds: the queue compares them in SQL on both
/// databases, and integers compare alike on both.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        let id = if db.get_database_backend() == DatabaseBackend::Postgres {
            "BIGSERIAL PRIMARY KEY"
        } else {
            "INTEGER PRIMARY KEY AUTOINCREMENT"
        };
        db.execute_unprepared(&format!(
            "CREATE TABLE webhook_endpoint (
                id {id},
                partner_id BIGINT NOT NULL REFERENCES partner (id),
                url TEXT NOT NULL,
                description TEXT NOT NULL DEFAULT '',
                topics TEXT NOT NULL,
                enabled BOOLEAN NOT NULL,
                disabled_reason TEXT,
                secret_sealed TEXT NOT NULL,
                previous_sealed TEXT,
                previous_until_ms BIGINT,
                failing_since_ms BIGINT,
                created_at_ms BIGINT NOT NULL,
                updated_at_ms BIGINT NOT NULL
            )"
        ))
        .await?;
        db.execute_unprepared(
            "CREATE INDEX webhook_endpoint_by_partner ON webhook_endpoint (partner_id)",
        )
        .await?;
        db.execute_unprepared(
            "CREATE TABLE webhook_cursor (
                source TEXT PRIMARY KEY,
                tx BIGINT NOT NULL,
                id BIGINT NOT NULL
            )",
        )
        .await?;
        db.execute_unprepared(&format!(
            "CREATE TABLE webhook_delivery (
                id {id},
                endpoint_id BIGINT NOT NULL REFERENCES webhook_endpoint (id) ON DELETE CASCADE,
                message_id TEXT NOT NULL,
                event_type TEXT NOT NULL,
                cursor TEXT,
                payload TEXT NOT NULL,
                status TEXT NOT NULL CHECK (status IN ('PENDING', 'DELIVERED', 'FAILED')),
                attempts INTEGER NOT NULL DEFAULT 0,
                next_attempt_ms BIGINT,
                lease_until_ms BIGINT,
                last_attempt_ms BIGINT,
                response_status INTEGER,
                failure_reason TEXT,
                duration_ms INTEGER,
                event_at_ms BIGINT NOT NULL,
                created_at_ms BIGINT NOT NULL,
                delivered_at_ms BIGINT
            )"
        ))
        .await?;
        // The fan-out starts after everything already in the outboxes:
        // webhooks carry what happens from now on.
        for table in ["order_event", "stock_movement", "product_audit"] {
            db.execute_unprepared(&format!(
                "INSERT INTO webhook_cursor (source, tx, id)
                 SELECT '{table}', COALESCE(MAX(tx), 0), COALESCE(MAX(id), 0) FROM {table}"
            ))
            .await?;
        }
        // The operator manages webhooks from the start; chains are
        // granted `webhooks:manage` by the operator (`updatePartner`).
        db.execute_unprepared(
            "UPDATE partner SET allowed_scopes = allowed_scopes || ' webhooks:manage'
             WHERE kind = 'operator' AND allowed_scopes NOT LIKE '%webhooks:manage%'",
        )
        .await?;
        // The queue: what is due, oldest first.
        db.execute_unprepared(
            "CREATE INDEX webhook_delivery_due ON webhook_delivery (next_attempt_ms) WHERE status = 'PENDING'",
        )
        .await?;
        // The log: an endpoint's deliveries, newest first; and the pruning.
        db.execute_unprepared(
            "CREATE INDEX webhook_delivery_by_endpoint ON webhook_delivery (endpoint_id, id)",
        )
        .await?;
        db.execute_unprepared(
            "CREATE INDEX webhook_delivery_by_age ON webhook_delivery (created_at_ms)",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        for table in ["webhook_delivery", "webhook_cursor", "webhook_endpoint"] {
            db.execute_unprepared(&format!("DROP TABLE {table}"))
                .await?;
        }
        Ok(())
    }
}
