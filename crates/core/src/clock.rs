//! Time enters the service here and nowhere else, so expiry is testable without sleeping.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::{Offset, TimeZone};

/// The source of the current time.
pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;
}

/// The system clock.
pub struct SystemClock;

impl Clock for SystemClock {
    // The one place the service reads the ambient clock.
    #[allow(clippy::disallowed_methods)]
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// A clock that stands still until moved; for tests and simulations.
#[derive(Clone)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    pub fn at(seconds: i64) -> ManualClock {
        ManualClock(Arc::new(AtomicI64::new(seconds)))
    }

    pub fn advance(&self, seconds: i64) {
        self.0.fetch_add(seconds, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_second(self.0.load(Ordering::SeqCst)).unwrap_or(Timestamp::UNIX_EPOCH)
    }
}

/// The calendar date in China Standard Time (UTC+8 all year; China has not used
/// daylight saving time since 1991), used for birth-date checks.
pub fn china_date(now: Timestamp) -> Date {
    let cst = TimeZone::fixed(Offset::constant(8));
    now.to_zoned(cst).date()
}

/// Unix seconds as a timestamp; out-of-range values clamp to the epoch.
pub fn timestamp(seconds: i64) -> Timestamp {
    Timestamp::from_second(seconds).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// Unix seconds as RFC 3339 UTC text.
pub fn rfc3339(seconds: i64) -> String {
    timestamp(seconds).to_string()
}
