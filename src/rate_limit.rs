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
use governor::middleware::NoOpMiddleware;
use governor::state::{InMemoryState, NotKeyed};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// One partner's rates; 0 turns a bucket off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub requests_per_sec: u32,
    pub request_burst: u32,
    pub cost_per_sec: u32,
    pub cost_burst: u32,
}

type Bucket<C> = RateLimiter<NotKeyed, InMemoryState, C, NoOpMiddleware<<C as Clock>::Instant>>;

/// One partner's two buckets, built for the limits they were made with. The
/// clock is the real one but in the limiter's own tests.
pub struct Budget<C: Clock = DefaultClock> {
    limits: Limits,
    clock: C,
    requests: Option<Bucket<C>>,
    cost: Option<Bucket<C>>,
}

fn bucket<C: Clock + Clone>(rate: u32, burst: u32, clock: &C) -> Option<Bucket<C>> {
    let rate = NonZeroU32::new(rate)?;
    let burst = NonZeroU32::new(burst.max(rate.get())).unwrap_or(rate);
    Some(RateLimiter::direct_with_clock(
        Quota::per_second(rate).allow_burst(burst),
        clock.clone(),
    ))
}

fn whole_seconds(wait: std::time::Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

impl Budget {
    fn new(limits: Limits) -> Self {
        Self::with_clock(limits, DefaultClock::default())
    }
}

impl<C: Clock + Clone> Budget<C> {
    fn with_clock(limits: Limits, clock: C) -> Self {
        Self {
            limits,
            requests: bucket(limits.requests_per_sec, limits.request_burst, &clock),
            cost: bucket(limits.cost_per_sec, limits.cost_burst, &clock),
            clock,
        }
    }

    /// Takes one request; Err holds the whole seconds to wait.
    pub fn take_request(&self) -> Result<(), u64> {
        let Some(bucket) = &self.requests else {
            return Ok(());
        };
        bucket
            .check()
            .map_err(|not_until| whole_seconds(not_until.wait_time_from(self.clock.now())))
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
            Ok(Err(not_until)) => Err(whole_seconds(not_until.wait_time_from(self.clock.now()))),
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

#[cfg(test)]
mod tests {
    use super::*;
    use governor::clock::FakeRelativeClock;
    use std::time::Duration;

    fn limits(rps: u32, burst: u32, cost: u32) -> Limits {
        Limits {
            requests_per_sec: rps,
            request_burst: burst,
            cost_per_sec: cost,
            cost_burst: cost,
        }
    }

    #[test]
    fn requests_beyond_the_burst_wait_for_the_refill() {
        let clock = FakeRelativeClock::default();
        let budget = Budget::with_clock(limits(1, 2, 0), clock.clone());
        assert_eq!(budget.take_request(), Ok(()));
        assert_eq!(budget.take_request(), Ok(()));
        assert_eq!(budget.take_request(), Err(1), "the burst is spent");
        clock.advance(Duration::from_millis(999));
        assert_eq!(
            budget.take_request(),
            Err(1),
            "a refill takes a whole second"
        );
        clock.advance(Duration::from_millis(1));
        assert_eq!(budget.take_request(), Ok(()));
        assert_eq!(budget.take_request(), Err(1));
        clock.advance(Duration::from_secs(10));
        assert_eq!(budget.take_request(), Ok(()));
        assert_eq!(budget.take_request(), Ok(()), "refilled up to the burst");
        assert_eq!(budget.take_request(), Err(1), "and no further");
    }

    #[test]
    fn query_cost_is_spent_from_its_own_bucket() {
        let clock = FakeRelativeClock::default();
        let budget = Budget::with_clock(limits(1_000, 1_000, 100), clock.clone());
        assert_eq!(budget.spend(60), Ok(()));
        assert_eq!(budget.spend(60), Err(1), "40 left of 100");
        assert_eq!(budget.take_request(), Ok(()), "requests are untouched");
        clock.advance(Duration::from_millis(200));
        assert_eq!(budget.spend(60), Ok(()), "20 refilled: 60 again");
        assert_eq!(budget.spend(0), Ok(()), "nothing costs nothing");
    }

    #[test]
    fn a_zero_rate_turns_a_bucket_off() {
        let budget = Budget::with_clock(limits(0, 0, 0), FakeRelativeClock::default());
        for _ in 0..1_000 {
            assert_eq!(budget.take_request(), Ok(()));
            assert_eq!(budget.spend(1_000_000), Ok(()));
        }
    }
}
