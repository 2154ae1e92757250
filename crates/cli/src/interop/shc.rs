//! `healthcode interop shc-testdata` (placeholder until the runner lands).

use std::path::Path;
use std::process::ExitCode;

pub fn testdata(dir: &Path) -> anyhow::Result<ExitCode> {
    anyhow::bail!("shc test data runner not built yet ({})", dir.display())
}
