//! Helpers shared by the binary's test files: running `healthcode` as people do,
//! and scratch folders.
// Each test file uses its own part of these.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs the built `healthcode` binary with `args`, outside the test harness's database.
pub fn healthcode(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_healthcode"))
        .args(args)
        .env_remove("HEALTHCODE_TEST_DATABASE_URL")
        .output()
        .expect("run healthcode")
}

/// What a run printed on stdout.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A new empty folder under the system's temporary folder.
pub fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(healthcode_tests::unique("hc_cli"));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// A path as a command-line argument.
pub fn path_str(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// `healthcode verify` against a signed national list opened with `anchor`, at `at`.
pub fn verify_national(payload: &str, national: &Path, anchor: &Path, at: i64) -> Output {
    healthcode(&[
        "verify",
        payload,
        "--trust",
        path_str(national),
        "--anchor",
        path_str(anchor),
        "--at",
        &at.to_string(),
    ])
}
