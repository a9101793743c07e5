//! Answers to queries kept until something they read changes.
//!
//! A query's answer depends on the request, on who asks (partner and
//! effective scopes), on the day (a certificate's validity turns with it),
//! and on the data. The first three make the key. For the data, the
//! request is tracked while it runs (`crate::db::changes`): the tables it
//! read, or where the domain says so the keys within them (a product, a
//! product's stock, a partner's orders, the set of products a page may
//! list). The answer is kept with those dependencies and the epoch read
//! before it ran, and served again only while none of them has changed
//! since, here or (heard through NOTIFY) on another replica. A commit
//! retires only the answers it touches.
//!
//! The `ETag` of a kept answer is made from its key and the last epoch
//! that changed anything it depends on, so it stays the same while the
//! answer does (even when the answer is computed again), and an unchanged
//! poll is a 304 decided in memory.
//!
//! Only queries without errors are kept (never a mutation), each at most
//! `MAX_BODY` bytes, in a bounded least-recently-used cache.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::body::Bytes;
use axum::http::HeaderValue;
use sha2::{Digest, Sha256};

use crate::auth::Viewer;
use crate::db::changes::{Deps, Registry};
use crate::recent::{Key, Recent};

/// Larger answers are not kept: a few pages of a catalogue sync, not a
/// whole export.
const MAX_BODY: usize = 256 * 1024;

pub struct Responses {
    entries: Option<Recent<Arc<Kept>>>,
    boot_id: u64,
}

struct Kept {
    /// The epoch before it was computed: it holds while nothing in `deps`
    /// changed after this.
    since: u64,
    deps: Deps,
    /// The last epoch at which it was found to hold: while nothing at all
    /// has changed since, it holds without looking at `deps` again.
    checked: AtomicU64,
    body: Bytes,
    tag: Option<HeaderValue>,
}

/// Where a request stands with the cache.
pub struct Lookup {
    key: Key,
    /// The epoch before anything ran; `None`: not known, nothing is kept.
    pub since: Option<u64>,
}

/// A kept answer, found still holding.
pub struct Hit {
    pub body: Bytes,
    pub tag: Option<HeaderValue>,
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
        since: Option<u64>,
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
            since,
        }
    }

    /// Bytes of the answers kept now.
    pub fn bytes(&self) -> usize {
        self.entries.as_ref().map_or(0, Recent::bytes)
    }

    /// The `ETag` of the answer to `lookup` as of `changed`, the last
    /// epoch that changed what it depends on.
    fn tag(&self, lookup: &Lookup, changed: u64) -> Option<HeaderValue> {
        let mut h = Sha256::new();
        h.update(self.boot_id.to_le_bytes());
        h.update(changed.to_le_bytes());
        h.update(lookup.key);
        let digest = h.finalize();
        let hex: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
        HeaderValue::from_str(&format!("\"{hex}\"")).ok()
    }

    /// The kept answer, if nothing it read has changed since.
    pub fn get(&self, lookup: &Lookup, changes: &Registry) -> Option<Hit> {
        let now = lookup.since?;
        let kept = self.entries.as_ref()?.get(&lookup.key)?;
        if kept.checked.load(Ordering::Acquire) != now {
            // Something changed somewhere: did it touch this answer? (A
            // change after `now` may be seen too: then it is retired, as
            // it must be soon anyway.)
            if changes.changed(&kept.deps)? > kept.since {
                return None;
            }
            kept.checked.store(now, Ordering::Release);
        }
        Some(Hit {
            body: kept.body.clone(),
            tag: kept.tag.clone(),
        })
    }

    /// Keeps an answer computed from `lookup.since` on, that read `deps`;
    /// its `ETag`. Nothing is kept, and there is no tag, when something it
    /// read changed while it ran (it may have seen half of it) or when the
    /// epoch cannot be known.
    pub fn keep(
        &self,
        lookup: &Lookup,
        deps: Deps,
        body: &Bytes,
        changes: &Registry,
    ) -> Option<HeaderValue> {
        let since = lookup.since?;
        let changed = changes.changed(&deps)?;
        if changed > since {
            return None;
        }
        let tag = self.tag(lookup, changed);
        if let Some(entries) = &self.entries
            && body.len() <= MAX_BODY
        {
            entries.insert_sized(
                lookup.key,
                Arc::new(Kept {
                    since,
                    checked: AtomicU64::new(since),
                    deps,
                    body: body.clone(),
                    tag: tag.clone(),
                }),
                body.len(),
            );
        }
        tag
    }
}
