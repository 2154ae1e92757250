//! `bench dispose`: the end of the epidemic for a whole province. It builds
//! the synthetic province of `bench recompute` (by default 1,000,000 people
//! and 10,000,000 check-ins), lets every `--keep-every`-th person keep their
//! account, and times the disposal through the same path as the `disposal`
//! job, to the signed certificate, which it then verifies.

use std::time::Instant;

use healthcode_core::accounts;
use healthcode_core::disposal::{self, DisposalRequest, SignedCertificate};
use healthcode_core::sessions::hash_password;
use healthcode_domain::actor::Actor;
use healthcode_domain::role::Role;

use super::{ProvinceLoad, StoreArgs, backend_name, in_store, load_province, progress};
use crate::config::Source;
use crate::demo;
use crate::province::keep_check_ins;
use crate::runtime;

#[derive(clap::Args)]
pub struct DisposeArgs {
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
    /// Every this many people keeps their account (0: nobody).
    #[arg(long, default_value_t = 10)]
    keep_every: usize,
    #[command(flatten)]
    store: StoreArgs,
}

pub async fn run(source: &Source, args: &DisposeArgs) -> anyhow::Result<()> {
    anyhow::ensure!(args.people > 0, "--people must be at least 1");
    anyhow::ensure!(args.venues > 0, "--venues must be at least 1");
    anyhow::ensure!((1..=365).contains(&args.days), "--days must be 1 to 365");
    in_store(source, &args.store, |config| async move {
        let state = runtime::app_state(&config).await?;
        anyhow::ensure!(
            state.store().count_people().await? == 0,
            "the benchmark builds its own population: give it an empty database"
        );
        println!(
            "healthcode bench dispose on {}: {} people, {} check-ins over {} days, {} venues",
            backend_name(&config),
            args.people,
            args.check_ins,
            args.days,
            args.venues
        );
        let now = state.now();
        keep_check_ins(&state, args.days + 1, now - i64::from(args.days + 1) * 86_400).await?;
        let load = ProvinceLoad {
            people: args.people,
            venues: args.venues,
            check_ins: args.check_ins,
            days: args.days,
            home_percent: 80,
            now,
            county: "",
        };
        let province = load_province(&state, &load).await?;
        let kept = keep_accounts(&state, &province.people, args.keep_every).await?;

        let hash = hash_password(demo::DEMO_PASSWORD)?;
        let mut authorities = Vec::new();
        for name in ["bench-authority-1", "bench-authority-2"] {
            let account = accounts::create_staff_hashed(
                state.store(),
                Role::Authority,
                name,
                hash.clone(),
                state.now(),
            )
            .await?;
            authorities.push(Actor::Staff {
                account_id: account.account_id,
                role: Role::Authority,
            });
        }
        let [requester, approver] = <[Actor; 2]>::try_from(authorities)
            .map_err(|_| anyhow::anyhow!("two authorities"))?;
        let request = DisposalRequest {
            purpose: "epidemic-prevention".to_owned(),
            threshold: None,
        };
        let requested = disposal::request(&state, requester, &request).await?;
        disposal::approve(&state, approver, &requested.id).await?;

        let left: u64 = disposal::remaining(&state, &request.purpose)
            .await?
            .values()
            .sum();
        let bar = progress(left, "records");
        let mut stages = Stages::new();
        let text = disposal::run(&state, &requested.id, &mut |p| {
            bar.set_position(p.deleted.min(left));
            stages.reached(&p.kind);
        })
        .await?;
        let took = stages.started.elapsed();
        bar.finish_and_clear();

        let started = Instant::now();
        let signed = SignedCertificate::parse(&text).map_err(anyhow::Error::msg)?;
        signed
            .verify(&state.trust_list())
            .map_err(anyhow::Error::msg)?;
        let verified = started.elapsed();
        let c = &signed.certificate;
        println!(
            "disposed of in {:.1} s, certificate included: {} records deleted ({} check-ins), \
             {} keys destroyed, {} accounts kept (expected {kept})",
            took.as_secs_f64(),
            c.records.values().sum::<u64>(),
            c.records.get("check_ins").copied().unwrap_or(0),
            c.keys_destroyed,
            c.accounts_kept
        );
        println!("{}", stages.summary(took));
        println!(
            "statistics kept: {} cells of at least {}, {} suppressed; certificate {} bytes, verified in {:.1} ms",
            c.statistics.cells.len(),
            c.statistics.threshold,
            c.statistics.suppressed_cells,
            text.len(),
            verified.as_secs_f64() * 1000.0
        );
        anyhow::ensure!(
            c.accounts_kept == kept as u64
                && c.keys_destroyed == (province.people.len() - kept) as u64
                && c.records.get("check_ins").copied() == Some(args.check_ins),
            "the certificate's counts differ from the province built"
        );
        state.store().close().await;
        Ok(())
    })
    .await
}

/// How long each stage of a disposal took, from the progress it reports: the
/// statistics run before the first batch, each kind of record from the end
/// of the kind before to its last batch, and the certificate after the last.
struct Stages {
    started: Instant,
    /// Each kind reported, and when its last batch was.
    kinds: Vec<(String, Instant)>,
    /// When the first batch was.
    first: Option<Instant>,
}

impl Stages {
    fn new() -> Stages {
        Stages {
            started: Instant::now(),
            kinds: Vec::new(),
            first: None,
        }
    }

    fn reached(&mut self, kind: &str) {
        let now = Instant::now();
        self.first.get_or_insert(now);
        match self.kinds.last_mut() {
            Some((last, at)) if last == kind => *at = now,
            _ => self.kinds.push((kind.to_owned(), now)),
        }
    }

    /// One line: the time of each stage in seconds.
    fn summary(&self, total: std::time::Duration) -> String {
        let mut parts = Vec::new();
        let mut before = self.first.unwrap_or(self.started);
        parts.push(format!(
            "statistics and first batch {:.1} s",
            (before - self.started).as_secs_f64()
        ));
        for (kind, at) in &self.kinds {
            parts.push(format!("{kind} {:.1} s", (*at - before).as_secs_f64()));
            before = *at;
        }
        parts.push(format!(
            "certificate {:.1} s",
            (self.started + total - before).as_secs_f64()
        ));
        format!("  stages: {}", parts.join(", "))
    }
}

/// Every `every`-th person keeps their account; returns how many.
async fn keep_accounts(
    state: &healthcode_core::AppState,
    people: &[String],
    every: usize,
) -> anyhow::Result<usize> {
    if every == 0 {
        return Ok(0);
    }
    let keepers: Vec<&String> = people.iter().step_by(every).collect();
    for chunk in keepers.chunks(500) {
        let mut unit = state.begin(Actor::Operator).await?;
        for person in chunk {
            unit.keep_account(person, true).await?;
        }
        unit.commit().await?;
    }
    Ok(keepers.len())
}
