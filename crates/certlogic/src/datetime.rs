//! CertLogic date-times: parsing of the DCC date(-time) formats, `plusTime` offsetting and
//! `dccDateOfBirth`, on a millisecond UTC timeline exactly like a JavaScript `Date`.
//!
//! Everything here is hand-written fixed-format code: the allowed formats are a closed set
//! (specification 1.3.3, "Offset date-time"), every input carries its own offset (or none,
//! meaning `Z`), so no time-zone database is involved, and parsing is on the hot path of
//! every evaluation that reads a date from the data.

use std::fmt;

/// Milliseconds in a day.
const MS_PER_DAY: i64 = 86_400_000;
/// Milliseconds in an hour.
const MS_PER_HOUR: i64 = 3_600_000;
/// The range of a JavaScript `Date` (ECMA-262 TimeClip): ±100,000,000 days around the epoch.
const MAX_MILLIS: i64 = 8_640_000_000_000_000;
/// Years far outside the `Date` range; checked before calendar arithmetic so it can't overflow.
const MAX_ABS_YEAR: i64 = 400_000;

/// A CertLogic date-time: an instant with millisecond precision, within the range of a
/// JavaScript `Date`, which is what the specification defines `plusTime` in terms of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DateTime {
    millis: i64,
}

/// The time units `plusTime` accepts, so an operation can be checked once and applied cheaply.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TimeUnit {
    /// Calendar years (`setUTCFullYear` semantics: 29 February + 1 year is 1 March).
    Year,
    /// Calendar months (`setUTCMonth` semantics: 31 January + 1 month is 2 or 3 March).
    Month,
    /// Days of exactly 24 hours (UTC, so no DST).
    Day,
    /// Hours.
    Hour,
}

/// The spelling of every time unit, in the order the reference validator lists them in messages.
pub const TIME_UNITS: [&str; 4] = ["year", "month", "day", "hour"];

impl TimeUnit {
    /// Parses the third operand of `plusTime`, so callers need not repeat the spelling.
    pub fn parse(unit: &str) -> Option<Self> {
        match unit {
            "year" => Some(Self::Year),
            "month" => Some(Self::Month),
            "day" => Some(Self::Day),
            "hour" => Some(Self::Hour),
            _ => None,
        }
    }

    /// The CertLogic spelling, for messages and round-tripping.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Year => "year",
            Self::Month => "month",
            Self::Day => "day",
            Self::Hour => "hour",
        }
    }
}

/// Why a date(-time) could not be made, so callers can tell bad input from overflow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateTimeError {
    /// The string is not in one of the formats `plusTime` accepts, or names a non-existent date.
    #[error("not an allowed date or date-time format: {0}")]
    Format(String),
    /// The string is not a DCC date of birth (`YYYY`, `YYYY-MM` or `YYYY-MM-DD`).
    #[error("can't parse \"{0}\" as an EU DCC date-of-birth")]
    DateOfBirth(String),
    /// Offsetting left the range of a JavaScript `Date` (where the reference gives `Invalid Date`).
    #[error("date-time out of range")]
    OutOfRange,
}

impl DateTime {
    /// Wraps milliseconds since 1970-01-01T00:00:00Z; `None` outside the JavaScript `Date` range.
    pub fn from_unix_millis(millis: i64) -> Option<Self> {
        (-MAX_MILLIS..=MAX_MILLIS)
            .contains(&millis)
            .then_some(Self { millis })
    }

    /// Milliseconds since 1970-01-01T00:00:00Z, for callers that keep their own clock.
    pub fn unix_millis(self) -> i64 {
        self.millis
    }

    /// Parses a date(-time) string the way `plusTime` does.
    ///
    /// Accepted: `YYYY`, `YYYY-MM` (both read as by `dccDateOfBirth`: the last day of that year or
    /// month), `YYYY-MM-DD`, and `YYYY-MM-DDThh:mm:ss` with optional fraction `.S…` (truncated to
    /// milliseconds) and optional offset `Z`, `±h`, `±hh`, `±hmm`, `±hhmm`, `±h:mm`, `±hh:mm`
    /// (`Z` when absent). Non-existent dates and times (the specification leaves them undefined)
    /// are rejected.
    pub fn parse(s: &str) -> Result<Self, DateTimeError> {
        let b = s.as_bytes();
        let fail = || DateTimeError::Format(s.to_owned());
        if b.len() <= 10 {
            let (y, m, d) = parse_date(b).ok_or_else(fail)?;
            return Ok(Self::at_midnight(y, m, d));
        }
        parse_date_time(b)
            .map(|millis| Self { millis })
            .ok_or_else(fail)
    }

    /// Converts a DCC date of birth (`YYYY`, `YYYY-MM` or `YYYY-MM-DD`) to midnight UTC of the
    /// last day consistent with it, as the `dccDateOfBirth` operation does.
    pub fn parse_date_of_birth(s: &str) -> Result<Self, DateTimeError> {
        parse_date(s.as_bytes())
            .map(|(y, m, d)| Self::at_midnight(y, m, d))
            .ok_or_else(|| DateTimeError::DateOfBirth(s.to_owned()))
    }

    /// Offsets by `amount` units the way `plusTime` does (JavaScript `setUTC…(getUTC…() + amount)`):
    /// years and months keep the day of the month and let it overflow into the next month
    /// (2020-02-29 + 1 year = 2021-03-01; 2021-01-31 + 1 month = 2021-03-03), days and hours are
    /// exact multiples of 24 h and 1 h.
    pub fn plus(self, amount: i64, unit: TimeUnit) -> Result<Self, DateTimeError> {
        if amount == 0 {
            return Ok(self);
        }
        let millis = match unit {
            TimeUnit::Hour => amount
                .checked_mul(MS_PER_HOUR)
                .and_then(|delta| self.millis.checked_add(delta)),
            TimeUnit::Day => amount
                .checked_mul(MS_PER_DAY)
                .and_then(|delta| self.millis.checked_add(delta)),
            TimeUnit::Month => self.plus_months(amount),
            TimeUnit::Year => self.plus_years(amount),
        };
        millis
            .and_then(Self::from_unix_millis)
            .ok_or(DateTimeError::OutOfRange)
    }

    /// Formats as JavaScript's `Date.prototype.toISOString` does (`YYYY-MM-DDThh:mm:ss.sssZ`), which
    /// is also how a date-time result appears when serialised to JSON.
    pub fn to_iso_string(self) -> String {
        self.to_string()
    }

    fn at_midnight(y: i64, m: u32, d: u32) -> Self {
        Self {
            millis: days_from_civil(y, m, d) * MS_PER_DAY,
        }
    }

    fn split(self) -> (i64, i64) {
        (
            self.millis.div_euclid(MS_PER_DAY),
            self.millis.rem_euclid(MS_PER_DAY),
        )
    }

    fn plus_months(self, amount: i64) -> Option<i64> {
        let (days, time) = self.split();
        let (y, m, d) = civil_from_days(days);
        let total = i64::from(m - 1).checked_add(amount)?;
        let year = y.checked_add(total.div_euclid(12))?;
        // rem_euclid(12) is in 0..12, so the cast cannot truncate.
        let month = total.rem_euclid(12) as u32 + 1;
        Self::overflowing_day(year, month, d, time)
    }

    fn plus_years(self, amount: i64) -> Option<i64> {
        let (days, time) = self.split();
        let (y, m, d) = civil_from_days(days);
        Self::overflowing_day(y.checked_add(amount)?, m, d, time)
    }

    /// ECMA-262 MakeDay(year, month, day) + time: the day may exceed the month's length.
    fn overflowing_day(year: i64, month: u32, day: u32, time: i64) -> Option<i64> {
        if year.abs() > MAX_ABS_YEAR {
            return None;
        }
        let days = days_from_civil(year, month, 1) + i64::from(day) - 1;
        days.checked_mul(MS_PER_DAY)?.checked_add(time)
    }
}

impl fmt::Display for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (days, time) = self.split();
        let (y, m, d) = civil_from_days(days);
        if (0..=9999).contains(&y) {
            write!(f, "{y:04}")?;
        } else {
            let sign = if y < 0 { '-' } else { '+' };
            write!(f, "{sign}{:06}", y.abs())?;
        }
        write!(
            f,
            "-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
            time / MS_PER_HOUR,
            time / 60_000 % 60,
            time / 1000 % 60,
            time % 1000
        )
    }
}

/// Two ASCII digits at `i`, if both are there.
#[inline]
fn digits2(b: &[u8], i: usize) -> Option<u32> {
    let hi = b.get(i)?.wrapping_sub(b'0');
    let lo = b.get(i + 1)?.wrapping_sub(b'0');
    (hi < 10 && lo < 10).then(|| u32::from(hi) * 10 + u32::from(lo))
}

/// Four ASCII digits at `i`, if all are there.
#[inline]
fn digits4(b: &[u8], i: usize) -> Option<u32> {
    Some(digits2(b, i)? * 100 + digits2(b, i + 2)?)
}

#[inline]
fn is_leap(y: i64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

#[inline]
fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// `YYYY`, `YYYY-MM` or `YYYY-MM-DD`; partial dates resolve to the last day they allow.
fn parse_date(b: &[u8]) -> Option<(i64, u32, u32)> {
    let y = i64::from(digits4(b, 0)?);
    let (m, d) = match b.len() {
        4 => (12, 31),
        7 if b[4] == b'-' => {
            let m = digits2(b, 5)?;
            if !(1..=12).contains(&m) {
                return None;
            }
            (m, days_in_month(y, m))
        }
        10 if b[4] == b'-' && b[7] == b'-' => {
            let m = digits2(b, 5)?;
            let d = digits2(b, 8)?;
            if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
                return None;
            }
            (m, d)
        }
        _ => return None,
    };
    Some((y, m, d))
}

/// `YYYY-MM-DDThh:mm:ss[.S…][Z|±offset]`, as milliseconds since the epoch.
fn parse_date_time(b: &[u8]) -> Option<i64> {
    if b.len() < 19 || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (y, m, d) = parse_date(&b[..10])?;
    let (hh, mi, ss) = (digits2(b, 11)?, digits2(b, 14)?, digits2(b, 17)?);
    if hh > 23 || mi > 59 || ss > 59 {
        return None;
    }
    let mut i = 19;
    let mut ms = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            if i - start < 3 {
                ms = ms * 10 + i64::from(b[i] - b'0');
            }
            i += 1;
        }
        match i - start {
            0 => return None,
            1 => ms *= 100,
            2 => ms *= 10,
            _ => {}
        }
    }
    let offset_minutes = match b.get(i) {
        None => 0,
        Some(b'Z') if i + 1 == b.len() => 0,
        Some(&sign @ (b'+' | b'-')) => {
            let minutes = parse_offset(&b[i + 1..])?;
            if sign == b'-' { -minutes } else { minutes }
        }
        Some(_) => return None,
    };
    let time = i64::from(hh) * MS_PER_HOUR + i64::from(mi) * 60_000 + i64::from(ss) * 1000 + ms;
    Some(days_from_civil(y, m, d) * MS_PER_DAY + time - offset_minutes * 60_000)
}

/// The offset after its sign, matched as the reference's `(\d{1,2}):?(\d{2})?$` would match it
/// (greedy, with backtracking), so `123` is 1:23 and `1234` is 12:34. In minutes.
fn parse_offset(r: &[u8]) -> Option<i64> {
    for hour_len in [2, 1] {
        let hours = match hour_len {
            2 => digits2(r, 0),
            _ => r
                .first()
                .filter(|c| c.is_ascii_digit())
                .map(|c| u32::from(c - b'0')),
        };
        let Some(hours) = hours else { continue };
        let rest = &r[hour_len..];
        let candidates = [rest.strip_prefix(b":"), Some(rest)];
        for after in candidates.into_iter().flatten() {
            let minutes = match after.len() {
                0 => Some(0),
                2 => digits2(after, 0),
                _ => None,
            };
            if let Some(minutes) = minutes {
                if hours > 23 || minutes > 59 {
                    return None;
                }
                return Some(i64::from(hours) * 60 + i64::from(minutes));
            }
        }
    }
    None
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
pub(crate) fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (H. Hinnant's `civil_from_days`).
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    // Both are small positive numbers by construction (1..=31 and 1..=12).
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn iso(s: &str) -> String {
        match DateTime::parse(s) {
            Ok(dt) => dt.to_iso_string(),
            Err(e) => format!("error: {e}"),
        }
    }

    fn plus(s: &str, amount: i64, unit: TimeUnit) -> String {
        match DateTime::parse(s).and_then(|dt| dt.plus(amount, unit)) {
            Ok(dt) => dt.to_iso_string(),
            Err(e) => format!("error: {e}"),
        }
    }

    fn dob(s: &str) -> String {
        match DateTime::parse_date_of_birth(s) {
            Ok(dt) => dt.to_iso_string(),
            Err(e) => format!("error: {e}"),
        }
    }

    #[test]
    fn parses_dates_without_time_as_utc_midnight() {
        assert_eq!(iso("2021-05-04"), "2021-05-04T00:00:00.000Z");
        assert_eq!(iso("1970-01-01"), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso("0000-01-01"), "0000-01-01T00:00:00.000Z");
        assert_eq!(iso("2020-02-29"), "2020-02-29T00:00:00.000Z");
    }

    #[test]
    fn parses_partial_dates_as_the_last_consistent_day() {
        assert_eq!(iso("2004"), "2004-12-31T00:00:00.000Z");
        assert_eq!(iso("2004-01"), "2004-01-31T00:00:00.000Z");
        assert_eq!(iso("2004-02"), "2004-02-29T00:00:00.000Z");
        assert_eq!(iso("2003-02"), "2003-02-28T00:00:00.000Z");
        assert_eq!(iso("1900-02"), "1900-02-28T00:00:00.000Z");
        assert_eq!(iso("2000-02"), "2000-02-29T00:00:00.000Z");
        assert_eq!(iso("2021-04"), "2021-04-30T00:00:00.000Z");
        assert_eq!(dob("2004"), "2004-12-31T00:00:00.000Z");
        assert_eq!(dob("2004-02"), "2004-02-29T00:00:00.000Z");
        assert_eq!(dob("2004-02-03"), "2004-02-03T00:00:00.000Z");
        assert!(dob("2004-02-03T00:00:00Z").starts_with("error"));
        assert!(dob("").starts_with("error"));
        assert!(dob("04").starts_with("error"));
    }

    #[test]
    fn parses_rfc3339_date_times_and_keeps_their_offsets() {
        assert_eq!(iso("2021-05-04T13:37:42Z"), "2021-05-04T13:37:42.000Z");
        assert_eq!(iso("2021-05-04T13:37:42+00:00"), "2021-05-04T13:37:42.000Z");
        assert_eq!(iso("2021-05-04T13:37:42-00:00"), "2021-05-04T13:37:42.000Z");
        assert_eq!(iso("2021-08-20T12:03:12+02:00"), "2021-08-20T10:03:12.000Z");
        assert_eq!(iso("2021-08-20T01:03:12+02:00"), "2021-08-19T23:03:12.000Z");
        assert_eq!(iso("2021-08-20T23:03:12-05:30"), "2021-08-21T04:33:12.000Z");
    }

    #[test]
    fn parses_the_other_iso_8601_offset_spellings() {
        assert_eq!(iso("2021-08-20T12:03:12+02"), "2021-08-20T10:03:12.000Z");
        assert_eq!(iso("2021-08-20T12:03:12+2"), "2021-08-20T10:03:12.000Z");
        assert_eq!(iso("2021-05-04T13:37:42+0000"), "2021-05-04T13:37:42.000Z");
        assert_eq!(iso("2021-05-04T13:37:42-0000"), "2021-05-04T13:37:42.000Z");
        assert_eq!(iso("2021-08-20T12:03:12+0200"), "2021-08-20T10:03:12.000Z");
        assert_eq!(iso("2021-08-01T00:00:00+1:00"), "2021-07-31T23:00:00.000Z");
        // `±hmm`: one hour digit, two minute digits.
        assert_eq!(iso("2021-08-01T00:00:00+130"), "2021-07-31T22:30:00.000Z");
        // The reference's regex also lets a dangling colon through.
        assert_eq!(iso("2021-08-01T00:00:00+01:"), "2021-07-31T23:00:00.000Z");
    }

    #[test]
    fn truncates_fractions_to_milliseconds() {
        assert_eq!(iso("2021-08-01T00:00:00.1Z"), "2021-08-01T00:00:00.100Z");
        assert_eq!(iso("2021-08-01T00:00:00.01Z"), "2021-08-01T00:00:00.010Z");
        assert_eq!(iso("2021-08-01T00:00:00.001Z"), "2021-08-01T00:00:00.001Z");
        assert_eq!(iso("2021-08-01T00:00:00.0001Z"), "2021-08-01T00:00:00.000Z");
        assert_eq!(
            iso("2021-08-01T00:00:00.999999Z"),
            "2021-08-01T00:00:00.999Z"
        );
        assert_eq!(
            iso("2021-08-01T00:00:00.042+01:00"),
            "2021-07-31T23:00:00.042Z"
        );
        assert_eq!(iso("2021-08-01T00:00:00.5"), "2021-08-01T00:00:00.500Z");
    }

    #[test]
    fn assumes_z_without_an_offset() {
        assert_eq!(iso("2021-08-01T00:00:00"), "2021-08-01T00:00:00.000Z");
        assert_eq!(iso("2022-01-31T00:00:00.000"), "2022-01-31T00:00:00.000Z");
    }

    #[test]
    fn rejects_other_formats_and_impossible_dates() {
        for bad in [
            "",
            "x021",
            "2021-1",
            "2021-13",
            "2021-00",
            "2021-02-29",
            "2021-04-31",
            "2021-09-99",
            "2021-05-04 13:37:42Z",
            "2021-05-04T13:37Z",
            "2021-05-04T24:00:00Z",
            "2021-05-04T13:60:00Z",
            "2021-05-04T13:37:60Z",
            "2021-05-04T13:37:42.Z",
            "2021-05-04T13:37:42ZZ",
            "2021-05-04T13:37:42+",
            "2021-05-04T13:37:42+12345",
            "2021-05-04T13:37:42+1:2",
            "2021-05-04T13:37:42+24:00",
            "2021-05-04T13:37:42+01:60",
            "2021-05-04T13:37:42z",
            "２０２１-05-04",
            "20210504",
        ] {
            assert!(
                iso(bad).starts_with("error"),
                "{bad:?} parsed as {}",
                iso(bad)
            );
        }
    }

    #[test]
    fn offsets_days_and_hours_exactly() {
        assert_eq!(
            plus("2021-06-23", 1, TimeUnit::Day),
            "2021-06-24T00:00:00.000Z"
        );
        assert_eq!(
            plus("2021-06-23", -1, TimeUnit::Day),
            "2021-06-22T00:00:00.000Z"
        );
        assert_eq!(
            plus("2021-06-23T00:00:00.000Z", 1, TimeUnit::Hour),
            "2021-06-23T01:00:00.000Z"
        );
        assert_eq!(
            plus("2021-06-23T00:00:00.000Z", -1, TimeUnit::Hour),
            "2021-06-22T23:00:00.000Z"
        );
        assert_eq!(
            plus("2021-06-23T00:00:00.000Z", 72, TimeUnit::Hour),
            "2021-06-26T00:00:00.000Z"
        );
        assert_eq!(
            plus("2021-06-23T00:00:00.000Z", -72, TimeUnit::Hour),
            "2021-06-20T00:00:00.000Z"
        );
        // Not affected by DST: everything is UTC.
        assert_eq!(
            plus("2021-06-23", -180, TimeUnit::Day),
            "2020-12-25T00:00:00.000Z"
        );
        assert_eq!(
            plus("2020-02-29", 1, TimeUnit::Day),
            "2020-03-01T00:00:00.000Z"
        );
    }

    #[test]
    fn offsets_months_like_javascript_set_utc_month() {
        assert_eq!(
            plus("2021-02-01T00:00:00.000Z", 0, TimeUnit::Month),
            "2021-02-01T00:00:00.000Z"
        );
        assert_eq!(
            plus("2021-02-01T00:00:00.000Z", 1, TimeUnit::Month),
            "2021-03-01T00:00:00.000Z"
        );
        assert_eq!(
            plus("2021-12-01T00:00:00.000Z", 1, TimeUnit::Month),
            "2022-01-01T00:00:00.000Z"
        );
        assert_eq!(
            plus("2021-12-01T00:00:00.000Z", -12, TimeUnit::Month),
            "2020-12-01T00:00:00.000Z"
        );
        assert_eq!(
            plus("2020-02-29T00:00:00.000Z", 1, TimeUnit::Month),
            "2020-03-29T00:00:00.000Z"
        );
        // Month ends overflow into the next month, as setUTCMonth does (no clamping).
        assert_eq!(
            plus("2021-01-31T12:00:00Z", 1, TimeUnit::Month),
            "2021-03-03T12:00:00.000Z"
        );
        assert_eq!(
            plus("2020-01-31T12:00:00Z", 1, TimeUnit::Month),
            "2020-03-02T12:00:00.000Z"
        );
        assert_eq!(
            plus("2021-03-31", -1, TimeUnit::Month),
            "2021-03-03T00:00:00.000Z"
        );
        assert_eq!(
            plus("2021-05-31", 1, TimeUnit::Month),
            "2021-07-01T00:00:00.000Z"
        );
        assert_eq!(
            plus("2021-01-15", -13, TimeUnit::Month),
            "2019-12-15T00:00:00.000Z"
        );
        assert_eq!(
            plus("2021-01-15", 25, TimeUnit::Month),
            "2023-02-15T00:00:00.000Z"
        );
        // A partial date is its last day first, then offset.
        assert_eq!(
            plus("2004-01", 1, TimeUnit::Month),
            "2004-03-02T00:00:00.000Z"
        );
    }

    #[test]
    fn offsets_years_like_javascript_set_utc_full_year() {
        assert_eq!(
            plus("2021-02-01T00:00:00.000Z", 1, TimeUnit::Year),
            "2022-02-01T00:00:00.000Z"
        );
        assert_eq!(
            plus("2021-02-01T00:00:00.000Z", -1, TimeUnit::Year),
            "2020-02-01T00:00:00.000Z"
        );
        // The specification's leap-day table: 2020-02-29 + 1 year = 2021-03-01.
        assert_eq!(
            plus("2020-02-29", 1, TimeUnit::Year),
            "2021-03-01T00:00:00.000Z"
        );
        assert_eq!(
            plus("2020-02-29", 4, TimeUnit::Year),
            "2024-02-29T00:00:00.000Z"
        );
        assert_eq!(
            plus("2024-02-29", -18, TimeUnit::Year),
            "2006-03-01T00:00:00.000Z"
        );
        assert_eq!(plus("2004", 18, TimeUnit::Year), "2022-12-31T00:00:00.000Z");
        assert_eq!(
            plus("2022-12-31T13:37:00.042Z", -18, TimeUnit::Year),
            "2004-12-31T13:37:00.042Z"
        );
    }

    #[test]
    fn refuses_to_leave_the_javascript_date_range() {
        assert_eq!(
            DateTime::parse("2021-01-01").and_then(|d| d.plus(i64::MAX, TimeUnit::Hour)),
            Err(DateTimeError::OutOfRange)
        );
        assert_eq!(
            DateTime::parse("2021-01-01").and_then(|d| d.plus(i64::MIN, TimeUnit::Month)),
            Err(DateTimeError::OutOfRange)
        );
        assert_eq!(
            DateTime::parse("2021-01-01").and_then(|d| d.plus(300_000, TimeUnit::Year)),
            Err(DateTimeError::OutOfRange)
        );
        // The last representable instant formats with an expanded year, as toISOString does.
        assert_eq!(
            DateTime::parse("1970-01-01").and_then(|d| d.plus(100_000_000, TimeUnit::Day)),
            Ok(DateTime::from_unix_millis(MAX_MILLIS).unwrap())
        );
        assert_eq!(
            DateTime::from_unix_millis(MAX_MILLIS)
                .unwrap()
                .to_iso_string(),
            "+275760-09-13T00:00:00.000Z"
        );
        assert_eq!(
            DateTime::from_unix_millis(-MAX_MILLIS)
                .unwrap()
                .to_iso_string(),
            "-271821-04-20T00:00:00.000Z"
        );
        assert_eq!(DateTime::from_unix_millis(MAX_MILLIS + 1), None);
    }

    #[test]
    fn calendar_arithmetic_agrees_with_jiff() {
        // Every day from 1600 to 2400, both directions.
        let start = jiff::civil::date(1600, 1, 1);
        let mut date = start;
        let mut days = days_from_civil(1600, 1, 1);
        while date.year() < 2400 {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(
                (y, m, d),
                (
                    i64::from(date.year()),
                    date.month().unsigned_abs().into(),
                    date.day().unsigned_abs().into()
                )
            );
            assert_eq!(days_from_civil(y, m, d), days);
            date = date.tomorrow().unwrap();
            days += 1;
        }
        // And the epoch anchor itself.
        let epoch_days = jiff::civil::date(2021, 6, 23)
            .to_zoned(jiff::tz::TimeZone::UTC)
            .unwrap()
            .timestamp()
            .as_second()
            / 86_400;
        assert_eq!(days_from_civil(2021, 6, 23), epoch_days);
    }

    #[test]
    fn parsing_agrees_with_jiff_on_rfc3339() {
        for s in [
            "2021-05-04T13:37:42Z",
            "2021-08-20T12:03:12+02:00",
            "1999-12-31T23:59:59.999-11:45",
            "2000-02-29T00:00:00.123+14:00",
            "0001-01-01T00:00:00Z",
        ] {
            let ours = DateTime::parse(s).unwrap().unix_millis();
            let theirs: jiff::Timestamp = s.parse().unwrap();
            assert_eq!(ours, theirs.as_millisecond(), "{s}");
        }
    }

    #[test]
    fn time_units_round_trip() {
        for unit in TIME_UNITS {
            assert_eq!(TimeUnit::parse(unit).map(TimeUnit::as_str), Some(unit));
        }
        assert_eq!(TimeUnit::parse("minute"), None);
    }
}
