//! Retention by purpose: the published schedules (read by anyone, published by
//! authorities like the code policies), and the continuous deletion of what a
//! schedule says is due.

use std::collections::BTreeMap;

use healthcode_domain::actor::Actor;
use healthcode_domain::audit::{Act, Draft};
use healthcode_domain::retention::{Category, Schedule, ScheduleError};
use healthcode_domain::role::Role;
use healthcode_store::{RetentionScheduleRecord, StoreError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::actor::Caller;
use crate::app::AppState;
use crate::clock::{rfc3339, timestamp};
use crate::error::{Error, ErrorCode};

/// A published retention schedule, as `GET /v1/retention` shows it.
#[derive(Serialize, ToSchema)]
pub struct PublishedSchedule {
    pub version: String,
    pub effective_from: String,
    /// Whether it is the schedule in force now.
    pub active: bool,
    pub description_en: String,
    pub description_zh: String,
    /// How long each category of data is kept, in whole days: `check_ins`,
    /// `test_results`, `self_tests`, `declarations`, `vaccinations`,
    /// `designations`, `overrides`, `appeals`, `access_log`, `sessions`,
    /// `erasure_records`.
    pub periods_days: BTreeMap<String, u32>,
}

/// Every published schedule and which one is in force.
#[derive(Serialize, ToSchema)]
pub struct RetentionSchedules {
    /// The version in force now.
    pub active: String,
    /// Every published version, by effective time.
    pub schedules: Vec<PublishedSchedule>,
}

fn published(schedule: &Schedule, active: &str) -> PublishedSchedule {
    PublishedSchedule {
        version: schedule.version.clone(),
        effective_from: schedule.effective_from.to_string(),
        active: schedule.version == active,
        description_en: schedule.description_en.clone(),
        description_zh: schedule.description_zh.clone(),
        periods_days: schedule
            .periods_days
            .iter()
            .map(|(c, d)| (c.as_str().to_owned(), *d))
            .collect(),
    }
}

/// The published retention schedules, as the state last loaded them.
pub fn schedules(state: &AppState) -> RetentionSchedules {
    let set = state.retention();
    let active = set.active_at(state.clock().now()).version;
    RetentionSchedules {
        schedules: set
            .schedules()
            .iter()
            .map(|s| published(s, &active))
            .collect(),
        active,
    }
}

/// An authority publishes a retention schedule taking effect in the future.
pub async fn publish(
    state: &AppState,
    caller: &Caller,
    document: &serde_json::Value,
) -> Result<PublishedSchedule, Error> {
    caller.require(&[Role::Authority])?;
    let text = document.to_string();
    let schedule = Schedule::from_json(&text).map_err(|e| {
        let code = match e {
            ScheduleError::Parse(_) => ErrorCode::RetentionParse,
            ScheduleError::Period(_) | ScheduleError::Version => ErrorCode::RetentionPeriod,
        };
        Error::new(code, e.to_string())
    })?;
    let now = state.now();
    if schedule.effective_from.as_second() <= now {
        return Err(Error::new(
            ErrorCode::RetentionRetroactive,
            "a retention schedule takes effect in the future",
        ));
    }
    let record = RetentionScheduleRecord {
        version: schedule.version.clone(),
        effective_from: schedule.effective_from.as_second(),
        document: text,
        published_by: Some(caller.account_id.clone()),
        published_at: now,
    };
    let mut unit = state.begin(caller.actor()).await?;
    unit.insert_retention_schedule(&record)
        .await
        .map_err(|e| match e {
            StoreError::Database(_) => Error::new(
                ErrorCode::RetentionDuplicate,
                "a schedule with this version or effective time exists",
            ),
            other => other.into(),
        })?;
    unit.audit(
        Draft::new(Act::RetentionPublished)
            .detail("version", &record.version)
            .detail("effective_from", rfc3339(record.effective_from)),
    );
    unit.commit().await?;
    state.reload_rules().await.map_err(Error::internal)?;
    tracing::info!(version = %record.version, "retention schedule published");
    Ok(published(&schedule, ""))
}

/// Rows a purge deleted, by category.
pub type Purged = BTreeMap<&'static str, u64>;

/// Deletes everything the schedule in force says is due, category by
/// category, for the retention job; returns how many rows of each went.
pub async fn purge(state: &AppState, actor: &Actor) -> Result<Purged, Error> {
    let now = state.now();
    let schedule = state.retention().active_at(timestamp(now));
    let store = state.store();
    // Everything is deleted by whole days: a datum is kept at least its
    // period, and at most a day longer.
    let cutoff = |category| schedule.first_kept_day(category, timestamp(now)) * 86_400;
    let mut purged = Purged::new();
    for category in Category::ALL {
        let rows = match category {
            Category::CheckIns => {
                let day = schedule.first_kept_day(category, timestamp(now));
                store.purge_check_ins(actor, now, day).await?
            }
            Category::AccessLog => {
                let day = schedule.first_kept_day(category, timestamp(now));
                store.purge_access_log(actor, now, day).await?
            }
            Category::Overrides => store.purge_overrides(actor, now, cutoff(category)).await?,
            Category::Appeals => store.purge_appeals(actor, now, cutoff(category)).await?,
            Category::Sessions => store.purge_sessions(actor, now, cutoff(category)).await?,
            Category::ErasureRecords => {
                store
                    .purge_erasure_records(actor, now, cutoff(category))
                    .await?
            }
            facts => {
                let mut rows = 0;
                for kind in facts.fact_kinds() {
                    rows += store.purge_facts(actor, now, kind, cutoff(facts)).await?;
                }
                rows
            }
        };
        purged.insert(category.as_str(), rows);
    }
    if purged.values().any(|&n| n > 0) {
        // The run is an act of its own: what it deleted, by category.
        let mut draft = Draft::new(Act::RetentionRun).detail("schedule", &schedule.version);
        for (category, rows) in purged.iter().filter(|(_, n)| **n > 0) {
            draft = draft.detail(category, rows);
        }
        let mut unit = state.begin(actor.clone()).await?;
        unit.audit(draft);
        unit.commit().await?;
        tracing::info!(?purged, "retention: expired data deleted");
    }
    Ok(purged)
}

/// Makes sure the coming days have their partitions (PostgreSQL): the
/// check-ins from the oldest day still kept (bulk loads write into the past),
/// the access log from yesterday, both to a week ahead. Returns how many were
/// created.
pub async fn prepare_partitions(state: &AppState) -> Result<u32, Error> {
    let now = state.clock().now();
    let today = now.as_second().div_euclid(86_400);
    let kept = state
        .retention()
        .active_at(now)
        .first_kept_day(Category::CheckIns, now);
    let ahead = today + PARTITIONS_AHEAD;
    Ok(state
        .store()
        .ensure_day_partitions(kept.min(today - 1)..ahead, today - 1..ahead)
        .await?)
}

/// Days ahead of today that have their partitions ready.
const PARTITIONS_AHEAD: i64 = 8;
