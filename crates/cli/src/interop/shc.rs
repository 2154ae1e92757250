//! `healthcode interop shc-testdata DIR`: runs the SMART Health Cards validator test
//! data (health-cards-dev-tools `testdata/`) through our verifier against the
//! expectations table kept in `crates/shc/testdata-expectations.toml`.

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

/// Prints one line per case and the closing `N passed, M failed`; exit 1 on any
/// failure. Errors (exit 2 in the caller) when the runner cannot run at all.
pub fn testdata(dir: &Path) -> anyhow::Result<ExitCode> {
    let report =
        healthcode_shc::testdata::run(dir).map_err(|e| anyhow::anyhow!("{} ({})", e, e.code()))?;
    let mut out = std::io::stdout().lock();
    for case in &report.cases {
        writeln!(out, "{}", case.line())?;
    }
    writeln!(out, "{}", report.summary())?;
    Ok(if report.failed() == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
