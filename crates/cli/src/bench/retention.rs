//! `bench retention`: deleting a day of check-ins that fell out of retention.
//! It loads a day of check-ins (700,000 by default, a province's busy day) 20
//! days back, then runs the retention purge while a writer keeps committing
//! check-ins one at a time, and reports how long the purge took and how long
//! each check-in waited meanwhile. On PostgreSQL the day is a partition and is
//! dropped whole; on SQLite it is deleted in bounded batches.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use healthcode_core::check_ins::check_in_id;
use healthcode_domain::actor::Actor;
use healthcode_domain::retention::Category;
use healthcode_store::{CHECK_IN_PURPOSE, CheckInSource, CommitSync, NewCheckIn};

use super::{Latencies, Province, ProvinceLoad, StoreArgs, backend_name, in_store, load_province};
use crate::config::Source;
use crate::runtime;

#[derive(clap::Args)]
pub struct RetentionArgs {
    /// Check-ins of the day that falls out of retention.
    #[arg(long, default_value_t = 700_000)]
    check_ins: u64,
    /// People who made them.
    #[arg(long, default_value_t = 50_000)]
    people: u32,
    /// Venues they were made at.
    #[arg(long, default_value_t = 2_000)]
    venues: u32,
    #[command(flatten)]
    store: StoreArgs,
}

/// How many days back the loaded day is: well out of the 14 days' retention.
const DAYS_BACK: i64 = 20;

pub async fn run(source: &Source, args: &RetentionArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.people > 0 && args.venues > 0,
        "--people and --venues must be at least 1"
    );
    in_store(source, &args.store, |config| async move {
        let state = runtime::app_state(&config).await?;
        anyhow::ensure!(
            state.store().count_people().await? == 0,
            "the benchmark builds its own data: give it an empty store"
        );
        println!(
            "healthcode bench retention on {}: {} check-ins of one day {DAYS_BACK} days back",
            backend_name(&config),
            args.check_ins
        );
        let now = state.now();
        let day = now.div_euclid(86_400) - DAYS_BACK;
        // The day has its partition, as it had when its check-ins were made.
        state
            .store()
            .ensure_day_partitions(day..day + 1, day..day + 1)
            .await?;

        let load = ProvinceLoad {
            people: args.people,
            venues: args.venues,
            check_ins: args.check_ins,
            days: 1,
            home_percent: 80,
            now: (day + 1) * 86_400 - 1,
            county: "",
        };
        let Province { people, venues, .. } = load_province(&state, &load).await?;

        // A writer commits check-ins one at a time (each fsynced, as the
        // service's writer does) while the purge runs.
        let stop = Arc::new(AtomicBool::new(false));
        let writer = {
            let (state, stop, people) = (state.clone(), stop.clone(), people.clone());
            let venue = venues
                .first()
                .map(|v| (v.id.clone(), v.division))
                .ok_or_else(|| anyhow::anyhow!("no venue"))?;
            tokio::spawn(async move {
                let mut writer = state.store().check_in_writer(CommitSync::Full);
                // (when it started, how long it took), to tell the check-ins
                // made during the purge from those made before it.
                let mut latencies = Vec::new();
                let mut n = 0usize;
                while !stop.load(Ordering::Relaxed) {
                    let person = &people[n % people.len()];
                    let at = state.now();
                    let row = NewCheckIn {
                        id: check_in_id(&state, person, &venue.0, Some(&format!("live-{n}")), at),
                        person_id: person.clone(),
                        venue_id: venue.0.clone(),
                        division: venue.1.to_owned(),
                        at,
                        source: CheckInSource::PlaceCode,
                        recorded_by: None,
                        purpose: CHECK_IN_PURPOSE.to_owned(),
                        code: None,
                        access: None,
                        audit: None,
                    };
                    let started = Instant::now();
                    writer.insert(std::slice::from_ref(&row)).await?;
                    latencies.push((started, started.elapsed()));
                    n += 1;
                }
                anyhow::Ok(latencies)
            })
        };
        // A baseline: check-ins with nothing else going on.
        tokio::time::sleep(std::time::Duration::from_secs(3)).await;
        let first_kept_day = state
            .retention()
            .active_at(state.clock().now())
            .first_kept_day(Category::CheckIns, state.clock().now());
        let started = Instant::now();
        let purged = state
            .store()
            .purge_check_ins(
                &Actor::Job {
                    name: "retention".to_owned(),
                },
                now,
                first_kept_day,
            )
            .await?;
        let purge_took = started.elapsed();
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        stop.store(true, Ordering::Relaxed);
        let timed = writer.await??;
        let (mut before, mut during) = (Latencies::default(), Latencies::default());
        for (at, latency) in timed {
            if at < started {
                before.push(latency);
            } else if at < started + purge_took {
                during.push(latency);
            }
        }
        println!(
            "purged {purged} check-ins of one day in {:.3} s ({:.0}/s)",
            purge_took.as_secs_f64(),
            purged as f64 / purge_took.as_secs_f64().max(1e-9)
        );
        println!(
            "check-ins committed one at a time (fsynced), before the purge: {}",
            before.summary()
        );
        println!(
            "check-ins committed one at a time (fsynced), during the purge: {}",
            during.summary()
        );
        state.store().close().await;
        anyhow::ensure!(
            purged == args.check_ins,
            "the purge deleted {purged} check-ins, not {}",
            args.check_ins
        );
        Ok(())
    })
    .await
}
