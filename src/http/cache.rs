//! Answers to queries kept for as long as nothing is committed.
//!
//! A query's answer depends on the request, on who asks (partner and
//! effective scopes), on the day (a certificate's validity turns with it),
//! and on the data. The first three make the key; the data is the version
//! this replica knows (`crate::db::DataVersion`), read before the query
//! runs and stored with the answer. An answer is served again only while
//! the version is still the one it was computed at, so no answer outlives
//! a commit this replica has seen. The same key and version make a GET's
//! `ETag`, so an unchanged poll is a 304 without even the body.
//!
//! Only queries without errors are kept (never a mutation), each at most
//! `MAX_BODY` bytes, in a bounded least-recently-used cache.

use std::sync::Arc;

use axum::body::Bytes;
use axum::http::HeaderValue;
use sha2::{Digest, Sha256};

use crate::auth::Viewer;
use crate::recent::{Key, Recent};

/// Larger answers are not kept: a few pages of a catalogue sync, not a
/// whole export.
const MAX_BODY: usize = 256 * 1024;

pub struct Responses {
    entries: Option<Recent<Arc<Kept>>>,
    boot_id: u64,
}

struct Kept {
    epoch: u64,
    body: Bytes,
}

/// Where a request stands with the cache.
pub struct Lookup {
    key: Key,
    /// The version before anything ran; `None`: not known, nothing is kept.
    pub epoch: Option<u64>,
}

impl Responses {
    /// `capacity` 0 keeps nothing (tags are still given); the answers kept
    /// take at most `max_bytes` in all.
    pub fn new(capacity: usize, max_bytes: usize) -> Self {
        Self {
            entries: (capacity > 0).then(|| Recent::with_bytes(capacity, max_bytes)),
            boot_id: uuid::Uuid::new_v4().as_u64_pair().0,
        }
    }

    /// The key of a request: who asks, the day, the media type, the
    /// request as sent (body or URL query).
    pub fn lookup(
        &self,
        epoch: Option<u64>,
        viewer: Option<&Viewer>,
        media: u8,
        request: &[u8],
    ) -> Lookup {
        let mut h = Sha256::new();
        if let Some(v) = viewer {
            h.update(v.partner_id().to_le_bytes());
            for scope in v.scopes.iter() {
                h.update(scope.as_str().as_bytes());
                h.update([0]);
            }
        }
        h.update([0xff]);
        h.update(
            crate::domain::clock::business_today()
                .to_string()
                .as_bytes(),
        );
        h.update([media]);
        h.update(request);
        Lookup {
            key: h.finalize().into(),
            epoch,
        }
    }

    /// Bytes of the answers kept now.
    pub fn bytes(&self) -> usize {
        self.entries.as_ref().map_or(0, Recent::bytes)
    }

    /// The `ETag` of the answer at this version.
    pub fn tag(&self, lookup: &Lookup) -> Option<HeaderValue> {
        let epoch = lookup.epoch?;
        let mut h = Sha256::new();
        h.update(self.boot_id.to_le_bytes());
        h.update(epoch.to_le_bytes());
        h.update(lookup.key);
        let digest = h.finalize();
        let hex: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
        HeaderValue::from_str(&format!("\"{hex}\"")).ok()
    }

    /// The kept answer, if computed at the current version.
    pub fn get(&self, lookup: &Lookup) -> Option<Bytes> {
        let epoch = lookup.epoch?;
        let kept = self.entries.as_ref()?.get(&lookup.key)?;
        (kept.epoch == epoch).then(|| kept.body.clone())
    }

    pub fn keep(&self, lookup: &Lookup, body: &Bytes) {
        if let (Some(entries), Some(epoch)) = (&self.entries, lookup.epoch)
            && body.len() <= MAX_BODY
        {
            entries.insert_sized(
                lookup.key,
                Arc::new(Kept {
                    epoch,
                    body: body.clone(),
                }),
                body.len(),
            );
        }
    }
}
