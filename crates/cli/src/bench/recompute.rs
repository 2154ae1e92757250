//! `bench recompute` answers the question an authority asks when it declares a
//! county a risk area: how long until every visitor's code has turned? It
//! builds a synthetic province (people registered through the same sealing as
//! the demo, venues with signed place codes, check-ins spread over the
//! itinerary retention), declares one county a high-risk area through the same
//! path as `POST /v1/risk-areas`, and times the recomputation of the people it
//! affects, which are found through the check-in indexes.

use std::time::Instant;

use anyhow::Context;
use healthcode_core::AppState;
use healthcode_core::ids::random_id;
use healthcode_core::recompute;
use healthcode_domain::actor::Actor;
use healthcode_domain::divisions;
use healthcode_domain::policy::PolicyDocument;
use healthcode_store::{PolicyRecord, RiskAreaRecord};

use super::{ProvinceLoad, StoreArgs, backend_name, in_store, load_province};
use crate::config::{Config, Source};
use crate::demo;
use crate::province::{keep_check_ins, span_seconds};
use crate::runtime;

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
    #[command(flatten)]
    store: StoreArgs,
    /// Declare again over a population an earlier run built and kept (with
    /// `--data DIR` or `--database-url`), to time the recomputation alone.
    #[arg(long)]
    reuse: bool,
}

pub async fn run(source: &Source, args: &RecomputeArgs) -> anyhow::Result<()> {
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
    in_store(source, &args.store, |config| async move {
        build_and_declare(&config, args, &county).await
    })
    .await
}

async fn build_and_declare(
    config: &Config,
    args: &RecomputeArgs,
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
    let backend = backend_name(config);
    println!(
        "healthcode bench recompute on {backend}: {} people, {} check-ins over {} days, {} venues",
        args.people, args.check_ins, args.days, args.venues
    );
    let now = state.now();
    let since = now - i64::from(args.days + 1) * 86_400;
    activate_dynamic_zero(&state, since).await?;
    keep_check_ins(&state, args.days + 1, since).await?;

    let load = ProvinceLoad {
        people: args.people,
        venues: args.venues,
        check_ins: args.check_ins,
        days: args.days,
        home_percent: args.home_percent,
        now,
        county,
    };
    let expected = load_province(&state, &load).await?.visitors;

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
        proposed_by: None,
    })
    .await?;
    unit.commit().await?;
    state.reload_rules().await?;
    Ok(())
}
