//! `healthcode interop dcc-testdata DIR`: runs the EU dgc-testdata vectors through
//! healthcode-dcc and prints one line per case. The checks live in `healthcode_dcc::testdata`;
//! this module only prints.

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use healthcode_dcc::schema::Schema;
use healthcode_dcc::testdata;

/// Runs every `*.json` case under `dir`, against the EU schema alone or with the value
/// sets of `value_sets`; exit 0 if all pass, 1 if any fails, 2 if none can run.
pub fn testdata(dir: &Path, value_sets: Option<&Path>) -> anyhow::Result<ExitCode> {
    let schema = Schema::load(value_sets)?;
    let files = testdata::find_cases(dir)
        .with_context(|| format!("cannot read test data directory {}", dir.display()))?;
    if files.is_empty() {
        anyhow::bail!("no *.json cases in {}", dir.display());
    }
    let mut out = std::io::stdout().lock();
    let (mut passed, mut failed) = (0usize, 0usize);
    for file in &files {
        let report = testdata::run_file(file, dir, &schema);
        let note = if report.unknown_flags.is_empty() {
            String::new()
        } else {
            format!(
                " (unknown flags not checked: {})",
                report.unknown_flags.join(", ")
            )
        };
        if report.passed() {
            passed += 1;
            writeln!(out, "PASS {} {}{note}", report.name, report.description)?;
            continue;
        }
        failed += 1;
        if let Some(e) = &report.load_error {
            writeln!(out, "FAIL {}: cannot load: {e}", report.name)?;
        }
        for r in report.results.iter().filter(|r| !r.passed()) {
            let got = r
                .got
                .map_or_else(|| "nothing".to_owned(), |g| g.to_string());
            let detail = if r.detail.is_empty() {
                "the stage succeeded"
            } else {
                r.detail.as_str()
            };
            writeln!(
                out,
                "FAIL {}: flag {} expected {}, got {got}: {detail}{note}",
                report.name, r.flag, r.expected
            )?;
        }
    }
    writeln!(out, "{passed} passed, {failed} failed")?;
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
