//! `healthcode jobs`: the service's periodic jobs, listed or run once now (the
//! server runs them on their own schedule).

use clap::Subcommand;
use healthcode_core::jobs;

use crate::config::{Config, Source};
use crate::runtime;

#[derive(Subcommand)]
pub enum JobsCommand {
    /// List the jobs with their cadence.
    List,
    /// Run one job once, now, and print how many rows it touched.
    Run {
        /// The job's name (`healthcode jobs list`).
        name: String,
    },
}

pub async fn run(source: &Source, command: JobsCommand) -> anyhow::Result<()> {
    let config = Config::load(source, None)?;
    let state = runtime::app_state(&config).await?;
    let outcome = match command {
        JobsCommand::List => {
            for job in jobs::registry(&state) {
                println!(
                    "{:<12} every {:>5} s  {}",
                    job.name, job.every, job.description
                );
            }
            Ok(())
        }
        JobsCommand::Run { name } => jobs::run_job(&state, &name)
            .await
            .map(|rows| println!("{name}: {rows} rows"))
            .map_err(anyhow::Error::from),
    };
    state.store().close().await;
    outcome
}
