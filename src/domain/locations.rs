//! Stock locations, held in memory. There are a hundred or so, they change
//! rarely, and every stock read names them: reading them once instead of
//! joining them into every stock query takes most of the work out of a
//! stock poll. An id missing from the snapshot (a location created since)
//! triggers a reload, so new locations show at once; any change to the
//! locations heard here (a commit of this replica or another's) reloads
//! them, and so does the TTL.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use entity::location;
use sea_orm::{DatabaseConnection, EntityTrait};

use crate::db::changes::{self, Key, Registry, Table};
use crate::error::AppResult;

pub type LocationMap = Arc<HashMap<i64, Arc<location::Model>>>;

pub struct LocationDirectory {
    ttl: Duration,
    changes: Arc<Registry>,
    /// When read, at which epoch, what.
    snapshot: RwLock<Option<(Instant, u64, LocationMap)>>,
}

impl LocationDirectory {
    pub fn new(ttl: Duration, changes: Arc<Registry>) -> Self {
        Self {
            ttl,
            changes,
            snapshot: RwLock::new(None),
        }
    }

    /// Every location, by id, holding `ids` unless they do not exist.
    pub async fn covering(
        &self,
        db: &DatabaseConnection,
        ids: impl IntoIterator<Item = i64>,
    ) -> AppResult<LocationMap> {
        // What is shown of a location comes from here, not from a
        // statement of the request: its answer depends on the table.
        changes::depends_on([Key::Table(Table::LOCATION)]);
        let changed = self.changes.changed_key(Key::Table(Table::LOCATION));
        let current = self.snapshot.read().ok().and_then(|s| {
            s.as_ref()
                .filter(|(at, epoch, _)| at.elapsed() < self.ttl && changed <= *epoch)
                .map(|(_, _, m)| m.clone())
        });
        if let Some(map) = current
            && ids.into_iter().all(|id| map.contains_key(&id))
        {
            return Ok(map);
        }
        self.reload(db).await
    }

    async fn reload(&self, db: &DatabaseConnection) -> AppResult<LocationMap> {
        let epoch = self.changes.epoch();
        let map: LocationMap = Arc::new(
            location::Entity::find()
                .all(db)
                .await?
                .into_iter()
                .map(|l| (l.id, Arc::new(l)))
                .collect(),
        );
        if let Ok(mut snapshot) = self.snapshot.write() {
            *snapshot = Some((Instant::now(), epoch, map.clone()));
        }
        Ok(map)
    }
}
