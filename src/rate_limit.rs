//! Per-partner rate limiting: two token buckets (GCRA) per partner, one for
//! requests and one for query cost (async-graphql's complexity score). The
//! request bucket is checked right after the token is verified, before any
//! SQL; the cost bucket once the query is validated, before any resolver
//! runs. So one partner's flood costs the others nothing.
//!
//! Each partner's rates come from its `rate_limit_rps` and
//! `query_cost_per_sec` columns, or the gateway's defaults. Limits are per
//! replica: with N replicas behind a balancer, a partner gets up to N times
//! the rate.

use std::num::NonZeroU32;
use std::sync::Arc;

use dashmap::DashMap;
use entity::partner;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter};

/// One partner's rates; 0 turns a bucket off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub requests_per_sec: u32,
    pub request_burst: u32,
    pub cost_per_sec: u32,
    pub cost_burst: u32,
}

/// One partner's two buckets, built for the limits they were made with.
pub struct Budget {
    limits: Limits,
    requests: Option<DefaultDirectRateLimiter>,
    cost: Option<DefaultDirectRateLimiter>,
}

fn bucket(rate: u32, burst: u32) -> Option<DefaultDirectRateLimiter> {
    let rate = NonZeroU32::new(rate)?;
    let burst = NonZeroU32::new(burst.max(rate.get())).unwrap_or(rate);
    Some(RateLimiter::direct(
        Quota::per_second(rate).allow_burst(burst),
    ))
}

fn whole_seconds(wait: std::time::Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

impl Budget {
    fn new(limits: Limits) -> Self {
        Self {
            limits,
            requests: bucket(limits.requests_per_sec, limits.request_burst),
            cost: bucket(limits.cost_per_sec, limits.cost_burst),
        }
    }

    /// Takes one request; Err holds the whole seconds to wait.
    pub fn take_request(&self) -> Result<(), u64> {
        let Some(bucket) = &self.requests else {
            return Ok(());
        };
        bucket.check().map_err(|not_until| {
            whole_seconds(not_until.wait_time_from(DefaultClock::default().now()))
        })
    }

    /// Spends `cost` units of query cost; Err holds the whole seconds to wait.
    pub fn spend(&self, cost: usize) -> Result<(), u64> {
        let (Some(bucket), Some(cost)) = (
            &self.cost,
            NonZeroU32::new(u32::try_from(cost).unwrap_or(u32::MAX)),
        ) else {
            return Ok(());
        };
        match bucket.check_n(cost) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(not_until)) => Err(whole_seconds(
                not_until.wait_time_from(DefaultClock::default().now()),
            )),
            // Costlier than the whole bucket: cannot happen while the burst
            // is at least the complexity limit, which `PartnerLimiter` ensures.
            Err(_) => Err(1),
        }
    }
}

pub struct PartnerLimiter {
    defaults: Limits,
    /// The cost burst never goes below this, so any query the complexity
    /// limit admits can eventually run.
    min_cost_burst: u32,
    budgets: DashMap<i64, Arc<Budget>>,
}

impl PartnerLimiter {
    pub fn new(defaults: Limits, max_complexity: usize) -> Self {
        Self {
            defaults,
            min_cost_burst: u32::try_from(max_complexity).unwrap_or(u32::MAX),
            budgets: DashMap::new(),
        }
    }

    /// The limits in force for `partner`: its own rates where set (with a
    /// burst of two seconds' worth), else the gateway's defaults.
    pub fn limits_for(&self, partner: &partner::Model) -> Limits {
        let own = |v: Option<i32>| v.and_then(|v| u32::try_from(v).ok()).filter(|v| *v > 0);
        let mut limits = self.defaults;
        if let Some(rps) = own(partner.rate_limit_rps) {
            limits.requests_per_sec = rps;
            limits.request_burst = rps.saturating_mul(2);
        }
        if let Some(cost) = own(partner.query_cost_per_sec) {
            limits.cost_per_sec = cost;
            limits.cost_burst = cost.saturating_mul(2);
        }
        limits.cost_burst = limits.cost_burst.max(self.min_cost_burst);
        limits
    }

    /// The partner's buckets, rebuilt when its configured limits changed.
    pub fn budget(&self, partner: &partner::Model) -> Arc<Budget> {
        let limits = self.limits_for(partner);
        if let Some(budget) = self.budgets.get(&partner.id)
            && budget.limits == limits
        {
            return budget.clone();
        }
        let budget = Arc::new(Budget::new(limits));
        self.budgets.insert(partner.id, budget.clone());
        budget
    }
}

/// Requests without a token, metered per client address: they can only
/// introspect, but nothing else would bound how often.
pub struct AddressLimiter(Option<DefaultKeyedRateLimiter<std::net::IpAddr>>);

impl AddressLimiter {
    /// `rate` per second with `burst`; a zero rate turns it off.
    pub fn new(rate: u32, burst: u32) -> Self {
        Self(NonZeroU32::new(rate).map(|rate| {
            let burst = NonZeroU32::new(burst.max(rate.get())).unwrap_or(rate);
            RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst))
        }))
    }

    /// Takes one request for `address`; Err holds the whole seconds to wait.
    pub fn take(&self, address: std::net::IpAddr) -> Result<(), u64> {
        let Some(limiter) = &self.0 else {
            return Ok(());
        };
        // Forget addresses whose bucket is full again, so a scan from many
        // addresses cannot grow the map without bound.
        if limiter.len() > 10_000 {
            limiter.retain_recent();
        }
        limiter.check_key(&address).map_err(|not_until| {
            whole_seconds(not_until.wait_time_from(DefaultClock::default().now()))
        })
    }
}
