//! `bench erase`: erasing one person among many. It builds a population (people
//! registered through the same sealing as the demo, each with check-ins at
//! venues of the province), then erases people one at a time through the same
//! path as `DELETE /v1/me` (pending record, key destroyed, every row deleted in
//! one unit) and reports the latencies.

use std::time::Instant;

use healthcode_core::lifecycle;
use healthcode_domain::actor::Actor;
use healthcode_store::ErasureReason;

use super::{Latencies, ProvinceLoad, StoreArgs, backend_name, in_store, load_province, progress};
use crate::config::Source;
use crate::demo::SplitMix;
use crate::runtime;

#[derive(clap::Args)]
pub struct EraseArgs {
    /// Citizens to register.
    #[arg(long, default_value_t = 1_000_000)]
    people: u32,
    /// Check-ins per person over the last 14 days, which an erasure deletes
    /// with the person.
    #[arg(long, default_value_t = 3)]
    check_ins_per_person: u64,
    /// Venues, spread evenly over the counties of Fujian.
    #[arg(long, default_value_t = 10_000)]
    venues: u32,
    /// People to erase, one after the other.
    #[arg(long, default_value_t = 300)]
    erasures: u32,
    #[command(flatten)]
    store: StoreArgs,
    /// Erase from a population an earlier run built and kept (with `--data DIR`
    /// or `--database-url`).
    #[arg(long)]
    reuse: bool,
}

pub async fn run(source: &Source, args: &EraseArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.people > 0 && args.venues > 0,
        "--people and --venues must be at least 1"
    );
    in_store(source, &args.store, |config| async move {
        let state = runtime::app_state(&config).await?;
        let existing = state.store().count_people().await?;
        println!(
            "healthcode bench erase on {}: {} erasures among {} people",
            backend_name(&config),
            args.erasures,
            if args.reuse {
                existing
            } else {
                i64::from(args.people)
            }
        );
        let people = if args.reuse {
            anyhow::ensure!(
                existing > 0,
                "--reuse needs a population an earlier run kept"
            );
            state
                .store()
                .person_ids(usize::try_from(existing).unwrap_or(usize::MAX))
                .await?
        } else {
            anyhow::ensure!(
                existing == 0,
                "the benchmark builds its own population: give it an empty store (or --reuse it)"
            );
            build(&state, args).await?
        };
        anyhow::ensure!(
            people.len() >= args.erasures as usize,
            "the population has fewer people than --erasures"
        );
        // Spread over the whole population, not its first rows.
        let mut rng = SplitMix(0x6572_6173_6521);
        let mut chosen = std::collections::HashSet::new();
        while chosen.len() < args.erasures as usize {
            chosen.insert(rng.below(people.len() as u64) as usize);
        }
        let mut latencies = Latencies::default();
        let bar = progress(u64::from(args.erasures), "erasures");
        for index in chosen {
            let started = Instant::now();
            lifecycle::erase(
                &state,
                Actor::Operator,
                &people[index],
                ErasureReason::Authority,
                Some("BENCH"),
            )
            .await?;
            latencies.push(started.elapsed());
            bar.inc(1);
        }
        bar.finish_and_clear();
        let left = state.store().count_people().await?;
        println!("erased one person at a time: {}", latencies.summary());
        println!("people left: {left} of {}", people.len());
        state.store().close().await;
        anyhow::ensure!(
            left == people.len() as i64 - i64::from(args.erasures),
            "the erasures did not remove exactly the people erased"
        );
        Ok(())
    })
    .await
}

/// Registers the population, its venues and its check-ins; returns the people.
async fn build(state: &healthcode_core::AppState, args: &EraseArgs) -> anyhow::Result<Vec<String>> {
    let load = ProvinceLoad {
        people: args.people,
        venues: args.venues,
        check_ins: args.check_ins_per_person * u64::from(args.people),
        days: 14,
        home_percent: 80,
        now: state.now(),
        county: "",
    };
    Ok(load_province(state, &load).await?.people)
}
