//! Partners by code, cached for a short time: every authenticated request
//! needs its partner (status, scopes, rate limits), and reading it from the
//! database each time would add a statement to every request. A record is
//! read again once a commit heard here (of this replica or another)
//! changed that partner, and at the latest after the TTL.

use std::sync::Arc;
use std::time::{Duration, Instant};

use dashmap::DashMap;
use entity::partner;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use crate::db::changes::{Key, Registry};
use crate::error::AppResult;

pub struct PartnerCache {
    ttl: Duration,
    changes: Arc<Registry>,
    /// When read, at which epoch, what.
    entries: DashMap<String, (Instant, u64, partner::Model)>,
}

impl PartnerCache {
    /// A zero `ttl` reads the database every time.
    pub fn new(ttl: Duration, changes: Arc<Registry>) -> Self {
        Self {
            ttl,
            changes,
            entries: DashMap::new(),
        }
    }

    /// Forgets `partner_id`'s record (0: every record), so the next
    /// request reads it afresh: its access just changed.
    pub fn forget(&self, partner_id: i64) {
        self.entries
            .retain(|_, (_, _, p)| partner_id != 0 && p.id != partner_id);
    }

    pub async fn get(
        &self,
        db: &DatabaseConnection,
        code: &str,
    ) -> AppResult<Option<partner::Model>> {
        if let Some(entry) = self.entries.get(code)
            && entry.0.elapsed() < self.ttl
            && self.changes.changed_key(Key::Partner(entry.2.id)) <= entry.1
        {
            return Ok(Some(entry.2.clone()));
        }
        let epoch = self.changes.epoch();
        let found = partner::Entity::find()
            .filter(partner::Column::Code.eq(code))
            .one(db)
            .await?;
        match &found {
            // Only partners that exist are kept: a token naming an unknown
            // partner cannot grow the map (and needed a valid signature).
            Some(p) if !self.ttl.is_zero() => {
                self.entries
                    .insert(code.to_owned(), (Instant::now(), epoch, p.clone()));
            }
            _ => {
                self.entries.remove(code);
            }
        }
        Ok(found)
    }
}
