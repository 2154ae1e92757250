//! How long each category of personal data is kept: a retention schedule,
//! published as data and versioned like the code policies.
//!
//! A schedule names a period, in whole days, for every [`Category`], counted
//! from the date that matters for it (a check-in's time, a fact's occurrence,
//! an override's expiry, an appeal's filing, a session's expiry, an erasure's
//! completion). Authorities publish a new version with an effective time in
//! the future; from that time the service deletes by it. The shipped schedule
//! (`crates/domain/retention/`) keeps check-ins for 14 days, as the provincial
//! codes promised and did not do.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// The schedule shipped with the platform and published on first start.
pub const SHIPPED_SCHEDULE: &str = include_str!("../retention/2026-default.json");

/// A category of data with a retention period of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Check-ins (the itinerary), from their time.
    CheckIns,
    /// Laboratory results and the pending retests they cause, from the sample.
    TestResults,
    /// Antigen self-tests, from when they were taken.
    SelfTests,
    /// Health declarations, from when they were made.
    Declarations,
    /// Vaccinations, from when they were recorded.
    Vaccinations,
    /// Authorities' designations (confirmed case, close contact), from their start.
    Designations,
    /// Overrides of a colour, from their expiry.
    Overrides,
    /// Resolved appeals, from their filing (open appeals are kept).
    Appeals,
    /// The access log, from each access.
    AccessLog,
    /// Sessions, from their expiry.
    Sessions,
    /// Records that an account was erased (nothing personal), from the erasure.
    ErasureRecords,
}

impl Category {
    /// Every category, in a stable order.
    pub const ALL: [Category; 11] = [
        Category::CheckIns,
        Category::TestResults,
        Category::SelfTests,
        Category::Declarations,
        Category::Vaccinations,
        Category::Designations,
        Category::Overrides,
        Category::Appeals,
        Category::AccessLog,
        Category::Sessions,
        Category::ErasureRecords,
    ];

    /// The stable snake_case name used in schedules and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::CheckIns => "check_ins",
            Category::TestResults => "test_results",
            Category::SelfTests => "self_tests",
            Category::Declarations => "declarations",
            Category::Vaccinations => "vaccinations",
            Category::Designations => "designations",
            Category::Overrides => "overrides",
            Category::Appeals => "appeals",
            Category::AccessLog => "access_log",
            Category::Sessions => "sessions",
            Category::ErasureRecords => "erasure_records",
        }
    }

    /// The kinds of stored fact in this category (empty for other data).
    pub fn fact_kinds(self) -> &'static [&'static str] {
        match self {
            Category::TestResults => &["test_result", "pending_retest"],
            Category::SelfTests => &["self_test"],
            Category::Declarations => &["declaration"],
            Category::Vaccinations => &["vaccination"],
            Category::Designations => &["designation"],
            _ => &[],
        }
    }

    /// The longest period a schedule may set, in days. Check-ins are kept at
    /// most a year, sessions at most a month after they expire.
    fn max_days(self) -> u32 {
        match self {
            Category::CheckIns => 366,
            Category::Sessions => 30,
            _ => 3650,
        }
    }

    /// The shortest period: data the service needs while it runs (a day of
    /// check-ins and facts for the colour rules).
    fn min_days(self) -> u32 {
        match self {
            Category::Sessions => 0,
            _ => 1,
        }
    }
}

/// Why a schedule was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    /// Not a retention schedule.
    #[error("not a retention schedule: {0}")]
    Parse(String),
    /// A category is missing, or its period is out of range.
    #[error("{0}")]
    Period(String),
    /// The version is empty or too long.
    #[error("the version must be 1 to 64 characters")]
    Version,
}

/// A published retention schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    pub version: String,
    pub effective_from: Timestamp,
    #[serde(default)]
    pub description_en: String,
    #[serde(default)]
    pub description_zh: String,
    /// The period of every category, in whole days.
    pub periods_days: BTreeMap<Category, u32>,
}

impl Schedule {
    /// Parses and checks a published schedule: every category has a period
    /// within its bounds.
    pub fn from_json(text: &str) -> Result<Schedule, ScheduleError> {
        let schedule: Schedule =
            serde_json::from_str(text).map_err(|e| ScheduleError::Parse(e.to_string()))?;
        schedule.check()?;
        Ok(schedule)
    }

    fn check(&self) -> Result<(), ScheduleError> {
        if self.version.trim().is_empty() || self.version.chars().count() > 64 {
            return Err(ScheduleError::Version);
        }
        for category in Category::ALL {
            let days = *self.periods_days.get(&category).ok_or_else(|| {
                ScheduleError::Period(format!("no period for {}", category.as_str()))
            })?;
            if !(category.min_days()..=category.max_days()).contains(&days) {
                return Err(ScheduleError::Period(format!(
                    "{} must be kept {} to {} days",
                    category.as_str(),
                    category.min_days(),
                    category.max_days()
                )));
            }
        }
        Ok(())
    }

    /// How long a category is kept, in seconds.
    pub fn period(&self, category: Category) -> i64 {
        i64::from(self.periods_days.get(&category).copied().unwrap_or(0)) * 86_400
    }

    /// The first day (a day number since 1970-01-01, UTC) whose data of
    /// `category` is still kept at `now`: data of earlier days is due for
    /// deletion. Data is deleted by whole days, so it is kept at least its
    /// period and at most a day longer.
    pub fn first_kept_day(&self, category: Category, now: Timestamp) -> i64 {
        (now.as_second() - self.period(category)).div_euclid(86_400)
    }
}

/// Every published schedule, so the one in force at any time can be found.
#[derive(Debug, Clone, Default)]
pub struct ScheduleSet {
    /// Sorted by effective time.
    schedules: Vec<Schedule>,
}

impl ScheduleSet {
    /// Assembles the published schedules.
    pub fn new(mut schedules: Vec<Schedule>) -> ScheduleSet {
        schedules.sort_by_key(|s| s.effective_from);
        ScheduleSet { schedules }
    }

    /// Every schedule, by effective time.
    pub fn schedules(&self) -> &[Schedule] {
        &self.schedules
    }

    /// The schedule in force at `now`: the latest to have taken effect, or the
    /// shipped one before any.
    pub fn active_at(&self, now: Timestamp) -> Schedule {
        self.schedules
            .iter()
            .rev()
            .find(|s| s.effective_from <= now)
            .cloned()
            .unwrap_or_else(shipped)
    }
}

/// The shipped schedule.
pub fn shipped() -> Schedule {
    match Schedule::from_json(SHIPPED_SCHEDULE) {
        Ok(schedule) => schedule,
        // A unit test checks that the shipped schedule parses.
        Err(_) => Schedule {
            version: "shipped".to_owned(),
            effective_from: Timestamp::UNIX_EPOCH,
            description_en: String::new(),
            description_zh: String::new(),
            periods_days: Category::ALL.iter().map(|c| (*c, 14)).collect(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_schedule_keeps_check_ins_fourteen_days() {
        let schedule = Schedule::from_json(SHIPPED_SCHEDULE).expect("shipped schedule");
        assert_eq!(schedule.period(Category::CheckIns), 14 * 86_400);
        assert_eq!(schedule.period(Category::Sessions), 0);
        for category in Category::ALL {
            assert!(
                schedule.periods_days.contains_key(&category),
                "{category:?}"
            );
        }
    }

    #[test]
    fn schedules_need_every_category_within_bounds() {
        let mut doc: serde_json::Value = serde_json::from_str(SHIPPED_SCHEDULE).expect("json");
        doc["periods_days"]["check_ins"] = 400.into();
        assert!(matches!(
            Schedule::from_json(&doc.to_string()),
            Err(ScheduleError::Period(_))
        ));
        doc["periods_days"]
            .as_object_mut()
            .expect("map")
            .remove("check_ins");
        assert!(matches!(
            Schedule::from_json(&doc.to_string()),
            Err(ScheduleError::Period(_))
        ));
        doc["periods_days"]["check_ins"] = 7.into();
        doc["periods_days"]["cookies"] = 7.into();
        assert!(matches!(
            Schedule::from_json(&doc.to_string()),
            Err(ScheduleError::Parse(_))
        ));
    }

    #[test]
    fn whole_days_are_deleted_and_the_latest_schedule_in_force_wins() {
        let shipped = shipped();
        let now: Timestamp = "2026-11-27T10:00:00Z".parse().expect("time");
        // 14 days before 2026-11-27T10:00Z is 2026-11-13T10:00Z: that day is kept.
        let day = shipped.first_kept_day(Category::CheckIns, now);
        assert_eq!(
            day * 86_400,
            "2026-11-13T00:00:00Z"
                .parse::<Timestamp>()
                .expect("t")
                .as_second()
        );
        let mut shorter = shipped.clone();
        shorter.version = "short".to_owned();
        shorter.effective_from = "2026-12-01T00:00:00Z".parse().expect("t");
        shorter.periods_days.insert(Category::CheckIns, 7);
        let set = ScheduleSet::new(vec![shorter.clone(), shipped.clone()]);
        assert_eq!(set.active_at(now).version, shipped.version);
        let later: Timestamp = "2026-12-02T00:00:00Z".parse().expect("t");
        assert_eq!(set.active_at(later).version, "short");
        assert_eq!(
            ScheduleSet::default().active_at(now).version,
            "2026-default"
        );
    }
}
