//! The service's periodic work, as a registry of named jobs.
//!
//! Each job has a name, a cadence and a body; it reads the time from the
//! application state's clock, runs as its own actor (`job:NAME`), and reports
//! how many rows it touched. [`run`] runs every job when it falls due, one
//! after the other, until the future is dropped; [`run_job`] runs one at once
//! (the command line's `healthcode jobs run NAME`, tests). Every run is
//! measured: runs and failures, rows, duration and the time of the last run
//! are exported at `/metrics`.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

use crate::actor::job;
use crate::app::AppState;
use crate::error::{Error, ErrorCode};
use crate::{audit, disposal, lifecycle, recompute, retention};

/// The future of one run of a job: how many rows it touched.
type Run<'a> = Pin<Box<dyn Future<Output = Result<u64, Error>> + Send + 'a>>;

/// One job of the registry.
pub struct Job {
    /// The stable name, in logs, metrics and the command line.
    pub name: &'static str,
    /// What it does, for `healthcode jobs list`.
    pub description: &'static str,
    /// How often it runs, in seconds of the state's clock.
    pub every: i64,
    body: for<'a> fn(&'a AppState) -> Run<'a>,
}

/// Every job the service runs, with its cadence from the configuration.
pub fn registry(state: &AppState) -> Vec<Job> {
    let reload = i64::try_from(state.config().key_reload.max(1)).unwrap_or(30);
    vec![
        Job {
            name: "reload",
            description: "reload signing keys, issuer keys, policies, risk areas and retention schedules",
            every: reload,
            body: |state| Box::pin(reload_all(state)),
        },
        Job {
            name: "erasures",
            description: "finish erasures a stopped process left half-done",
            every: reload,
            body: |state| {
                Box::pin(async move {
                    let n = lifecycle::finish_pending_erasures(state).await?;
                    Ok(u64::try_from(n).unwrap_or(u64::MAX))
                })
            },
        },
        Job {
            name: "sweep",
            description: "recompute the colours whose time-based transition is due",
            every: reload,
            body: |state| {
                Box::pin(async move {
                    let n = recompute::sweep_due(state).await?;
                    Ok(u64::try_from(n).unwrap_or(u64::MAX))
                })
            },
        },
        Job {
            name: "retention",
            description: "delete every category of data past its retention period",
            every: RETENTION_EVERY,
            body: |state| {
                Box::pin(async move {
                    let purged = retention::purge(state, &job("retention")).await?;
                    Ok(purged.values().sum())
                })
            },
        },
        Job {
            name: "audit-head",
            description: "sign a head of the audit log when it has grown (at least daily)",
            every: state.config().audit_head_every,
            body: |state| Box::pin(async move { Ok(u64::from(audit::sign_if_due(state).await?)) }),
        },
        Job {
            name: "disposal",
            description: "run or resume an approved end-of-epidemic disposal to its certificate",
            every: reload,
            body: |state| Box::pin(disposal::run_pending(state)),
        },
        Job {
            name: "partitions",
            description: "prepare the coming days' partitions of the check-ins and the access log (PostgreSQL)",
            every: PARTITIONS_EVERY,
            body: |state| {
                Box::pin(async move { Ok(u64::from(retention::prepare_partitions(state).await?)) })
            },
        },
    ]
}

/// How often retention runs, in seconds.
const RETENTION_EVERY: i64 = 300;

/// How often the partitions are prepared, in seconds.
const PARTITIONS_EVERY: i64 = 3600;

/// How often the loop looks for due jobs, in real time.
const TICK: Duration = Duration::from_secs(1);

async fn reload_all(state: &AppState) -> Result<u64, Error> {
    state.reload_keys().await.map_err(Error::internal)?;
    state.reload_credentials().await.map_err(Error::internal)?;
    state.reload_rules().await.map_err(Error::internal)?;
    Ok(0)
}

/// Runs the job named `name` once, now, measured like a scheduled run;
/// returns how many rows it touched.
pub async fn run_job(state: &AppState, name: &str) -> Result<u64, Error> {
    let jobs = registry(state);
    let job = jobs.iter().find(|j| j.name == name).ok_or_else(|| {
        let names: Vec<&str> = jobs.iter().map(|j| j.name).collect();
        Error::new(
            ErrorCode::NotFound,
            format!("no job {name:?}; the jobs are {}", names.join(", ")),
        )
    })?;
    run_measured(state, job).await
}

async fn run_measured(state: &AppState, job: &Job) -> Result<u64, Error> {
    let started = Instant::now();
    let outcome = (job.body)(state).await;
    let rows = outcome.as_ref().copied().unwrap_or(0);
    state.metrics().observe_job(
        job.name,
        outcome.is_ok(),
        rows,
        started.elapsed().as_secs_f64(),
        state.now(),
    );
    outcome
}

/// Runs every job when it falls due, until the future is dropped. A job that
/// fails is logged and tried again at its next time; the service goes on.
pub async fn run(state: AppState) {
    let jobs = registry(&state);
    // Every job runs a first time one cadence after the start: the state was
    // just loaded.
    let start = state.now();
    let mut next: HashMap<&'static str, i64> =
        jobs.iter().map(|j| (j.name, start + j.every)).collect();
    let mut tick = tokio::time::interval(TICK);
    loop {
        tick.tick().await;
        let now = state.now();
        for job in &jobs {
            let due = next.get(job.name).is_none_or(|&at| at <= now);
            if !due {
                continue;
            }
            next.insert(job.name, now + job.every);
            match run_measured(&state, job).await {
                Ok(0) => {}
                Ok(rows) => tracing::info!(job = job.name, rows, "job done"),
                Err(e) => tracing::warn!(job = job.name, error = %e, "job failed"),
            }
        }
    }
}
