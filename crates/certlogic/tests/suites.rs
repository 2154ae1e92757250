//! Runs every case of the CertLogic specification's test suites (`testSuite/*.json`,
//! `validation-testSuite/*.json` in `shared/testdata/certlogic`), as certlogic-js's runners do:
//! suite-, case- and assertion-level `"skip"` directives are honoured (`"only"` runs like no
//! directive); an assertion's own `certLogicExpression` overrides its case's. Every evaluation
//! runs through both the interpreter and the compiled `Program`, which must agree exactly.
//!
//! The test data is found at `$HEALTHCODE_TESTDATA/certlogic` (or `$HEALTHCODE_TESTDATA` itself
//! if it holds `testSuite/`), else at `<workspace>/../shared/testdata/certlogic`. Missing test
//! data skips these tests, unless `HEALTHCODE_REQUIRE_TESTDATA=1`.
//!
//! The per-file counts are written straight to stderr, which libtest does not capture, so they
//! show in a plain `cargo test` run.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use healthcode_certlogic::{EvalError, Program, evaluate, validate};
use serde_json::Value;

/// Writes a line to stderr past libtest's output capture (it only captures `print!` & co.).
fn report(line: &str) {
    let mut stderr = std::io::stderr().lock();
    // Nothing sensible to do if stderr is gone.
    let _ = writeln!(stderr, "{line}");
}

fn testdata_dir() -> Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os("HEALTHCODE_TESTDATA") {
        let dir = PathBuf::from(dir);
        for candidate in [dir.join("certlogic"), dir.clone()] {
            if candidate.join("testSuite").is_dir() {
                return Ok(candidate);
            }
        }
        return Err(format!(
            "HEALTHCODE_TESTDATA={} holds neither certlogic/testSuite nor testSuite",
            dir.display()
        ));
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/certlogic");
    if dir.join("testSuite").is_dir() {
        Ok(dir)
    } else {
        Err(format!("no CertLogic test data at {}", dir.display()))
    }
}

/// The test data folder, or `None` (after saying so) when it may be skipped.
fn require_testdata(what: &str) -> Option<PathBuf> {
    match testdata_dir() {
        Ok(dir) => Some(dir),
        Err(why) if std::env::var("HEALTHCODE_REQUIRE_TESTDATA").as_deref() == Ok("1") => {
            panic!("{why}, and HEALTHCODE_REQUIRE_TESTDATA=1")
        }
        Err(why) => {
            report(&format!("skipping the CertLogic {what}: {why}"));
            None
        }
    }
}

/// The `*.json` files of a folder, sorted, parsed.
fn suite_files(dir: &Path) -> Vec<(String, Value)> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => panic!("cannot list {}: {e}", dir.display()),
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    paths.sort();
    assert!(
        !paths.is_empty(),
        "no test suite files in {}",
        dir.display()
    );
    paths
        .into_iter()
        .map(|path| {
            let name = path
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_default();
            let text = match std::fs::read_to_string(&path) {
                Ok(text) => text,
                Err(e) => panic!("cannot read {}: {e}", path.display()),
            };
            match serde_json::from_str(&text) {
                Ok(json) => (name, json),
                Err(e) => panic!("{} is not JSON: {e}", path.display()),
            }
        })
        .collect()
}

fn is_skipped(node: &Value) -> bool {
    node.get("directive").and_then(Value::as_str) == Some("skip")
}

fn items<'v>(node: &'v Value, key: &str) -> &'v [Value] {
    node.get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// JSON equality in which numbers compare numerically (`1` equals `1.0`), like chai's deepEqual
/// on JavaScript values.
fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(x), Some(y)) => x == y,
            _ => x.as_f64() == y.as_f64(),
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_json(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_json(v, w)))
        }
        _ => a == b,
    }
}

/// Per-file tally.
#[derive(Default)]
struct Tally {
    passed: usize,
    run: usize,
    skipped: usize,
    skipped_passing: usize,
}

impl Tally {
    fn line(&self, file: &str) -> String {
        let mut line = format!("{file}: {}/{} passed", self.passed, self.run);
        if self.skipped > 0 {
            let _ = write!(
                line,
                " ({} skipped by directive, as in certlogic-js; of those, {} would pass)",
                self.skipped, self.skipped_passing
            );
        }
        line
    }
}

/// Evaluates with both engines; `Err` describes a failure (disagreement or wrong result).
fn check_assertion(expr: &Value, data: &Value, expected: &Value) -> Result<(), String> {
    let interpreted = evaluate(expr, data);
    let compiled = Program::compile(expr)
        .map_err(EvalError::from)
        .and_then(|program| program.evaluate(data));
    if interpreted != compiled {
        return Err(format!(
            "interpreter gave {interpreted:?} but compiled program gave {compiled:?}"
        ));
    }
    match interpreted {
        Ok(actual) if same_json(&actual, expected) => Ok(()),
        Ok(actual) => Err(format!("expected {expected}, got {actual}")),
        Err(e) => Err(format!("expected {expected}, got error {e}")),
    }
}

/// Beyond the expected results: every expression of a file against every data of that file
/// (mostly combinations the suite never asserts, many of them errors), through both engines,
/// which must agree exactly. Returns the number of pairs checked.
fn cross_check(file: &str, suite: &Value, failures: &mut Vec<String>) -> usize {
    let mut exprs = Vec::new();
    let mut datas = Vec::new();
    for case in items(suite, "cases") {
        exprs.extend(case.get("certLogicExpression"));
        for assertion in items(case, "assertions") {
            exprs.extend(assertion.get("certLogicExpression"));
            datas.extend(assertion.get("data"));
        }
    }
    let mut checked = 0;
    for expr in &exprs {
        let program = Program::compile(expr);
        for data in &datas {
            let interpreted = evaluate(expr, data);
            let compiled = program
                .clone()
                .map_err(EvalError::from)
                .and_then(|program| program.evaluate(data));
            if interpreted != compiled {
                failures.push(format!(
                    "{file}: engines disagree on {expr} with {data}: {interpreted:?} vs {compiled:?}"
                ));
            }
            checked += 1;
        }
    }
    checked
}

#[test]
fn evaluation_test_suite() {
    let Some(root) = require_testdata("evaluation test suite") else {
        return;
    };
    let mut failures = Vec::new();
    let mut total = Tally::default();
    let mut cross_checks = 0;
    for (file, suite) in suite_files(&root.join("testSuite")) {
        let mut tally = Tally::default();
        let suite_skipped = is_skipped(&suite);
        for case in items(&suite, "cases") {
            let case_name = case
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("<unnamed>");
            let case_skipped = suite_skipped || is_skipped(case);
            for (index, assertion) in items(case, "assertions").iter().enumerate() {
                let label = assertion
                    .get("message")
                    .and_then(Value::as_str)
                    .map_or_else(|| format!("#{}", index + 1), str::to_owned);
                let expr = assertion
                    .get("certLogicExpression")
                    .or_else(|| case.get("certLogicExpression"));
                let (Some(expr), Some(data), Some(expected)) =
                    (expr, assertion.get("data"), assertion.get("expected"))
                else {
                    failures.push(format!(
                        "{file} / {case_name} / {label}: incomplete assertion"
                    ));
                    continue;
                };
                let outcome = check_assertion(expr, data, expected);
                if case_skipped || is_skipped(assertion) {
                    tally.skipped += 1;
                    tally.skipped_passing += usize::from(outcome.is_ok());
                    continue;
                }
                tally.run += 1;
                match outcome {
                    Ok(()) => tally.passed += 1,
                    Err(why) => failures.push(format!(
                        "{file} / {case_name} / {label}: {expr} on {data}: {why}"
                    )),
                }
            }
        }
        cross_checks += cross_check(&file, &suite, &mut failures);
        report(&tally.line(&file));
        total.passed += tally.passed;
        total.run += tally.run;
        total.skipped += tally.skipped;
        total.skipped_passing += tally.skipped_passing;
    }
    report(&total.line("CertLogic evaluation test suite, all files"));
    report(&format!(
        "interpreter vs compiled program: {cross_checks} expression x data pairs cross-checked (errors included)"
    ));
    assert!(
        failures.is_empty(),
        "{} failing assertion(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(total.run > 0, "the evaluation test suite ran no assertion");
}

#[test]
fn validation_test_suite() {
    let Some(root) = require_testdata("validation test suite") else {
        return;
    };
    let mut failures = Vec::new();
    let mut total = Tally::default();
    for (file, suite) in suite_files(&root.join("validation-testSuite")) {
        let mut tally = Tally::default();
        let suite_skipped = is_skipped(&suite);
        for (index, case) in items(&suite, "cases").iter().enumerate() {
            let Some(expr) = case.get("certLogicExpression") else {
                failures.push(format!(
                    "{file} / case #{}: no certLogicExpression",
                    index + 1
                ));
                continue;
            };
            let label = case
                .get("name")
                .and_then(Value::as_str)
                .map_or_else(|| format!("case #{}: {expr}", index + 1), str::to_owned);
            let expected = items(case, "issues");
            let issues = validate(expr);
            let mut problems = Vec::new();
            let matches = issues.len() == expected.len()
                && issues.iter().zip(expected).all(|(issue, want)| {
                    want.get("expr").is_some_and(|e| same_json(e, &issue.expr))
                        && want.get("message").and_then(Value::as_str) == Some(&issue.message)
                });
            if !matches {
                let got: Vec<String> = issues
                    .iter()
                    .map(|i| format!("{{expr: {}, message: {:?}}}", i.expr, i.message))
                    .collect();
                let want: Vec<String> = expected.iter().map(Value::to_string).collect();
                problems.push(format!(
                    "expected issues [{}], got [{}]",
                    want.join(", "),
                    got.join(", ")
                ));
            }
            // Compilation and evaluation refuse exactly the expressions validation flags.
            if Program::compile(expr).is_ok() != issues.is_empty() {
                problems.push("Program::compile disagrees with validate".to_owned());
            }
            let refused = matches!(
                evaluate(expr, &Value::Null),
                Err(EvalError::InvalidExpression(_))
            );
            if refused == issues.is_empty() {
                problems.push("evaluate disagrees with validate".to_owned());
            }
            if suite_skipped || is_skipped(case) {
                tally.skipped += 1;
                tally.skipped_passing += usize::from(problems.is_empty());
                continue;
            }
            tally.run += 1;
            if problems.is_empty() {
                tally.passed += 1;
            } else {
                failures.push(format!("{file} / {label}: {}", problems.join("; ")));
            }
        }
        report(&tally.line(&file));
        total.passed += tally.passed;
        total.run += tally.run;
        total.skipped += tally.skipped;
        total.skipped_passing += tally.skipped_passing;
    }
    report(&total.line("CertLogic validation test suite, all files"));
    assert!(
        failures.is_empty(),
        "{} failing case(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(total.run > 0, "the validation test suite ran no case");
}
