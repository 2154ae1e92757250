//! `healthcode bench`: end-to-end benchmarks over a real store, printing figures.
//!
//! `bench recompute` answers the question an authority asks when it declares a
//! county a risk area: how long until every visitor's code has turned? It
//! builds a synthetic province (people registered through the same sealing as
//! the demo, venues with signed place codes, check-ins spread over the
//! itinerary retention), declares one county a high-risk area through the same
//! path as `POST /v1/risk-areas`, and times the recomputation of the people it
//! affects, which are found through the check-in indexes.

use std::time::{Duration, Instant};

use anyhow::Context;
use healthcode_core::AppState;
use healthcode_core::accounts;
use healthcode_core::check_ins::check_in_id;
use healthcode_core::recompute;
use healthcode_core::registration::random_id;
use healthcode_core::sessions::hash_password;
use healthcode_core::venues::{self, sign_venue};
use healthcode_domain::actor::Actor;
use healthcode_domain::divisions;
use healthcode_domain::policy::PolicyDocument;
use healthcode_domain::role::Role;
use healthcode_store::{
    CHECK_IN_PURPOSE, CheckInSource, CommitSync, NewCheckIn, PolicyRecord, RiskAreaRecord,
};
use indicatif::{ProgressBar, ProgressStyle};

use crate::config::{Config, Source};
use crate::demo::{self, SplitMix};
use crate::runtime;

#[derive(clap::Subcommand)]
pub enum BenchCommand {
    /// Declare one county a risk area over a synthetic province and time the
    /// recomputation of everyone who checked in there.
    Recompute(RecomputeArgs),
}

#[derive(clap::Args)]
pub struct RecomputeArgs {
    /// Citizens to register.
    #[arg(long, default_value_t = 1_000_000)]
    people: u32,
    /// Check-ins to record, spread evenly over the people.
    #[arg(long, default_value_t = 10_000_000)]
    check_ins: u64,
    /// Venues, spread evenly over the counties of Fujian.
    #[arg(long, default_value_t = 100_000)]
    venues: u32,
    /// Days the check-ins span, ending now.
    #[arg(long, default_value_t = 14)]
    days: u32,
    /// The county to declare [default: the first county of Fujian].
    #[arg(long)]
    county: Option<String>,
    /// Share of each person's check-ins in their home county, in percent.
    #[arg(long, default_value_t = 80)]
    home_percent: u64,
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
    /// Declare again over a population an earlier run built and kept (with
    /// `--data DIR` or `--database-url`), to time the recomputation alone.
    #[arg(long)]
    reuse: bool,
}

/// Rows per transaction when loading check-ins.
const CHECK_IN_BATCH: usize = 100_000;
/// Venues per transaction when loading them.
const VENUE_BATCH: usize = 5_000;

pub async fn run(source: &Source, cmd: &BenchCommand) -> anyhow::Result<()> {
    match cmd {
        BenchCommand::Recompute(args) => recompute_bench(source, args).await,
    }
}

async fn recompute_bench(source: &Source, args: &RecomputeArgs) -> anyhow::Result<()> {
    anyhow::ensure!(args.people > 0, "--people must be at least 1");
    anyhow::ensure!(args.venues > 0, "--venues must be at least 1");
    anyhow::ensure!(
        (1..=100).contains(&args.home_percent),
        "--home-percent must be 1 to 100"
    );
    anyhow::ensure!(
        (1..=365).contains(&args.days),
        "--days must be between 1 and 365"
    );
    let counties = demo::fujian_counties();
    let county = match &args.county {
        Some(code) => {
            anyhow::ensure!(
                counties.contains(&code.as_str()),
                "--county must be a county of Fujian (35xxxx), the demo's province"
            );
            code.clone()
        }
        None => counties.first().context("no Fujian counties")?.to_string(),
    };
    let temporary = source.data.is_none();
    let data = match &source.data {
        Some(dir) => dir.clone(),
        None => std::env::temp_dir().join(format!("healthcode-bench-{}", std::process::id())),
    };
    let config = Config {
        data: data.clone(),
        database_url: args.database_url.clone(),
        database_schema: args.database_schema.clone(),
        ..Config::default()
    };
    let outcome = build_and_declare(&config, args, &counties, &county).await;
    if temporary && !args.keep {
        let _ = std::fs::remove_dir_all(&data);
    } else {
        println!("data kept in {}", data.display());
    }
    outcome
}

async fn build_and_declare(
    config: &Config,
    args: &RecomputeArgs,
    counties: &[&'static str],
    county: &str,
) -> anyhow::Result<()> {
    let state = runtime::app_state(config).await?;
    let existing = state.store().count_people().await?;
    if args.reuse {
        anyhow::ensure!(
            existing > 0,
            "--reuse needs a population an earlier run kept"
        );
        let since = state.now() - span_seconds(args.days);
        return declare(&state, county, since, None).await;
    }
    anyhow::ensure!(
        existing == 0,
        "the benchmark builds its own population: give it an empty database (or --reuse it)"
    );
    let backend = if config.database_url.is_some() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    println!(
        "healthcode bench recompute on {backend}: {} people, {} check-ins over {} days, {} venues",
        args.people, args.check_ins, args.days, args.venues
    );
    let now = state.now();
    let since = now - i64::from(args.days + 1) * 86_400;
    activate_dynamic_zero(&state, since).await?;
    keep_check_ins(&state, args.days + 1, since).await?;

    let started = Instant::now();
    let hash = hash_password(demo::DEMO_PASSWORD)?;
    let bar = progress(u64::from(args.people), "people");
    let mut people = demo::seed_citizens(&state, args.people, &hash, |n| {
        bar.set_position(n as u64);
    })
    .await?;
    bar.finish_and_clear();
    report_load("people", people.len() as u64, started.elapsed());
    // Loading in key order keeps the check-ins' primary key append-only.
    people.sort_unstable();

    let started = Instant::now();
    let venues = load_venues(&state, args.venues, counties, &hash).await?;
    report_load("venues", venues.len() as u64, started.elapsed());

    let started = Instant::now();
    let plan = Itinerary {
        counties,
        venues: &venues,
        days: args.days,
        home_percent: args.home_percent,
        now,
    };
    let expected = plan.load(&state, &people, args.check_ins, county).await?;
    report_load("check-ins", args.check_ins, started.elapsed());

    // The window starts where the generated check-ins start, however long the
    // loading took.
    declare(
        &state,
        county,
        now - span_seconds(args.days),
        Some(expected),
    )
    .await
}

fn span_seconds(days: u32) -> i64 {
    i64::from(days) * 86_400
}

/// Declares `county` a high-risk area from `since` on (still open) and reports
/// how many people were recomputed and how fast; fails if `expected` is given
/// and differs.
async fn declare(
    state: &AppState,
    county: &str,
    since: i64,
    expected: Option<usize>,
) -> anyhow::Result<()> {
    let now = state.now();
    let area = RiskAreaRecord {
        id: random_id()?,
        scope_kind: "division".to_owned(),
        scope: county.to_owned(),
        level: "high".to_owned(),
        name: Some("recompute benchmark".to_owned()),
        from_at: since,
        until_at: None,
        declared_by: "bench".to_owned(),
        declared_at: now,
    };
    let started = Instant::now();
    let affected = recompute::declare_risk_area(state, Actor::Operator, &area).await?;
    let elapsed = started.elapsed();
    let colours = state.store().colour_counts().await?;
    let name = divisions::name(county).unwrap_or("?");
    let generated = expected.map_or(String::new(), |n| {
        format!("; the generator put {n} people there")
    });
    println!(
        "declared {county} {name} a high-risk area: recomputed {affected} people in {:.2} s \
         ({:.0} people/s){generated}",
        elapsed.as_secs_f64(),
        affected as f64 / elapsed.as_secs_f64().max(1e-9)
    );
    let colours: Vec<String> = colours.iter().map(|(c, n)| format!("{c} {n}")).collect();
    println!("colours now: {}", colours.join(", "));
    state.store().close().await;
    if let Some(expected) = expected {
        anyhow::ensure!(
            affected == expected,
            "the risk area recomputed {affected} people, but {expected} checked in there"
        );
    }
    Ok(())
}

/// Makes the 2022 dynamic-zero policy the active one from `since` on, as if
/// published then: the shipped history ends with the all-green policy, under
/// which a risk area changes nobody's colour.
async fn activate_dynamic_zero(state: &AppState, since: i64) -> anyhow::Result<()> {
    let text = healthcode_domain::policy::SHIPPED_POLICIES
        .iter()
        .find(|(name, _)| name.contains("dynamic-zero"))
        .map(|(_, text)| *text)
        .context("the dynamic-zero policy is not shipped")?;
    let mut document: serde_json::Value = serde_json::from_str(text)?;
    document["version"] = "bench-dynamic-zero".into();
    document["effective_from"] = jiff::Timestamp::from_second(since)?.to_string().into();
    let text = document.to_string();
    PolicyDocument::from_json(&text)?;
    let mut unit = state.begin(Actor::Operator).await?;
    unit.insert_policy(&PolicyRecord {
        version: "bench-dynamic-zero".to_owned(),
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

/// Publishes a retention schedule keeping check-ins `days` days, in force
/// from `since`, so that every generated check-in counts.
async fn keep_check_ins(state: &AppState, days: u32, since: i64) -> anyhow::Result<()> {
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
struct Venue {
    id: String,
    division: &'static str,
}

/// Venue `v` is in county `v % counties.len()`, so each county's venues are
/// the indices `c, c + n, c + 2n, ...`.
async fn load_venues(
    state: &AppState,
    count: u32,
    counties: &[&'static str],
    password_hash: &str,
) -> anyhow::Result<Vec<Venue>> {
    let owner = accounts::create_staff_hashed(
        state.store(),
        Role::Venue,
        "bench-venues",
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
struct Itinerary<'a> {
    counties: &'a [&'static str],
    venues: &'a [Venue],
    days: u32,
    home_percent: u64,
    now: i64,
}

impl Itinerary<'_> {
    /// Loads `total` check-ins spread evenly over `people`; returns how many
    /// people checked in at least once in `county` (the expected answer).
    async fn load(
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
                    access: None,
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

fn progress(total: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(total);
    if let Ok(style) = ProgressStyle::with_template(&format!(
        "{{elapsed_precise}} [{{wide_bar}}] {{pos}}/{{len}} {what} ({{per_sec}}, {{eta}} left)"
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
