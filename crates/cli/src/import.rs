//! `healthcode import results FILE.csv`: laboratory results in bulk.
//!
//! Every row is parsed and checked (fields, times, the tube exists, holds
//! samples and has no different result) before anything is written for it; a
//! bad row is reported with its line number and skipped, good rows are applied.
//! Re-importing a file is harmless: a result already applied is a repeat.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Subcommand;
use healthcode_core::ErrorCode;
use healthcode_core::import::{self, Row};
use healthcode_core::workbench::{self, Applied};
use healthcode_domain::actor::Actor;
use indicatif::{ProgressBar, ProgressStyle};

use crate::config::{Config, Source};
use crate::runtime;

#[derive(Subcommand)]
pub enum ImportCommand {
    /// Import laboratory results per tube from CSV with the header
    /// `tube_id,kind,outcome,laboratory,sample_at,result_at` (`result_at` may be empty).
    Results { file: PathBuf },
}

/// A refused row.
struct Refused {
    line: u64,
    code: ErrorCode,
    message: String,
}

pub async fn run(source: &Source, command: &ImportCommand) -> anyhow::Result<()> {
    let ImportCommand::Results { file } = command;
    let config = Config::load(source, None)?;
    let rows = read(file)?;
    let state = runtime::app_state(&config).await?;
    let progress = ProgressBar::new(rows.len() as u64);
    progress.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} rows {per_sec} eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let (mut new, mut repeats) = (0u64, 0u64);
    let mut refused = Vec::new();
    for (line, row) in rows {
        progress.inc(1);
        let input = match row {
            Ok(input) => input,
            Err(message) => {
                refused.push(Refused {
                    line,
                    code: ErrorCode::ImportRow,
                    message,
                });
                continue;
            }
        };
        let result = match input.validate(state.now(), config.server.clock_skew) {
            Ok(result) => result,
            Err(e) => {
                refused.push(Refused {
                    line,
                    code: e.code,
                    message: e.message,
                });
                continue;
            }
        };
        match workbench::apply(&state, Actor::Operator, &result).await {
            Ok(Applied::New { .. }) => new += 1,
            Ok(Applied::Repeat) => repeats += 1,
            Err(e) => refused.push(Refused {
                line,
                code: e.code(),
                message: e.message().to_owned(),
            }),
        }
    }
    progress.finish_and_clear();
    state.store().close().await;
    println!(
        "{new} results applied, {repeats} repeats, {} rows refused",
        refused.len()
    );
    for r in &refused {
        println!("line {}: {}: {}", r.line, r.code, r.message);
    }
    anyhow::ensure!(
        refused.is_empty(),
        "{} rows were refused; the others were applied",
        refused.len()
    );
    Ok(())
}

/// Every data row with its line number, parsed or with the reason it is unreadable
/// (the parsing is `healthcode_core::import`, where it is fuzzed).
fn read(file: &Path) -> anyhow::Result<Vec<Row>> {
    let input =
        std::fs::File::open(file).with_context(|| format!("cannot read {}", file.display()))?;
    Ok(import::read_results(input)?)
}
