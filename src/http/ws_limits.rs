//! Bounds on WebSockets, taken before a socket costs anything: sockets not
//! yet initialised, in all and per client address (a stranger opening
//! thousands would exhaust file descriptors before any token is seen), and
//! initialised sockets per partner. Each place is a guard that gives it
//! back when dropped, however the socket ends.

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use dashmap::DashMap;

pub struct SocketLimits {
    pending: AtomicUsize,
    max_pending: usize,
    pending_by_address: DashMap<IpAddr, usize>,
    max_pending_per_address: usize,
    by_partner: DashMap<i64, usize>,
    max_per_partner: usize,
}

impl SocketLimits {
    pub fn new(
        max_pending: usize,
        max_pending_per_address: usize,
        max_per_partner: usize,
    ) -> Arc<Self> {
        Arc::new(Self {
            pending: AtomicUsize::new(0),
            max_pending: max_pending.max(1),
            pending_by_address: DashMap::new(),
            max_pending_per_address: max_pending_per_address.max(1),
            by_partner: DashMap::new(),
            max_per_partner: max_per_partner.max(1),
        })
    }

    /// A place for a socket from `address` until it initialises, or None
    /// when that address or the whole gateway has too many waiting.
    pub fn pending(self: &Arc<Self>, address: IpAddr) -> Option<Pending> {
        if self.pending.fetch_add(1, Ordering::AcqRel) >= self.max_pending {
            self.pending.fetch_sub(1, Ordering::AcqRel);
            return None;
        }
        let mut n = self.pending_by_address.entry(address).or_insert(0);
        if *n >= self.max_pending_per_address {
            drop(n);
            self.pending.fetch_sub(1, Ordering::AcqRel);
            return None;
        }
        *n += 1;
        Some(Pending {
            limits: self.clone(),
            address,
        })
    }

    /// A place for an initialised socket of `partner_id`, or None when it
    /// holds as many as it may.
    pub fn partner(self: &Arc<Self>, partner_id: i64) -> Option<PartnerSocket> {
        let mut n = self.by_partner.entry(partner_id).or_insert(0);
        if *n >= self.max_per_partner {
            return None;
        }
        *n += 1;
        Some(PartnerSocket {
            limits: self.clone(),
            partner_id,
        })
    }

    pub fn pending_now(&self) -> usize {
        self.pending.load(Ordering::Acquire)
    }
}

pub struct Pending {
    limits: Arc<SocketLimits>,
    address: IpAddr,
}

impl Drop for Pending {
    fn drop(&mut self) {
        self.limits.pending.fetch_sub(1, Ordering::AcqRel);
        // Emptied entries are removed, so a scan of addresses leaves nothing.
        self.limits
            .pending_by_address
            .remove_if_mut(&self.address, |_, n| {
                *n -= 1;
                *n == 0
            });
    }
}

pub struct PartnerSocket {
    limits: Arc<SocketLimits>,
    partner_id: i64,
}

impl Drop for PartnerSocket {
    fn drop(&mut self) {
        self.limits
            .by_partner
            .remove_if_mut(&self.partner_id, |_, n| {
                *n -= 1;
                *n == 0
            });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_are_bounded_and_given_back() {
        let limits = SocketLimits::new(3, 2, 1);
        let a: IpAddr = [10, 0, 0, 1].into();
        let b: IpAddr = [10, 0, 0, 2].into();
        let a1 = limits.pending(a);
        let a2 = limits.pending(a);
        assert!(a1.is_some() && a2.is_some());
        assert!(limits.pending(a).is_none(), "two per address");
        let b1 = limits.pending(b);
        assert!(b1.is_some());
        assert!(limits.pending(b).is_none(), "three in all");
        drop(a1);
        assert!(
            limits.pending(b).is_some(),
            "a place given back is taken again"
        );
        drop((a2, b1));
        assert!(limits.pending_by_address.len() <= 1);

        let p = limits.partner(7);
        assert!(p.is_some());
        assert!(limits.partner(7).is_none(), "one per partner");
        assert!(limits.partner(8).is_some(), "another partner's own");
        drop(p);
        assert!(limits.partner(7).is_some());
    }
}
