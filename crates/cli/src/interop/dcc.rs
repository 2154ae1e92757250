//! `healthcode interop dcc-testdata` (placeholder until the runner lands).

use std::path::Path;
use std::process::ExitCode;

pub fn testdata(dir: &Path) -> anyhow::Result<ExitCode> {
    anyhow::bail!("dcc test data runner not built yet ({})", dir.display())
}
