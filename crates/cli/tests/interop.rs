//! The international formats' published test data, run through the binary as a
//! user would: `healthcode interop dcc-testdata` over the EU dgc-testdata vectors
//! and `healthcode interop shc-testdata` over the SMART Health Cards validator
//! data, both checked out beside the repository (`../shared/testdata`).

use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::Command;

/// Vectors known to be wrong upstream, each with the reason. The runner reports them (it
/// never special-cases a file) and this test checks that nothing else fails or is skipped.
/// Each certificate is checked against the schema of the version it declares, with the
/// bundled EU value sets.
const WRONG_UPSTREAM: &[(&str, &str)] = &[
    (
        "PL-1.3.0-1.json",
        "JSON (dob 1974-06-10) differs from the signed payload (dob 1958-11-11)",
    ),
    (
        "PL-1.3.0-5.json",
        "JSON (fn \"ik ben ben\") differs from the signed payload",
    ),
    (
        "HU-3.json",
        "valid under no released schema: `ci` and `tc` longer than the 50 characters 1.0.0 \
         (the version it declares) allows, `tc` longer than the 80 of 1.3.x; a length is no \
         spelling to read past",
    ),
];

/// Valid vectors that pass only by reading past a slip of their issuer (see
/// `healthcode_dcc::schema::Tolerated`), and what the runner says it read.
const READ_PAST: &[(&str, &str)] = &[
    ("BG-1.json", "/r: null read as absent"),
    ("BG-2.json", "/v: null read as absent"),
    (
        "GE-1.json",
        "/v/0/ma: \"SinovacBiotech\" read as the code \"Sinovac-Biotech\"",
    ),
    (
        "HU-1.json",
        "/v/0/mp: \"COVID-19 Vaccine Moderna\" read as the code \"EU/1/20/1507\"",
    ),
];

/// Stages a vector sets a flag for but carries no input for: skipped, not failed. The
/// vector is wrong (it expects the picture to decode), as the format's own suite finds.
const SKIPPED_HERE: &[(&str, &str, &str)] = &[(
    "common-B1.json",
    "EXPECTEDPICTUREDECODE",
    "sets EXPECTEDPICTUREDECODE but has no 2DCODE picture",
)];

/// Valid vectors (every expected result true) that `healthcode verify` refuses: the code it
/// answers, whether `--no-value-sets` lets it through, and why. The certificate itself is
/// wrong, as the runner finds (see [`WRONG_UPSTREAM`]), or, for BG-4, wrong in a way the
/// vector does not ask about.
const REFUSED_BY_VERIFY: &[(&str, &str, bool, &str)] = &[
    (
        "HU-3.json",
        "dcc.schema",
        false,
        "too long for every schema",
    ),
    (
        "BG-4.json",
        "dcc.dsc_validity",
        false,
        "issued (iat 2021-02-16) before its signing certificate was valid (from \
         2021-05-11); the vector sets no EXPECTEDEXPIRATIONCHECK, the check that finds it",
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

/// `N passed, M failed, K skipped`, the runner's closing line.
fn closing_counts(last: &str) -> (usize, usize, usize) {
    let parse = |text: &str, unit: &str| text.strip_suffix(unit)?.parse::<usize>().ok();
    let parts: Vec<&str> = last.split(", ").collect();
    match parts.as_slice() {
        [p, f, s] => parse(p, " passed")
            .zip(parse(f, " failed"))
            .zip(parse(s, " skipped"))
            .map(|((p, f), s)| (p, f, s)),
        _ => None,
    }
    .unwrap_or_else(|| panic!("closing line is not `N passed, M failed, K skipped`: {last}"))
}

/// The stages a folder of vectors asks for: each known flag with a boolean value.
fn stages_asked(dir: &std::path::Path) -> usize {
    healthcode_dcc::testdata::find_cases(dir)
        .expect("cases")
        .iter()
        .map(|path| {
            let text = std::fs::read_to_string(path).expect("read");
            let case: serde_json::Value = serde_json::from_str(&text).expect("json");
            case["EXPECTEDRESULTS"].as_object().map_or(0, |flags| {
                flags
                    .iter()
                    .filter(|(f, v)| {
                        v.is_boolean()
                            && healthcode_dcc::testdata::KNOWN_FLAGS.contains(&f.as_str())
                    })
                    .count()
            })
        })
        .sum()
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
    let (passed, failed, skipped) = closing_counts(last);
    // Stages are counted, as the format's own test suite counts them: every stage asked for
    // passed, failed or was skipped.
    assert_eq!(passed + failed + skipped, stages_asked(&dir), "{last}");
    assert!(passed > 1000, "too few stages ran: {last}");
    let lines = |prefix: &str| -> Vec<&str> {
        stdout
            .lines()
            .filter_map(|l| l.strip_prefix(prefix))
            .collect()
    };
    assert_eq!(lines("FAIL ").len(), failed, "FAIL lines vs closing line");
    assert_eq!(lines("SKIP ").len(), skipped, "SKIP lines vs closing line");
    assert!(
        lines("PASS ").len() > 140,
        "PASS lines: one per case without a failure"
    );

    let vectors = |prefix: &str| -> BTreeSet<String> {
        lines(prefix)
            .iter()
            .filter_map(|l| l.split(':').next())
            .map(str::to_owned)
            .collect()
    };
    let wrong: BTreeSet<String> = WRONG_UPSTREAM
        .iter()
        .map(|(f, _)| (*f).to_owned())
        .collect();
    assert_eq!(vectors("FAIL "), wrong, "the failing vectors");
    // What was read past is said, on the vector's PASS line, and nowhere else.
    let read_past: BTreeSet<String> = stdout
        .lines()
        .filter(|l| l.contains("(read past: "))
        .filter_map(|l| l.strip_prefix("PASS ")?.split(' ').next())
        .map(str::to_owned)
        .collect();
    let expected: BTreeSet<String> = READ_PAST.iter().map(|(f, _)| (*f).to_owned()).collect();
    assert_eq!(read_past, expected, "the vectors read past");
    for (file, reading) in READ_PAST {
        let line = lines("PASS ")
            .into_iter()
            .find(|l| l.starts_with(file))
            .unwrap_or_default();
        assert!(line.contains(reading), "{file}: {line}");
    }
    let skips: BTreeSet<(String, String)> = lines("SKIP ")
        .iter()
        .filter_map(|l| {
            let (name, rest) = l.split_once(": flag ")?;
            Some((name.to_owned(), rest.split(' ').next()?.to_owned()))
        })
        .collect();
    let expected: BTreeSet<(String, String)> = SKIPPED_HERE
        .iter()
        .map(|(f, flag, _)| ((*f).to_owned(), (*flag).to_owned()))
        .collect();
    assert_eq!(skips, expected, "the skipped stages");
    // Exit status follows the closing line: 0 only when no stage failed.
    let expected_code = if failed == 0 { 0 } else { 1 };
    assert_eq!(out.status.code(), Some(expected_code), "{last}");
}

#[test]
fn dcc_testdata_checks_value_sets_by_default() {
    let Some(dir) = testdata_dir("dcc") else {
        return;
    };
    let work = std::env::temp_dir().join(format!("hc_valuesets_{}", std::process::id()));
    let (cases, sets) = (work.join("cases"), work.join("valuesets"));
    std::fs::create_dir_all(&cases).expect("mkdir");
    let mut copied = 0;
    for entry in std::fs::read_dir(&dir).expect("read dir").flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with("PL-1.2.1-") || name.starts_with("PL-1.0.0-") {
            std::fs::copy(entry.path(), cases.join(&name)).expect("copy");
            copied += 1;
        }
    }
    assert_eq!(copied, 28);
    healthcode_tests::write_value_sets(&sets);
    let run = |args: &[&std::ffi::OsStr]| {
        let out = Command::new(env!("CARGO_BIN_EXE_healthcode"))
            .args(["interop", "dcc-testdata"])
            .arg(&cases)
            .args(args)
            .output()
            .expect("run healthcode");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let failing = |text: &str| -> BTreeSet<String> {
        text.lines()
            .filter_map(|l| l.strip_prefix("FAIL "))
            .filter_map(|l| l.split(':').next())
            .map(str::to_owned)
            .collect()
    };
    // Bundled value sets: the unknown device, country and manufacturer are refused, as the
    // vectors expect, under the 1.0.0 and 1.2.1 schemas they name.
    let (code, text) = run(&[]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.ends_with(" passed, 0 failed, 0 skipped\n"), "{text}");
    // Without value sets, the schema alone lets all six through.
    let (code, text) = run(&["--no-value-sets".as_ref()]);
    assert_eq!(code, Some(1));
    assert!(text.ends_with(" passed, 6 failed, 0 skipped\n"), "{text}");
    let expected: BTreeSet<String> = ["PL-1.0.0-", "PL-1.2.1-"]
        .iter()
        .flat_map(|p| (7..=9).map(move |n| format!("{p}{n}.json")))
        .collect();
    assert_eq!(failing(&text), expected);
    // A newer folder (as the gateway gives) replaces the bundled sets.
    let (code, text) = run(&["--value-sets".as_ref(), sets.as_os_str()]);
    assert_eq!(code, Some(0), "{text}");
    let (code, text) = run(&["--dcc-value-sets".as_ref(), sets.as_os_str()]);
    assert_eq!(code, Some(0), "{text}");
    // Both at once is a usage error.
    let (code, _) = run(&[
        "--value-sets".as_ref(),
        sets.as_os_str(),
        "--no-value-sets".as_ref(),
    ]);
    assert_eq!(code, Some(2));
    // A folder without a set a field uses is an error, not a silent pass.
    std::fs::remove_file(sets.join("test-manf.json")).expect("rm");
    let (code, _) = run(&["--value-sets".as_ref(), sets.as_os_str()]);
    assert_eq!(code, Some(2));
    std::fs::remove_dir_all(&work).expect("cleanup");
}

/// Every valid vector of the shared test data (every expected result true), of every
/// schema version, verifies with `healthcode verify` and no flag but the trust list and the
/// vector's time: its signature (ES256 on P-256, PS256 on RSA), validity, key usage, the
/// schema of its version and the bundled value sets. The few the runner finds wrong are
/// refused, naming the reason.
#[test]
fn every_valid_vector_verifies_without_flags() {
    let Some(dir) = testdata_dir("dcc") else {
        return;
    };
    let work = std::env::temp_dir().join(format!("hc_valid_vectors_{}", std::process::id()));
    std::fs::create_dir_all(&work).expect("mkdir");
    let mut valid = Vec::new();
    let mut signers = BTreeSet::new();
    for path in healthcode_dcc::testdata::find_cases(&dir).expect("cases") {
        let case: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
        let all_true = case["EXPECTEDRESULTS"]
            .as_object()
            .is_some_and(|flags| flags.values().all(|v| v == true));
        let (Some(prefix), Some(certificate)) = (
            case["PREFIX"].as_str(),
            case["TESTCTX"]["CERTIFICATE"].as_str(),
        ) else {
            continue;
        };
        if !all_true {
            continue;
        }
        let decoded = healthcode_dcc::decode(prefix).expect("a valid vector decodes");
        // At the vector's clock when it asks for the expiry check, else when it was issued.
        let clock = case["TESTCTX"]["VALIDATIONCLOCK"]
            .as_str()
            .filter(|_| case["EXPECTEDRESULTS"]["EXPECTEDEXPIRATIONCHECK"] == true)
            .and_then(healthcode_dcc::parse_timestamp);
        let at = clock.or(decoded.iat).expect("a time").to_string();
        let version = decoded.hcert["ver"].as_str().unwrap_or("").to_owned();
        signers.insert(certificate.to_owned());
        let name = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        valid.push((name, prefix.to_owned(), at, version));
    }
    let trust = work.join("trust.json");
    std::fs::write(
        &trust,
        serde_json::json!({
            "issuer": "350000", "issuer_name": "dgc-testdata signers", "generated_at": 0,
            "keys": [], "dcc_signers": signers,
        })
        .to_string(),
    )
    .expect("write");
    let verify = |payload: &str, at: &str, extra: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_healthcode"))
            .args(["verify", payload, "--trust"])
            .arg(&trust)
            .args(["--at", at])
            .args(extra)
            .output()
            .expect("run healthcode");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    for (name, ..) in REFUSED_BY_VERIFY {
        assert!(
            valid.iter().any(|(v, ..)| v == name),
            "{name} is not a valid vector"
        );
    }
    let mut versions = BTreeSet::new();
    let mut verified = 0;
    for (name, prefix, at, version) in &valid {
        let (code, text) = verify(prefix, at, &[]);
        match REFUSED_BY_VERIFY.iter().find(|(f, ..)| f == name) {
            None => {
                assert_eq!(code, Some(0), "{name}: {text}");
                assert!(text.starts_with("VALID EU DCC"), "{name}: {text}");
                // A slip read past is shown beside the verdict.
                if let Some((_, reading)) = READ_PAST.iter().find(|(f, _)| f == name) {
                    assert!(text.contains(reading), "{name}: {text}");
                }
                versions.insert(version.clone());
                verified += 1;
            }
            Some((_, error, value_sets, why)) => {
                assert_eq!(code, Some(1), "{name} ({why}): {text}");
                assert!(
                    text.starts_with(&format!("INVALID {error}:")),
                    "{name}: {text}"
                );
                let (code, text) = verify(prefix, at, &["--no-value-sets"]);
                assert_eq!(
                    code,
                    Some(if *value_sets { 0 } else { 1 }),
                    "{name}: {text}"
                );
            }
        }
    }
    println!("{verified} valid vectors verified, schema versions {versions:?}");
    assert!(verified > 100, "only {verified} valid vectors");
    for version in ["1.0.0", "1.0.1", "1.2.1", "1.3.0"] {
        assert!(
            versions.contains(version),
            "no valid {version} vector: {versions:?}"
        );
    }
    std::fs::remove_dir_all(&work).expect("cleanup");
}

/// DCCs as healthcode issues them (the vaccine codes it maps products to, NAAT and RAT
/// tests) verify with `healthcode verify` and no value-set flag.
#[test]
fn healthcode_dccs_verify_without_flags() {
    let now = 1_800_000_000;
    let issuer = healthcode_dcc::DccIssuer::generate(&healthcode_dcc::IssuerParams {
        country: "CN".to_owned(),
        common_name: "Fujian DCC signer".to_owned(),
        not_before: now - 86_400,
        not_after: now + 365 * 86_400,
        kinds: Vec::new(),
    })
    .expect("issuer");
    let work = std::env::temp_dir().join(format!("hc_own_dccs_{}", std::process::id()));
    std::fs::create_dir_all(&work).expect("mkdir");
    let trust = work.join("trust.json");
    use base64::Engine as _;
    std::fs::write(
        &trust,
        serde_json::json!({
            "issuer": "350000", "issuer_name": "Fujian", "generated_at": now, "keys": [],
            "dcc_signers": [base64::engine::general_purpose::STANDARD.encode(issuer.certificate_der())],
        })
        .to_string(),
    )
    .expect("write");
    let name = healthcode_dcc::Name::transliterated("王", "小明", "WANG", "XIAOMING");
    let mut certificates = Vec::new();
    for product in healthcode_core::certificates::EU_CODED_PRODUCTS {
        let codes = healthcode_core::certificates::VaccineCodes::for_product(product)
            .dcc
            .expect("an EU-coded product");
        certificates.push(healthcode_dcc::HealthCertificate::vaccination(
            name.clone(),
            "1985-06-01",
            healthcode_dcc::VaccinationEntry {
                tg: healthcode_dcc::DISEASE_COVID19.to_owned(),
                vp: codes.vp,
                mp: codes.mp,
                ma: codes.ma,
                dn: 2,
                sd: 2,
                dt: "2021-06-01".to_owned(),
                co: "CN".to_owned(),
                issuer: "Fujian Health Commission".to_owned(),
                ci: healthcode_dcc::random_uvci("CN", "FJ").expect("uvci"),
            },
        ));
    }
    for tt in [healthcode_dcc::TEST_NAAT, healthcode_dcc::TEST_RAT] {
        certificates.push(healthcode_dcc::HealthCertificate::test(
            name.clone(),
            "1985-06-01",
            healthcode_dcc::TestEntry {
                tg: healthcode_dcc::DISEASE_COVID19.to_owned(),
                tt: tt.to_owned(),
                nm: None,
                ma: None,
                sc: healthcode_dcc::format_timestamp(now - 3600),
                tr: healthcode_dcc::RESULT_NOT_DETECTED.to_owned(),
                tc: Some("Fuzhou CDC".to_owned()),
                co: "CN".to_owned(),
                issuer: "Fujian Health Commission".to_owned(),
                ci: healthcode_dcc::random_uvci("CN", "FJ").expect("uvci"),
            },
        ));
    }
    for certificate in &certificates {
        let hc1 = issuer.issue(certificate, now, now + 3600).expect("issue");
        let out = Command::new(env!("CARGO_BIN_EXE_healthcode"))
            .args(["verify", &hc1, "--trust"])
            .arg(&trust)
            .args(["--at", &(now + 5).to_string()])
            .output()
            .expect("run healthcode");
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{text}");
        assert!(text.starts_with("VALID EU DCC"), "{text}");
    }
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
