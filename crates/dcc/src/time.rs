//! Timestamps as Unix seconds, without a clock: the library never reads the time.
//!
//! The calendar work is `jiff`'s (the workspace's date library); this module only adapts its
//! parser to the lenient forms the dgc-testdata vectors use and formats in one fixed shape.

use jiff::Timestamp;
use jiff::civil::{Date, Time};
use jiff::fmt::temporal::{Pieces, PiecesOffset};
use jiff::tz::Offset;

/// Parses an ISO 8601 / RFC 3339 timestamp leniently into Unix seconds.
///
/// Why lenient: the dgc-testdata vectors write `VALIDATIONCLOCK` in many ways. Accepts `Z`,
/// `+02:00`, `+0000`, no zone at all (read as UTC), fractional seconds (truncated), or a bare
/// date (midnight UTC). Returns `None` for anything else.
pub fn parse_timestamp(s: &str) -> Option<i64> {
    let pieces = Pieces::parse(s.trim()).ok()?;
    // Zone annotations such as `[Europe/Paris]` are not part of RFC 3339.
    if pieces.time_zone_annotation().is_some() {
        return None;
    }
    let offset = match pieces.offset() {
        None | Some(PiecesOffset::Zulu) => Offset::UTC,
        Some(PiecesOffset::Numeric(n)) => n.offset(),
        Some(_) => return None,
    };
    let time = pieces.time().unwrap_or(Time::midnight());
    let ts = offset.to_timestamp(pieces.date().to_datetime(time)).ok()?;
    Some(ts.as_second())
}

/// Formats Unix seconds as an RFC 3339 UTC timestamp (for messages and issued test entries).
///
/// Why this shape: the DCC schema's `sc` field and our messages use whole seconds and `Z`.
/// Times beyond jiff's range (years -9999..=9999) are clamped to its ends.
pub fn format_timestamp(t: i64) -> String {
    let ts = Timestamp::from_second(t).unwrap_or(if t < 0 {
        Timestamp::MIN
    } else {
        Timestamp::MAX
    });
    ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The UTC calendar date of Unix seconds `t`, or `None` beyond jiff's range.
pub(crate) fn utc_date(t: i64) -> Option<Date> {
    Timestamp::from_second(t)
        .ok()
        .map(|ts| Offset::UTC.to_datetime(ts).date())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_vector_clock_formats() {
        let base = 1_622_570_400; // 2021-06-01T18:00:00Z
        assert_eq!(parse_timestamp("2021-06-01T20:00:00+02:00"), Some(base));
        assert_eq!(parse_timestamp("2021-06-01T18:00:00Z"), Some(base));
        assert_eq!(parse_timestamp("2021-06-01T18:00:00+0000"), Some(base));
        assert_eq!(parse_timestamp("2021-06-01T18:00:00"), Some(base));
        assert_eq!(parse_timestamp("2021-06-01T18:00:00.9906293Z"), Some(base));
        assert_eq!(parse_timestamp("2021-06-01T21:00:00.120+03:00"), Some(base));
        assert_eq!(parse_timestamp("2021-06-01t18:00:00z"), Some(base));
        assert_eq!(parse_timestamp("2021-06-01 18:00:00Z"), Some(base));
        assert_eq!(parse_timestamp(" 2021-06-01T18:00:00Z\n"), Some(base));
        assert_eq!(parse_timestamp("2021-06-01"), Some(base - 18 * 3600));
        assert_eq!(parse_timestamp("2021-13-01"), None);
        assert_eq!(parse_timestamp("2021-02-30"), None);
        assert_eq!(parse_timestamp("garbage"), None);
        assert_eq!(parse_timestamp("2021-06-01T18:00:00+ab:cd"), None);
        assert_eq!(parse_timestamp("2021-06-01T18:00:00Z[Europe/Paris]"), None);
        assert_eq!(format_timestamp(base), "2021-06-01T18:00:00Z");
        assert_eq!(format_timestamp(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_timestamp(-1), "1969-12-31T23:59:59Z");
        for t in [0, base, 951_782_400, 1_795_000_000] {
            assert_eq!(parse_timestamp(&format_timestamp(t)), Some(t));
        }
        let d = utc_date(951_782_400).expect("in range"); // 2000-02-29
        assert_eq!((d.year(), d.month(), d.day()), (2000, 2, 29));
        assert!(utc_date(i64::MAX).is_none());
    }
}
