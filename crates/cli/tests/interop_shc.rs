//! Runs `healthcode interop shc-testdata` over the SMART Health Cards validator test
//! data checked out beside the repository (`../shared/testdata/shc`).

use std::path::PathBuf;
use std::process::Command;

fn testdata_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("HEALTHCODE_TESTDATA") {
        Some(root) => PathBuf::from(root).join("shc"),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/shc"),
    };
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var_os("HEALTHCODE_REQUIRE_TESTDATA").is_none(),
        "HEALTHCODE_REQUIRE_TESTDATA is set but {} is missing",
        dir.display()
    );
    eprintln!("skipping: {} not found", dir.display());
    None
}

#[test]
fn shc_testdata_all_cases_pass() {
    let Some(dir) = testdata_dir() else {
        return;
    };
    let out = Command::new(env!("CARGO_BIN_EXE_healthcode"))
        .arg("interop")
        .arg("shc-testdata")
        .arg(&dir)
        .output()
        .expect("run healthcode");
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}");
    eprintln!("{}", String::from_utf8_lossy(&out.stderr));
    let last = stdout.lines().last().unwrap_or_default();
    assert!(out.status.success(), "exit status {:?}", out.status);
    assert!(
        last.ends_with(" passed, 0 failed"),
        "closing line was {last:?}"
    );
    assert!(!stdout.contains("\nFAIL "), "a case failed");
}
