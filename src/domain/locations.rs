//! Stock locations, held in memory. There are a hundred or so, they change
//! rarely, and every stock read names them: reading them once instead of
//! joining them into every stock query takes most of the work out of a
//! stock poll. An id missing from the snapshot (a location created since)
//! triggers a reload, so new locations show at once; renames show within the
//! TTL.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use entity::location;
use sea_orm::{DatabaseConnection, EntityTrait};

use crate::error::AppResult;

pub type LocationMap = Arc<HashMap<i64, Arc<location::Model>>>;

pub struct LocationDirectory {
    ttl: Duration,
    snapshot: RwLock<Option<(Instant, LocationMap)>>,
}

impl LocationDirectory {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            snapshot: RwLock::new(None),
        }
    }

    /// Every location, by id, holding `ids` unless they do not exist.
    pub async fn covering(
        &self,
        db: &DatabaseConnection,
        ids: impl IntoIterator<Item = i64>,
    ) -> AppResult<LocationMap> {
        let current = self.snapshot.read().ok().and_then(|s| {
            s.as_ref()
                .filter(|(at, _)| at.elapsed() < self.ttl)
                .map(|(_, m)| m.clone())
        });
        if let Some(map) = current
            && ids.into_iter().all(|id| map.contains_key(&id))
        {
            return Ok(map);
        }
        self.reload(db).await
    }

    async fn reload(&self, db: &DatabaseConnection) -> AppResult<LocationMap> {
        let map: LocationMap = Arc::new(
            location::Entity::find()
                .all(db)
                .await?
                .into_iter()
                .map(|l| (l.id, Arc::new(l)))
                .collect(),
        );
        if let Ok(mut snapshot) = self.snapshot.write() {
            *snapshot = Some((Instant::now(), map.clone()));
        }
        Ok(map)
    }
}
