//! `healthcode bench`: end-to-end benchmarks over a real store, printing figures.
//!
//! * `bench recompute`: a risk area declared over a synthetic province, and
//!   the time until every visitor's code has turned;
//! * `bench erase`: erasing one person among a million, as latencies;
//! * `bench retention`: deleting a day of check-ins that fell out of
//!   retention, and (on SQLite) how long check-ins wait meanwhile.
//!
//! Each builds its own population in a fresh store (a temporary SQLite folder
//! by default, or a PostgreSQL schema) through the same services as the demo.

mod audit;
mod dispose;
mod erase;
mod recompute;
mod retention;

use std::path::PathBuf;
use std::time::Duration;

use healthcode_store::Store;
use indicatif::{ProgressBar, ProgressStyle};

use crate::config::{Config, Source};

#[derive(clap::Subcommand)]
pub enum BenchCommand {
    /// Build a large audit log and time producing and verifying its
    /// inclusion and consistency proofs.
    Audit(audit::AuditArgs),
    /// Declare one county a risk area over a synthetic province and time the
    /// recomputation of everyone who checked in there.
    Recompute(recompute::RecomputeArgs),
    /// Dispose of a synthetic province's epidemic data, to the signed
    /// certificate, and time it.
    Dispose(dispose::DisposeArgs),
    /// Erase people one at a time among a large population and report the
    /// latencies.
    Erase(erase::EraseArgs),
    /// Delete a day of check-ins out of retention, timing it and (on SQLite)
    /// the check-ins written meanwhile.
    Retention(retention::RetentionArgs),
}

pub async fn run(source: &Source, cmd: &BenchCommand) -> anyhow::Result<()> {
    match cmd {
        BenchCommand::Audit(args) => audit::run(source, args).await,
        BenchCommand::Recompute(args) => recompute::run(source, args).await,
        BenchCommand::Erase(args) => erase::run(source, args).await,
        BenchCommand::Dispose(args) => dispose::run(source, args).await,
        BenchCommand::Retention(args) => retention::run(source, args).await,
    }
}

/// Where a benchmark's store lives: a PostgreSQL schema, or SQLite in the data
/// folder (a temporary one by default).
#[derive(clap::Args, Debug, Clone)]
pub struct StoreArgs {
    /// PostgreSQL URL of an empty database; without it a fresh SQLite database
    /// is built in the data folder (by default a temporary folder, removed
    /// afterwards).
    #[arg(long)]
    database_url: Option<String>,
    /// PostgreSQL schema to build in.
    #[arg(long, default_value = "healthcode_bench")]
    database_schema: String,
    /// Keep the temporary data folder.
    #[arg(long)]
    keep: bool,
}

/// Runs `bench` over the configuration `store` names, then removes a
/// temporary data folder unless asked to keep it. With a temporary folder the
/// PostgreSQL schemas are the benchmark's own too (their data is sealed under
/// the folder's master key): they must hold nobody at the start, and they are
/// dropped before (what an interrupted run left) and after.
async fn in_store<F, Fut>(source: &Source, store: &StoreArgs, bench: F) -> anyhow::Result<()>
where
    F: FnOnce(Config) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    let temporary = source.data.is_none();
    let data: PathBuf = match &source.data {
        Some(dir) => dir.clone(),
        None => std::env::temp_dir().join(format!("healthcode-bench-{}", std::process::id())),
    };
    let config = Config {
        data: data.clone(),
        database_url: store.database_url.clone(),
        database_schema: store.database_schema.clone(),
        ..Config::default()
    };
    let own_schemas = temporary && config.database_url.is_some();
    if own_schemas {
        let existing = Store::open(&config.store()).await?;
        let people = existing.count_people().await?;
        anyhow::ensure!(
            people == 0,
            "schema {} holds {people} people: the benchmark builds its own population \
             (name another --database-schema, or give the data folder of a kept run \
             with --data)",
            config.database_schema
        );
        existing.drop_postgres_schemas(&config.store()).await?;
    }
    let outcome = bench(config.clone()).await;
    if temporary && !store.keep {
        if own_schemas {
            Store::open(&config.store())
                .await?
                .drop_postgres_schemas(&config.store())
                .await?;
        }
        let _ = std::fs::remove_dir_all(&data);
    } else {
        println!("data kept in {}", data.display());
    }
    outcome
}

/// The synthetic province a benchmark loads: people registered as the demo
/// registers them, venues over the Fujian counties, check-ins over the last
/// `days` before `now`.
struct ProvinceLoad<'a> {
    people: u32,
    venues: u32,
    check_ins: u64,
    days: u32,
    home_percent: u64,
    now: i64,
    /// The county whose visitors are counted (`""`: none).
    county: &'a str,
}

/// A loaded province.
struct Province {
    /// The people, in key order.
    people: Vec<String>,
    venues: Vec<crate::province::Venue>,
    /// How many people checked in in the county.
    visitors: usize,
}

/// Loads the province, reporting each part's time.
async fn load_province(
    state: &healthcode_core::AppState,
    load: &ProvinceLoad<'_>,
) -> anyhow::Result<Province> {
    let hash = healthcode_core::sessions::hash_password(crate::demo::DEMO_PASSWORD)?;
    let started = std::time::Instant::now();
    let bar = progress(u64::from(load.people), "people");
    let mut people = crate::demo::seed_citizens(state, load.people, &hash, |n| {
        bar.set_position(n as u64);
    })
    .await?;
    bar.finish_and_clear();
    report_load("people", people.len() as u64, started.elapsed());
    // Loading in key order keeps the check-ins' primary key append-only.
    people.sort_unstable();

    let counties = crate::demo::fujian_counties();
    let started = std::time::Instant::now();
    let venues =
        crate::province::load_venues(state, load.venues, &counties, "bench-venues", &hash).await?;
    report_load("venues", venues.len() as u64, started.elapsed());

    let started = std::time::Instant::now();
    let itinerary = crate::province::Itinerary {
        counties: &counties,
        venues: &venues,
        days: load.days,
        home_percent: load.home_percent,
        now: load.now,
    };
    let visitors = itinerary
        .load(state, &people, load.check_ins, load.county)
        .await?;
    report_load("check-ins", load.check_ins, started.elapsed());
    Ok(Province {
        people,
        venues,
        visitors,
    })
}

/// The backend a configuration names, for the figures' headings.
fn backend_name(config: &Config) -> &'static str {
    if config.database_url.is_some() {
        "PostgreSQL"
    } else {
        "SQLite"
    }
}

/// Latencies, summarised as percentiles.
#[derive(Default)]
struct Latencies(Vec<Duration>);

impl Latencies {
    fn push(&mut self, d: Duration) {
        self.0.push(d);
    }

    /// The `p`-th percentile (0 to 100), in milliseconds.
    fn percentile_ms(&self, p: f64) -> f64 {
        let mut sorted = self.0.clone();
        sorted.sort_unstable();
        if sorted.is_empty() {
            return 0.0;
        }
        let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
        sorted[rank.min(sorted.len() - 1)].as_secs_f64() * 1000.0
    }

    /// `n N, p50 X µs, …`: for what takes well under a millisecond.
    fn summary_us(&self) -> String {
        let us = |p| self.percentile_ms(p) * 1000.0;
        format!(
            "n {}, p50 {:.1} µs, p90 {:.1} µs, p99 {:.1} µs, max {:.1} µs",
            self.0.len(),
            us(50.0),
            us(90.0),
            us(99.0),
            us(100.0)
        )
    }

    /// `n N, p50 X ms, p99 Y ms, max Z ms`.
    fn summary(&self) -> String {
        format!(
            "n {}, p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            self.0.len(),
            self.percentile_ms(50.0),
            self.percentile_ms(90.0),
            self.percentile_ms(99.0),
            self.percentile_ms(100.0)
        )
    }
}

/// A progress bar with counts, speed and time left.
pub(crate) fn progress(total: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(total);
    if let Ok(style) = ProgressStyle::with_template(&format!(
        "{{elapsed_precise}} [{{wide_bar}}] {{pos}}/{{len}} {what} ({{per_sec}}, {{eta}} left) {{msg}}"
    )) {
        bar.set_style(style);
    }
    bar
}

fn report_load(what: &str, count: u64, elapsed: Duration) {
    println!(
        "  loaded {count} {what} in {:.1} s ({:.0}/s)",
        elapsed.as_secs_f64(),
        count as f64 / elapsed.as_secs_f64().max(1e-9)
    );
}
