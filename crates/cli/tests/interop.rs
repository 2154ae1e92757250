//! The international formats' published test data, run through the binary as a
//! user would: `healthcode interop dcc-testdata` over the EU dgc-testdata vectors
//! and `healthcode interop shc-testdata` over the SMART Health Cards validator
//! data, both checked out beside the repository (`../shared/testdata`).

use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::Command;

/// Vectors that fail here, each with the reason; the runner reports them as failed (it
/// never special-cases a file), and this test checks that nothing else fails. Three are
/// wrong; the others need data that ../shared/testdata does not hold: the EU value sets
/// (they pass with `--value-sets`, see below) or the 1.0.0 schema.
const FAILING_HERE: &[(&str, &str)] = &[
    (
        "BG-1.json",
        "schema 1.0.0 data: dob is a date-time and r/t are null; schema 1.3.3 rejects both",
    ),
    (
        "BG-2.json",
        "schema 1.0.0 data: dob is a date-time and t/v are null; schema 1.3.3 rejects both",
    ),
    (
        "HU-3.json",
        "schema 1.0.0 data: tc is longer than the 80 characters schema 1.3.3 allows",
    ),
    (
        "PL-1.0.0-7.json",
        "needs the EU value sets: RAT device 9999 is in no value set",
    ),
    (
        "PL-1.0.0-8.json",
        "needs the EU value sets: country XY is in no value set",
    ),
    (
        "PL-1.0.0-9.json",
        "needs the EU value sets: manufacturer ORG-99999999 is in no value set",
    ),
    ("PL-1.2.1-7.json", "as PL-1.0.0-7"),
    ("PL-1.2.1-8.json", "as PL-1.0.0-8"),
    ("PL-1.2.1-9.json", "as PL-1.0.0-9"),
    ("PL-1.3.0-7.json", "as PL-1.0.0-7"),
    ("PL-1.3.0-8.json", "as PL-1.0.0-8"),
    ("PL-1.3.0-9.json", "as PL-1.0.0-9"),
    (
        "PL-1.3.0-1.json",
        "wrong: JSON (dob 1974-06-10) differs from the signed payload (dob 1958-11-11)",
    ),
    (
        "PL-1.3.0-5.json",
        "wrong: JSON (fn \"ik ben ben\") differs from the signed payload",
    ),
    (
        "common-B1.json",
        "wrong: sets EXPECTEDPICTUREDECODE but has no 2DCODE picture",
    ),
];

/// Shows the runner's failures and closing line in the test log, past libtest's
/// capture (which only takes `print!` and friends), so CI output carries them.
fn report(kind: &str, stdout: &str, stderr: &[u8]) {
    let mut log = std::io::stderr().lock();
    for line in stdout.lines().filter(|l| l.starts_with("FAIL ")) {
        let _ = writeln!(log, "{kind}: {line}");
    }
    let last = stdout.lines().last().unwrap_or_default();
    let _ = writeln!(log, "{kind}: {last}");
    let _ = log.write_all(stderr);
}

/// `../shared/testdata/<kind>` (or `$HEALTHCODE_TESTDATA/<kind>`); `None` (skip)
/// when absent, unless `HEALTHCODE_REQUIRE_TESTDATA` is set, as in CI.
fn testdata_dir(kind: &str) -> Option<PathBuf> {
    let dir = match std::env::var_os("HEALTHCODE_TESTDATA") {
        Some(root) => PathBuf::from(root).join(kind),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/testdata")
            .join(kind),
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
fn dcc_testdata_runs_every_vector() {
    let Some(dir) = testdata_dir("dcc") else {
        return;
    };
    let out = Command::new(env!("CARGO_BIN_EXE_healthcode"))
        .args(["interop", "dcc-testdata"])
        .arg(&dir)
        .output()
        .expect("run healthcode");
    let stdout = String::from_utf8_lossy(&out.stdout);
    report("interop dcc-testdata", &stdout, &out.stderr);
    let last = stdout.lines().last().expect("output");
    let (passed, failed) = last
        .split_once(" passed, ")
        .and_then(|(p, rest)| {
            let f = rest.strip_suffix(" failed")?;
            Some((p.parse::<usize>().ok()?, f.parse::<usize>().ok()?))
        })
        .unwrap_or_else(|| panic!("closing line is not `N passed, M failed`: {last}"));
    let cases = stdout.lines().filter(|l| l.starts_with("PASS ")).count();
    assert_eq!(cases, passed, "PASS lines vs closing line");
    assert!(passed > 100, "too few cases ran: {last}");

    let failing: BTreeSet<&str> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("FAIL "))
        .filter_map(|l| l.split(':').next())
        .collect();
    assert_eq!(failing.len(), failed, "FAIL lines vs closing line");
    let believed: BTreeSet<&str> = FAILING_HERE.iter().map(|(f, _)| *f).collect();
    let unexpected: Vec<_> = failing.difference(&believed).collect();
    assert!(unexpected.is_empty(), "unexpected failures: {unexpected:?}");
    // Exit status follows the closing line: 0 only when every case passed.
    let expected_code = if failed == 0 { 0 } else { 1 };
    assert_eq!(out.status.code(), Some(expected_code), "{last}");
}

#[test]
fn dcc_testdata_with_value_sets_refuses_codes_outside_them() {
    let Some(dir) = testdata_dir("dcc") else {
        return;
    };
    let work = std::env::temp_dir().join(format!("hc_valuesets_{}", std::process::id()));
    let (cases, sets) = (work.join("cases"), work.join("valuesets"));
    std::fs::create_dir_all(&cases).expect("mkdir");
    let mut copied = 0;
    for entry in std::fs::read_dir(&dir).expect("read dir").flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with("PL-1.2.1-") {
            std::fs::copy(entry.path(), cases.join(&name)).expect("copy");
            copied += 1;
        }
    }
    assert_eq!(copied, 14);
    healthcode_tests::write_value_sets(&sets);
    let run = |value_sets: Option<&std::path::Path>| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_healthcode"));
        command.args(["interop", "dcc-testdata"]).arg(&cases);
        if let Some(sets) = value_sets {
            command.arg("--value-sets").arg(sets);
        }
        let out = command.output().expect("run healthcode");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, text) = run(None);
    assert_eq!(code, Some(1));
    assert!(text.ends_with("11 passed, 3 failed\n"), "{text}");
    let (code, text) = run(Some(&sets));
    assert_eq!(code, Some(0), "{text}");
    assert!(text.ends_with("14 passed, 0 failed\n"), "{text}");
    // A folder without a set the schema uses is an error, not a silent pass.
    std::fs::remove_file(sets.join("test-manf.json")).expect("rm");
    let (code, _) = run(Some(&sets));
    assert_eq!(code, Some(2));
    std::fs::remove_dir_all(&work).expect("cleanup");
}

#[test]
fn dcc_testdata_refuses_a_missing_directory() {
    let out = Command::new(env!("CARGO_BIN_EXE_healthcode"))
        .args(["interop", "dcc-testdata", "/nonexistent/healthcode-dcc"])
        .output()
        .expect("run healthcode");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn shc_testdata_all_cases_pass() {
    let Some(dir) = testdata_dir("shc") else {
        return;
    };
    let out = Command::new(env!("CARGO_BIN_EXE_healthcode"))
        .arg("interop")
        .arg("shc-testdata")
        .arg(&dir)
        .output()
        .expect("run healthcode");
    let stdout = String::from_utf8_lossy(&out.stdout);
    report("interop shc-testdata", &stdout, &out.stderr);
    let last = stdout.lines().last().unwrap_or_default();
    assert!(out.status.success(), "exit status {:?}", out.status);
    assert!(
        last.ends_with(" passed, 0 failed"),
        "closing line was {last:?}"
    );
    assert!(!stdout.contains("\nFAIL "), "a case failed");
}
