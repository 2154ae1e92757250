//! Rate limits on the two doors a stranger can knock at without an account:
//! logging in (password guessing) and registering (probing who is
//! registered).
//!
//! Each limit is a token bucket (GCRA, from `governor`): `burst` attempts at
//! once, then one more every `every` seconds. A person who mistypes waits a
//! few seconds and is never locked out, while a guesser gets a few attempts a
//! minute. Accounts are keyed by the blind index of the identifier typed, so
//! an unknown account is limited exactly like a known one and memory never
//! holds a document or phone number; addresses by IPv4 address or IPv6 /64.

use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use aws_lc_rs::digest;
use governor::clock::{Clock, DefaultClock};
use governor::state::keyed::HashMapStateStore;
use governor::{Quota, RateLimiter};
use healthcode_store::LoginKey;

use crate::config::{Rate, RateLimits};
use crate::error::Error;

/// Buckets above this many keys are swept of full (idle) ones, bounding memory.
const SWEEP_ABOVE: usize = 100_000;

/// The service's rate limits, shared by every request.
pub struct Limits {
    login_account: Bucket<[u8; 32]>,
    login_address: Bucket<AddressKey>,
    register_address: Bucket<AddressKey>,
}

impl Limits {
    pub fn new(config: &RateLimits) -> Limits {
        Limits {
            login_account: Bucket::new(config.login_account),
            login_address: Bucket::new(config.login_address),
            register_address: Bucket::new(config.register_address),
        }
    }

    /// Counts a login attempt from `from` (when known) for the account `key`
    /// names, refusing it when either bucket is empty.
    pub(crate) fn login(&self, key: &LoginKey, from: Option<IpAddr>) -> Result<(), Error> {
        if let Some(address) = from {
            self.login_address.take(AddressKey::of(address))?;
        }
        self.login_account.take(account_key(key))
    }

    /// Counts a registration attempt from `from` (when known).
    pub(crate) fn registration(&self, from: Option<IpAddr>) -> Result<(), Error> {
        match from {
            Some(address) => self.register_address.take(AddressKey::of(address)),
            None => Ok(()),
        }
    }
}

/// One keyed token bucket.
struct Bucket<K: Hash + Eq + Clone> {
    limiter: RateLimiter<K, HashMapStateStore<K>, DefaultClock>,
    clock: DefaultClock,
}

impl<K: Hash + Eq + Clone> Bucket<K> {
    fn new(rate: Rate) -> Bucket<K> {
        let burst = NonZeroU32::new(rate.burst).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::with_period(Duration::from_secs(rate.every.max(1)))
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
            .allow_burst(burst);
        Bucket {
            limiter: RateLimiter::hashmap(quota),
            clock: DefaultClock::default(),
        }
    }

    fn take(&self, key: K) -> Result<(), Error> {
        if self.limiter.len() > SWEEP_ABOVE {
            self.limiter.retain_recent();
        }
        self.limiter
            .check_key(&key)
            .map_err(|not_until| Error::rate_limited(not_until.wait_time_from(self.clock.now())))
    }
}

/// A source address as a rate limit sees it: one IPv4 address, or one IPv6
/// /64 (what one subscriber usually holds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum AddressKey {
    V4(u32),
    V6(u64),
}

impl AddressKey {
    fn of(address: IpAddr) -> AddressKey {
        match address {
            IpAddr::V4(v4) => AddressKey::V4(u32::from(v4)),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => AddressKey::V4(u32::from(v4)),
                None => AddressKey::V6((u128::from(v6) >> 64) as u64),
            },
        }
    }
}

/// A digest of the blind indexes (or username) a login names: the same for
/// every spelling that reaches the same account, and no personal data.
fn account_key(key: &LoginKey) -> [u8; 32] {
    let mut context = digest::Context::new(&digest::SHA256);
    match key {
        LoginKey::Document(indexes) => {
            context.update(b"document");
            for index in indexes {
                context.update(&(index.len() as u64).to_be_bytes());
                context.update(index);
            }
        }
        LoginKey::Phone(index) => {
            context.update(b"phone");
            context.update(index);
        }
        LoginKey::Username(name) => {
            context.update(b"username");
            context.update(name.to_lowercase().as_bytes());
        }
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(context.finish().as_ref());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    fn limits(burst: u32, every: u64) -> Limits {
        let rate = Rate { burst, every };
        Limits::new(&RateLimits {
            login_account: rate,
            login_address: Rate {
                burst: 1000,
                every: 1,
            },
            register_address: rate,
        })
    }

    #[test]
    fn an_account_gets_its_burst_then_waits_for_the_refill() {
        let limits = limits(3, 60);
        let key = LoginKey::Phone(vec![1, 2, 3]);
        for _ in 0..3 {
            assert!(limits.login(&key, None).is_ok());
        }
        let refused = limits.login(&key, None).expect_err("fourth attempt");
        assert_eq!(refused.code(), ErrorCode::RequestRateLimited);
        let wait = refused.retry_after().expect("retry after");
        assert!((1..=60).contains(&wait), "{wait}");
        // Another account is not affected.
        assert!(limits.login(&LoginKey::Phone(vec![9]), None).is_ok());
    }

    #[test]
    fn addresses_share_a_bucket_per_ipv6_64() {
        let limits = limits(1, 60);
        let a: IpAddr = "2001:db8::1".parse().expect("ip");
        let b: IpAddr = "2001:db8::2".parse().expect("ip");
        let c: IpAddr = "2001:db8:0:1::1".parse().expect("ip");
        assert!(limits.registration(Some(a)).is_ok());
        assert!(limits.registration(Some(b)).is_err());
        assert!(limits.registration(Some(c)).is_ok());
        assert!(limits.registration(None).is_ok());
    }

    #[test]
    fn usernames_are_limited_whatever_their_case() {
        let limits = limits(1, 60);
        assert!(
            limits
                .login(&LoginKey::Username("Auditor".into()), None)
                .is_ok()
        );
        assert!(
            limits
                .login(&LoginKey::Username("auditor".into()), None)
                .is_err()
        );
    }
}
