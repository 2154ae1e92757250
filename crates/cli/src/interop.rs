//! `healthcode interop`: the international formats' published test vectors, run
//! through our decoders and verifiers.

mod dcc;
mod shc;

use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Subcommand)]
pub enum InteropCommand {
    /// Run every `*.json` case of a directory in the dgc-testdata format.
    DccTestdata {
        /// Directory of test cases (searched recursively).
        dir: PathBuf,
        /// A folder of the EU DCC value sets newer than the bundled ones (release
        /// 2.12.0), as the DCC gateway distributes them: codes must come from it.
        #[arg(long, alias = "dcc-value-sets", value_name = "DIR")]
        value_sets: Option<PathBuf>,
        /// Check the schema alone, not the codes against the EU value sets.
        #[arg(long, conflicts_with = "value_sets")]
        no_value_sets: bool,
    },
    /// Run the SMART Health Cards validator test data of a directory.
    ShcTestdata {
        /// Directory of cards, JWS, QR chunks and pictures, with their issuer keys.
        dir: PathBuf,
    },
}

/// Exit status 0: every case passed; 1: some failed; 2: could not run.
pub fn run(cmd: &InteropCommand) -> ExitCode {
    let result = match cmd {
        InteropCommand::DccTestdata {
            dir,
            value_sets,
            no_value_sets,
        } => dcc::testdata(dir, value_sets.as_deref(), !no_value_sets),
        InteropCommand::ShcTestdata { dir } => shc::testdata(dir),
    };
    match result {
        Ok(code) => code,
        // The reader went away (`| head`): stop quietly, as a shell tool does.
        Err(e) if is_broken_pipe(&e) => ExitCode::from(141),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
