//! The synthetic province the demo and the benchmarks build: venues with
//! signed place codes spread over the counties, and check-ins drawn for the
//! people the demo seeder registers.

use healthcode_core::AppState;
use healthcode_core::accounts;
use healthcode_core::check_ins::check_in_id;
use healthcode_core::venues::{self, sign_venue};
use healthcode_domain::actor::Actor;
use healthcode_domain::role::Role;
use healthcode_store::{CHECK_IN_PURPOSE, CheckInSource, CommitSync, NewCheckIn};

use crate::bench::progress;
use crate::demo::SplitMix;

/// Rows per transaction when loading check-ins.
const CHECK_IN_BATCH: usize = 100_000;
/// Venues per transaction when loading them.
const VENUE_BATCH: usize = 5_000;

/// Seconds in `days` days.
pub fn span_seconds(days: u32) -> i64 {
    i64::from(days) * 86_400
}

/// Publishes a retention schedule keeping check-ins `days` days, in force
/// from `since`, so that every generated check-in counts.
pub async fn keep_check_ins(state: &AppState, days: u32, since: i64) -> anyhow::Result<()> {
    let mut document: serde_json::Value =
        serde_json::from_str(healthcode_domain::retention::SHIPPED_SCHEDULE)?;
    document["version"] = "bench-retention".into();
    document["effective_from"] = jiff::Timestamp::from_second(since)?.to_string().into();
    document["periods_days"]["check_ins"] = days.into();
    let text = document.to_string();
    healthcode_domain::retention::Schedule::from_json(&text)?;
    let mut unit = state.begin(Actor::Operator).await?;
    unit.insert_retention_schedule(&healthcode_store::RetentionScheduleRecord {
        version: "bench-retention".to_owned(),
        effective_from: since,
        document: text,
        published_by: None,
        published_at: since,
    })
    .await?;
    unit.commit().await?;
    state.reload_rules().await?;
    Ok(())
}

/// A venue of the benchmark: its id and division.
pub struct Venue {
    pub id: String,
    pub division: &'static str,
}

/// Venue `v` is in county `v % counties.len()`, so each county's venues are
/// the indices `c, c + n, c + 2n, ...`.
/// Their owner is a new venue account named `owner`.
pub async fn load_venues(
    state: &AppState,
    count: u32,
    counties: &[&'static str],
    owner: &str,
    password_hash: &str,
) -> anyhow::Result<Vec<Venue>> {
    let owner = accounts::create_staff_hashed(
        state.store(),
        Role::Venue,
        owner,
        password_hash.to_owned(),
        state.now(),
    )
    .await?;
    let bar = progress(u64::from(count), "venues");
    let mut venues = Vec::with_capacity(count as usize);
    let mut batch = Vec::with_capacity(VENUE_BATCH);
    for v in 0..count as usize {
        let division = counties[v % counties.len()];
        let record = sign_venue(
            state,
            &owner.account_id,
            format!("Venue {v}"),
            format!("{v} Benchmark Road"),
            division.to_owned(),
        )?;
        venues.push(Venue {
            id: record.id.clone(),
            division,
        });
        batch.push(record);
        if batch.len() == VENUE_BATCH {
            venues::register_many(state, &batch).await?;
            bar.inc(batch.len() as u64);
            batch.clear();
        }
    }
    venues::register_many(state, &batch).await?;
    bar.finish_and_clear();
    Ok(venues)
}

/// How the synthetic check-ins are drawn: each person has a home county where
/// most of their check-ins are, the rest anywhere in the province, at uniform
/// times over the last `days`.
pub struct Itinerary<'a> {
    pub counties: &'a [&'static str],
    pub venues: &'a [Venue],
    pub days: u32,
    pub home_percent: u64,
    pub now: i64,
}

impl Itinerary<'_> {
    /// Loads `total` check-ins spread evenly over `people`; returns how many
    /// people checked in at least once in `county` (the expected answer).
    pub async fn load(
        &self,
        state: &AppState,
        people: &[String],
        total: u64,
        county: &str,
    ) -> anyhow::Result<usize> {
        let n_counties = self.counties.len() as u64;
        let n_venues = self.venues.len() as u64;
        let span = span_seconds(self.days);
        let mut writer = state.store().check_in_writer(CommitSync::Normal);
        let bar = progress(total, "check-ins");
        let mut batch = Vec::with_capacity(CHECK_IN_BATCH);
        let mut expected = 0;
        let mut written = 0u64;
        let per_person = total / people.len() as u64;
        let extra = total % people.len() as u64;
        for (p, person_id) in people.iter().enumerate() {
            let mut rng = SplitMix(p as u64 ^ 0x6368_6563_6b2d_696e);
            let home = rng.below(n_counties.min(n_venues));
            let in_home_county = n_venues.saturating_sub(home).div_ceil(n_counties);
            let mut visited = false;
            let count = per_person + u64::from((p as u64) < extra);
            for k in 0..count {
                let v = if rng.below(100) < self.home_percent {
                    home + n_counties * rng.below(in_home_county)
                } else {
                    rng.below(n_venues)
                };
                let venue = &self.venues[v as usize];
                visited |= venue.division == county;
                let at = self.now - span + i64::try_from(rng.below(span as u64)).unwrap_or(0);
                let scan = format!("bench-{p}-{k}");
                batch.push(NewCheckIn {
                    id: check_in_id(state, person_id, &venue.id, Some(&scan), at),
                    person_id: person_id.clone(),
                    venue_id: venue.id.clone(),
                    division: venue.division.to_owned(),
                    at,
                    source: CheckInSource::PlaceCode,
                    recorded_by: None,
                    purpose: CHECK_IN_PURPOSE.to_owned(),
                    code: None,
                    access: None,
                    audit: None,
                });
                if batch.len() == CHECK_IN_BATCH {
                    writer.insert(&batch).await?;
                    written += batch.len() as u64;
                    bar.set_position(written);
                    batch.clear();
                }
            }
            expected += usize::from(visited);
        }
        writer.insert(&batch).await?;
        bar.finish_and_clear();
        Ok(expected)
    }
}
