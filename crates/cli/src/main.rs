//! `healthcode`: the one binary of the platform.

mod admin;
mod audit;
mod backup;
mod bench;
mod config;
mod demo;
mod dispose;
mod import;
mod interop;
mod jobs;
mod keys;
mod people;
mod province;
mod rules;
mod runtime;
mod services;
mod trust;
mod verify;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// A privacy-first health code platform.
#[derive(Parser)]
#[command(name = "healthcode", version, about)]
struct Cli {
    /// Configuration file (TOML). Without it, `DATA/healthcode.toml` is read if present.
    #[arg(long, global = true, env = "HEALTHCODE_CONFIG")]
    config: Option<PathBuf>,
    /// Data folder: master key and, on the embedded default, the SQLite files
    /// [default: ./healthcode-data].
    #[arg(long, global = true)]
    data: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the service.
    Serve(config::ServeCommand),
    /// Run the service on the embedded database with a synthetic population.
    Demo(demo::DemoArgs),
    /// Verify a code offline: a payload, a file holding one, or a QR image.
    Verify(verify::VerifyArgs),
    /// Manage the issuer's signing keys.
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// The audit log: verify it (from its store or from outside), sign a head.
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// Administrative tasks.
    #[command(subcommand)]
    Admin(admin::AdminCommand),
    /// Back up the data store (or, with `keys`, the key store) while the
    /// service runs.
    Backup(backup::BackupArgs),
    /// Restore the data store (or, with `keys`, the key store) from a backup,
    /// the service stopped; people erased since are removed.
    Restore(backup::RestoreArgs),
    /// The service's periodic jobs: list them, or run one now.
    #[command(subcommand)]
    Jobs(jobs::JobsCommand),
    /// End-of-epidemic disposal of a purpose's data, requested and approved by
    /// two authorities, with a signed certificate; `dispose verify CERT`
    /// checks one.
    Dispose(dispose::DisposeArgs),
    /// The services' schedule: list it, schedule or cancel a closure.
    #[command(subcommand)]
    Services(services::ServicesCommand),
    /// A person's data, on their written request: erase.
    #[command(subcommand)]
    People(people::PeopleCommand),
    /// Bulk imports (laboratory results).
    #[command(subcommand)]
    Import(import::ImportCommand),
    /// CertLogic rules: evaluate an expression over a data document.
    #[command(subcommand)]
    Rules(rules::RulesCommand),
    /// National trust lists: anchor keys, building, fetching and inspecting.
    #[command(subcommand)]
    Trust(trust::TrustCommand),
    /// Benchmarks over a real store that print figures.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
    /// International formats: run the EU DCC and SMART Health Cards test vectors.
    #[command(subcommand)]
    Interop(interop::InteropCommand),
}

/// What is logged unless `RUST_LOG` says otherwise: the service's events, but
/// only warnings from a benchmark, whose figures are its output (a line per
/// erased person would bury them).
fn default_log_filter(command: &Command) -> &'static str {
    match command {
        Command::Bench(_) => "warn",
        _ => "info,sqlx=warn,tower_http=warn",
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        // Offline work needs no runtime, no database and no logging set-up.
        Command::Verify(args) => return verify::run(&args),
        Command::Rules(cmd) => rules::run(&cmd),
        Command::Interop(cmd) => return interop::run(&cmd),
        command => runtime::block_on(default_log_filter(&command), async move {
            let source = config::Source {
                file: cli.config,
                data: cli.data,
            };
            match command {
                Command::Serve(args) => runtime::serve(&source, &args).await,
                Command::Demo(args) => demo::run(&source, &args).await,
                Command::Keys(cmd) => keys::run(&source, cmd).await,
                Command::Admin(cmd) => admin::run(&source, cmd).await,
                Command::Audit(cmd) => audit::run(&source, cmd).await,
                Command::People(cmd) => people::run(&source, cmd).await,
                Command::Services(cmd) => services::run(&source, cmd).await,
                Command::Dispose(args) => dispose::run(&source, args).await,
                Command::Jobs(cmd) => jobs::run(&source, cmd).await,
                Command::Backup(args) => backup::backup(&source, args).await,
                Command::Restore(args) => backup::restore(&source, args).await,
                Command::Import(cmd) => import::run(&source, &cmd).await,
                Command::Bench(cmd) => bench::run(&source, &cmd).await,
                Command::Trust(cmd) => trust::run(&cmd).await,
                Command::Verify(_) | Command::Rules(_) | Command::Interop(_) => {
                    unreachable!("handled above")
                }
            }
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
