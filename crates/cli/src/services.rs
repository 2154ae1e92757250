//! `healthcode services`: the services' schedule from the command line: list
//! it, schedule a closure or cancel one, in the name of an authority account
//! (the act is audited as that authority's, as it would be from the API).

use clap::Subcommand;
use healthcode_core::accounts::staff_actor;
use healthcode_core::services::{self, ClosureRequest};
use healthcode_domain::role::Role;

use crate::config::{Config, Source};
use crate::runtime;

#[derive(Subcommand)]
pub enum ServicesCommand {
    /// Every service and whether it is open, announced, suspended or retired.
    List,
    /// Schedule a service's closure (replacing the one scheduled before).
    Schedule {
        /// The service: registration, code-display, self-tests, declarations,
        /// check-ins, assisted-checks, workbench, laboratory-uploads or certificates.
        service: String,
        /// `suspended` or `retired`.
        #[arg(long, default_value = "suspended")]
        closure: String,
        /// From when (RFC 3339, e.g. 2023-02-16T11:00:00+08:00), now or later.
        #[arg(long)]
        at: String,
        /// The notice in Chinese.
        #[arg(long)]
        notice_zh: String,
        /// The notice in English.
        #[arg(long)]
        notice_en: String,
        /// The authority account the closure is scheduled by.
        #[arg(long)]
        by: String,
    },
    /// Cancel a service's closure (a suspended service opens again).
    Cancel {
        service: String,
        /// The authority account that cancels it.
        #[arg(long)]
        by: String,
    },
}

pub async fn run(source: &Source, command: ServicesCommand) -> anyhow::Result<()> {
    let config = Config::load(source, None)?;
    let state = runtime::app_state(&config).await?;
    let outcome = act(&state, command).await;
    state.store().close().await;
    outcome
}

async fn act(state: &healthcode_core::AppState, command: ServicesCommand) -> anyhow::Result<()> {
    match command {
        ServicesCommand::List => {
            for s in services::schedule(state).await? {
                let from = s.from.as_deref().unwrap_or("-");
                println!("{:<20} {:<10} {from}", s.service, s.state);
                if let Some(notice) = s.notice {
                    println!("    zh: {}", notice.zh);
                    println!("    en: {}", notice.en);
                }
            }
        }
        ServicesCommand::Schedule {
            service,
            closure,
            at,
            notice_zh,
            notice_en,
            by,
        } => {
            let by = staff_actor(state.store(), &by, Role::Authority).await?;
            let request = ClosureRequest {
                service,
                closure,
                from: at,
                notice_zh,
                notice_en,
            };
            let s = services::schedule_closure(state, by, &request).await?;
            println!(
                "{} {} from {}",
                s.service,
                s.closure.as_deref().unwrap_or_default(),
                s.from.as_deref().unwrap_or_default()
            );
        }
        ServicesCommand::Cancel { service, by } => {
            let by = staff_actor(state.store(), &by, Role::Authority).await?;
            services::cancel_closure(state, by, &service).await?;
            println!("{service}: the closure is cancelled; the service is open");
        }
    }
    Ok(())
}
