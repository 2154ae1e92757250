//! `healthcode interop dcc-testdata DIR`: runs the EU dgc-testdata vectors through
//! healthcode-dcc and prints one line per case. The checks live in `healthcode_dcc::testdata`;
//! this module only prints.

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use healthcode_dcc::schema::Schemas;
use healthcode_dcc::testdata;

/// Runs every `*.json` case under `dir`, against the EU schemas with the bundled value sets,
/// those of the folder `value_sets`, or (`use_value_sets` false) none. Prints a line per case
/// (`PASS`), per failed stage (`FAIL`) and per skipped stage (`SKIP`: the vector lacks its
/// input), then `N passed, M failed, K skipped`, counting stages as the format's own test
/// suite does. Exit 0 if no stage failed, 1 if any did, 2 if none can run.
pub fn testdata(
    dir: &Path,
    value_sets: Option<&Path>,
    use_value_sets: bool,
) -> anyhow::Result<ExitCode> {
    let schemas = Schemas::load(value_sets, use_value_sets)?;
    let files = testdata::find_cases(dir)
        .with_context(|| format!("cannot read test data directory {}", dir.display()))?;
    if files.is_empty() {
        anyhow::bail!("no *.json cases in {}", dir.display());
    }
    let mut out = std::io::stdout().lock();
    let (mut passed, mut failed, mut skipped) = (0usize, 0usize, 0usize);
    for file in &files {
        let report = testdata::run_file(file, dir, &schemas);
        let (p, f, s) = report.counts();
        passed += p;
        failed += f;
        skipped += s;
        let note = if report.unknown_flags.is_empty() {
            String::new()
        } else {
            format!(
                " (unknown flags not checked: {})",
                report.unknown_flags.join(", ")
            )
        };
        if report.passed() {
            let read_past: Vec<&str> = report
                .results
                .iter()
                .filter(|r| r.got == Some(true) && r.expected && !r.detail.is_empty())
                .map(|r| r.detail.as_str())
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect();
            let read_past = if read_past.is_empty() {
                String::new()
            } else {
                format!(" (read past: {})", read_past.join("; "))
            };
            writeln!(
                out,
                "PASS {} {}{note}{read_past}",
                report.name, report.description
            )?;
        }
        if let Some(e) = &report.load_error {
            writeln!(out, "FAIL {}: cannot load: {e}", report.name)?;
        }
        for r in report.results.iter().filter(|r| r.failed()) {
            let got = r.got.unwrap_or_default();
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
        for r in report.results.iter().filter(|r| r.skipped()) {
            writeln!(
                out,
                "SKIP {}: flag {} (expected {}) not checked: {} in the vector",
                report.name, r.flag, r.expected, r.detail
            )?;
        }
    }
    writeln!(out, "{passed} passed, {failed} failed, {skipped} skipped")?;
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
