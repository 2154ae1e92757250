//! End-of-epidemic disposal: the statistics kept afterwards. They count
//! check-ins by day, division and colour, and a cell under the threshold is
//! left out, so that what is kept identifies nobody.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// Cells counting fewer than this are suppressed unless a disposal says otherwise.
pub const DEFAULT_THRESHOLD: u64 = 10;

/// The largest threshold a disposal may ask for.
pub const MAX_THRESHOLD: u64 = 1000;

/// One cell of the statistics.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Cell {
    /// The day in China Standard Time, `YYYY-MM-DD`.
    pub day: String,
    /// The GB/T 2260 code of the venues' division.
    pub division: String,
    /// The colour of the people's codes (`green`, `yellow`, `red`, or `none`).
    pub colour: String,
    pub count: u64,
}

/// The statistics a disposal keeps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Statistics {
    /// Cells counting fewer than this were left out.
    pub threshold: u64,
    /// How many cells were left out.
    pub suppressed_cells: u64,
    /// The cells kept, by day, division and colour.
    pub cells: Vec<Cell>,
}

impl Statistics {
    /// Keeps the cells counting at least `threshold`, in order, and counts the others.
    pub fn suppress(cells: impl IntoIterator<Item = Cell>, threshold: u64) -> Statistics {
        let (mut kept, left): (Vec<Cell>, Vec<Cell>) =
            cells.into_iter().partition(|c| c.count >= threshold);
        kept.sort();
        Statistics {
            threshold,
            suppressed_cells: u64::try_from(left.len()).unwrap_or(u64::MAX),
            cells: kept,
        }
    }
}

/// A day counted in days since 1970-01-01, as `YYYY-MM-DD`.
pub fn day_text(days_since_epoch: i64) -> String {
    let epoch = Date::constant(1970, 1, 1);
    epoch
        .checked_add(jiff::Span::new().days(days_since_epoch))
        .map_or_else(|_| format!("day {days_since_epoch}"), |d| d.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(day: &str, count: u64) -> Cell {
        Cell {
            day: day.to_owned(),
            division: "350203".to_owned(),
            colour: "green".to_owned(),
            count,
        }
    }

    #[test]
    fn cells_under_the_threshold_are_left_out_and_counted() {
        let s = Statistics::suppress(
            [
                cell("2022-12-02", 10),
                cell("2022-12-01", 9),
                cell("2022-12-01", 11),
            ],
            10,
        );
        assert_eq!(
            s.cells,
            vec![cell("2022-12-01", 11), cell("2022-12-02", 10)]
        );
        assert_eq!(s.suppressed_cells, 1);
        assert_eq!(s.threshold, 10);
    }

    #[test]
    fn days_read_as_dates() {
        assert_eq!(day_text(0), "1970-01-01");
        assert_eq!(day_text(19_404), "2023-02-16");
    }
}
