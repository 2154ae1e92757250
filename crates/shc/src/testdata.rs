//! The runner of the SMART Health Cards validator test data
//! (smart-on-fhir/health-cards-dev-tools `testdata/`). Upstream keeps its
//! expectations in its (not included) test code; ours are in the versioned table
//! `testdata-expectations.toml`, and each file is run through the matching layer of
//! the verifier and compared.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use thiserror::Error;

use crate::verify::{self, MAX_INPUT_LEN};
use crate::{IssuerDirectory, ShcError, fhir, jwk};

/// The expectations table, compiled in so the runner and its table never diverge.
pub const EXPECTATIONS: &str = include_str!("../testdata-expectations.toml");
/// The public JWKS of the specification's example issuer
/// (`https://spec.smarthealth.cards/examples/issuer/.well-known/jwks.json`), which
/// signed the upstream examples but is not part of the test data folder.
pub const SPEC_EXAMPLE_JWKS: &str = include_str!("../testdata/spec-example-issuer.jwks.json");

/// Why the runner could not run at all.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum RunnerError {
    /// The expectations table is malformed.
    #[error("expectations table: {0}")]
    Table(String),
    /// The test data folder cannot be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The trusted issuers could not be loaded.
    #[error("trusted issuers: {0}")]
    Issuers(ShcError),
}

impl RunnerError {
    /// Stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            RunnerError::Table(_) => "shc.testdata_table",
            RunnerError::Io { .. } => "shc.testdata_io",
            RunnerError::Issuers(_) => "shc.testdata_issuers",
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    version: u32,
    #[allow(dead_code)]
    upstream: String,
    now: i64,
    directory: String,
    issuers: BTreeMap<String, String>,
    #[serde(rename = "case")]
    cases: Vec<Case>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    files: Vec<String>,
    layer: Layer,
    expect: Option<String>,
    #[serde(default)]
    warnings: Vec<String>,
    #[serde(default)]
    issuers: BTreeMap<String, String>,
    /// For the `jwks` layer: the issuer URL an `x5c` leaf must name.
    iss: Option<String>,
    #[allow(dead_code)]
    upstream: Option<String>,
    #[allow(dead_code)]
    note: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Layer {
    /// A FHIR Bundle alone.
    Fhirbundle,
    /// A JWS payload (unsigned claims).
    Jwspayload,
    /// A bare compact JWS.
    Jws,
    /// A `.smart-health-card` file.
    Healthcard,
    /// A FHIR `$health-cards-issue` Parameters response.
    Fhirhealthcard,
    /// Numeric QR text(s), chunks of one card together.
    Qrnumeric,
    /// QR picture(s), chunks of one card together.
    Qr,
    /// A JWKS key set.
    Jwks,
    /// Not a card: a key file or other input used by other cases, listed only.
    Input,
}

/// What happened to one case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// As expected.
    Pass,
    /// Not as expected.
    Fail,
    /// Not a card; listed as an input.
    Input,
}

/// One line of the report.
#[derive(Debug, Clone)]
pub struct CaseResult {
    /// The file(s) of the case.
    pub name: String,
    /// The verdict.
    pub verdict: Verdict,
    /// What we observed (`valid`, `rejected: code: message`, or the input note).
    pub detail: String,
}

impl CaseResult {
    /// The report line: `PASS name detail`, `FAIL …` or `INPUT …`.
    pub fn line(&self) -> String {
        let tag = match self.verdict {
            Verdict::Pass => "PASS",
            Verdict::Fail => "FAIL",
            Verdict::Input => "INPUT",
        };
        format!("{tag} {} {}", self.name, self.detail)
    }
}

/// The whole run.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Every case, files absent from the table included (as failures).
    pub cases: Vec<CaseResult>,
}

impl Report {
    /// Cases that passed.
    pub fn passed(&self) -> usize {
        self.cases
            .iter()
            .filter(|c| c.verdict == Verdict::Pass)
            .count()
    }

    /// Cases that failed.
    pub fn failed(&self) -> usize {
        self.cases
            .iter()
            .filter(|c| c.verdict == Verdict::Fail)
            .count()
    }

    /// The closing line: `N passed, M failed`.
    pub fn summary(&self) -> String {
        format!("{} passed, {} failed", self.passed(), self.failed())
    }
}

/// What a layer made of the input.
struct Observed {
    result: Result<Vec<fhir::Warning>, ShcError>,
}

fn read(dir: &Path, name: &str) -> Result<Vec<u8>, RunnerError> {
    let path = dir.join(name);
    std::fs::read(&path).map_err(|source| RunnerError::Io { path, source })
}

fn text(bytes: &[u8]) -> Result<String, ShcError> {
    if bytes.len() > MAX_INPUT_LEN {
        return Err(ShcError::InputTooLarge(bytes.len()));
    }
    String::from_utf8(bytes.to_vec()).map_err(|_| ShcError::FileJson("not UTF-8".into()))
}

fn strict_json(bytes: &[u8]) -> Result<serde_json::Value, ShcError> {
    let t = text(bytes)?;
    let framed = crate::numeric::check_framing(&t)?;
    serde_json::from_str(framed).map_err(|e| ShcError::FileJson(e.to_string()))
}

fn load_issuers(
    dir: &Path,
    table: &BTreeMap<String, String>,
) -> Result<Result<IssuerDirectory, ShcError>, RunnerError> {
    let mut d = IssuerDirectory::new();
    for (iss, source) in table {
        let jwks = if source == "builtin:spec-example" {
            SPEC_EXAMPLE_JWKS.to_owned()
        } else {
            match text(&read(dir, source)?) {
                Ok(t) => t,
                Err(e) => return Ok(Err(e)),
            }
        };
        if let Err(e) = d.add_jwks_json(iss, &jwks) {
            return Ok(Err(e));
        }
    }
    Ok(Ok(d))
}

fn run_layer(
    layer: Layer,
    iss: Option<&str>,
    inputs: &[Vec<u8>],
    trust: &IssuerDirectory,
    now: i64,
) -> Observed {
    let all_warnings = |cards: Vec<verify::VerifiedCard>| {
        cards
            .into_iter()
            .flat_map(|c| c.warnings)
            .collect::<Vec<_>>()
    };
    let result = (|| -> Result<Vec<fhir::Warning>, ShcError> {
        let first = inputs.first().map(Vec::as_slice).unwrap_or(&[]);
        match layer {
            Layer::Fhirbundle => fhir::check_bundle(&strict_json(first)?),
            Layer::Jwspayload => Ok(verify::check_payload(&strict_json(first)?, now)?.warnings),
            Layer::Jws => Ok(verify::verify_jws(&text(first)?, trust, now)?.warnings),
            Layer::Healthcard => Ok(all_warnings(verify::verify_file(
                &text(first)?,
                trust,
                now,
            )?)),
            Layer::Fhirhealthcard => Ok(all_warnings(verify::verify_fhir_parameters(
                &text(first)?,
                trust,
                now,
            )?)),
            Layer::Qrnumeric => {
                let texts = inputs
                    .iter()
                    .map(|b| text(b))
                    .collect::<Result<Vec<_>, _>>()?;
                let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
                Ok(verify::verify_qr_texts(&refs, trust, now)?.warnings)
            }
            Layer::Qr => {
                let refs: Vec<&[u8]> = inputs.iter().map(Vec::as_slice).collect();
                Ok(verify::verify_qr_images(&refs, trust, now)?.warnings)
            }
            Layer::Jwks => jwk::check_jwks(&text(first)?, iss).map(|_| Vec::new()),
            Layer::Input => Ok(Vec::new()),
        }
    })();
    Observed { result }
}

fn compare(case: &Case, observed: &Observed) -> (bool, String) {
    let expect = case.expect.as_deref().unwrap_or("valid");
    match &observed.result {
        Ok(warnings) => {
            let codes: BTreeSet<&str> = warnings.iter().map(|w| w.code).collect();
            let wanted: BTreeSet<&str> = case.warnings.iter().map(String::as_str).collect();
            let shown = if codes.is_empty() {
                String::new()
            } else {
                format!(
                    " (warnings: {})",
                    codes.iter().copied().collect::<Vec<_>>().join(", ")
                )
            };
            if expect == "valid" && codes == wanted {
                (true, format!("valid{shown}"))
            } else if expect == "valid" {
                (
                    false,
                    format!("valid, but warnings {codes:?} differ from expected {wanted:?}"),
                )
            } else {
                (
                    false,
                    format!("accepted{shown}, expected rejection {expect}"),
                )
            }
        }
        Err(e) => {
            let got = format!("rejected: {}: {e}", e.code());
            if e.code() == expect {
                (true, got)
            } else {
                (false, format!("{got} (expected {expect})"))
            }
        }
    }
}

/// Runs every case of the table over the files of `dir`; every file of `dir`
/// absent from the table is reported as a failure, as is every table file absent
/// from `dir`.
pub fn run(dir: &Path) -> Result<Report, RunnerError> {
    let table: Table =
        toml::from_str(EXPECTATIONS).map_err(|e| RunnerError::Table(e.to_string()))?;
    if table.version != 1 {
        return Err(RunnerError::Table(format!(
            "unknown version {}",
            table.version
        )));
    }
    let present = list_files(dir)?;
    // The directory listing of trusted issuers (test-issuers.json), whose JWKS come
    // from the table's `issuers`.
    let mut trust = IssuerDirectory::new();
    let listing = text(&read(dir, &table.directory)?).map_err(RunnerError::Issuers)?;
    let missing = trust
        .add_vci_directory(&listing, |iss| {
            table.issuers.get(iss).and_then(|src| {
                if src == "builtin:spec-example" {
                    Some(SPEC_EXAMPLE_JWKS.to_owned())
                } else {
                    std::fs::read_to_string(dir.join(src)).ok()
                }
            })
        })
        .map_err(RunnerError::Issuers)?;
    if !missing.is_empty() {
        return Err(RunnerError::Table(format!(
            "no JWKS for issuers {missing:?}"
        )));
    }

    let mut report = Report::default();
    let mut covered = BTreeSet::new();
    for case in &table.cases {
        let name = case.files.join(" + ");
        for f in &case.files {
            covered.insert(f.clone());
        }
        for src in case.issuers.values() {
            covered.insert(src.clone());
        }
        let absent: Vec<&String> = case
            .files
            .iter()
            .filter(|f| !present.contains(*f))
            .collect();
        if !absent.is_empty() {
            report.cases.push(CaseResult {
                name,
                verdict: Verdict::Fail,
                detail: format!("missing from the test data folder: {absent:?}"),
            });
            continue;
        }
        if case.layer == Layer::Input {
            report.cases.push(CaseResult {
                name,
                verdict: Verdict::Input,
                detail: case
                    .note
                    .clone()
                    .unwrap_or_else(|| "input, not a card".into()),
            });
            continue;
        }
        let mut inputs = Vec::with_capacity(case.files.len());
        for f in &case.files {
            inputs.push(read(dir, f)?);
        }
        let observed = if case.issuers.is_empty() {
            run_layer(case.layer, case.iss.as_deref(), &inputs, &trust, table.now)
        } else {
            match load_issuers(dir, &case.issuers)? {
                Ok(extra) => run_layer(case.layer, case.iss.as_deref(), &inputs, &extra, table.now),
                Err(e) => Observed { result: Err(e) },
            }
        };
        let (ok, detail) = compare(case, &observed);
        report.cases.push(CaseResult {
            name,
            verdict: if ok { Verdict::Pass } else { Verdict::Fail },
            detail,
        });
    }
    covered.insert(table.directory.clone());
    for f in present.difference(&covered) {
        report.cases.push(CaseResult {
            name: f.clone(),
            verdict: Verdict::Fail,
            detail: "is not in the expectations table".into(),
        });
    }
    Ok(report)
}

/// Every file under `dir`, as a `/`-separated relative path.
fn list_files(dir: &Path) -> Result<BTreeSet<String>, RunnerError> {
    let mut out = BTreeSet::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let full = dir.join(&rel);
        let entries = std::fs::read_dir(&full).map_err(|source| RunnerError::Io {
            path: full.clone(),
            source,
        })?;
        for e in entries {
            let e = e.map_err(|source| RunnerError::Io {
                path: full.clone(),
                source,
            })?;
            let r = rel.join(e.file_name());
            let ft = e.file_type().map_err(|source| RunnerError::Io {
                path: dir.join(&r),
                source,
            })?;
            if ft.is_dir() {
                stack.push(r);
            } else {
                out.insert(
                    r.components()
                        .map(|c| c.as_os_str().to_string_lossy().into_owned())
                        .collect::<Vec<_>>()
                        .join("/"),
                );
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// The test data folder, when checked out beside the repository.
    fn dir() -> Option<PathBuf> {
        let d = match std::env::var_os("HEALTHCODE_TESTDATA") {
            Some(root) => PathBuf::from(root).join("shc"),
            None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/shc"),
        };
        if d.is_dir() {
            return Some(d);
        }
        assert!(
            std::env::var_os("HEALTHCODE_REQUIRE_TESTDATA").is_none(),
            "HEALTHCODE_REQUIRE_TESTDATA is set but {} is missing",
            d.display()
        );
        None
    }

    #[test]
    fn table_parses_and_every_case_passes() {
        let table: Table = toml::from_str(EXPECTATIONS).unwrap();
        assert_eq!(table.version, 1);
        let Some(d) = dir() else {
            eprintln!("skipping: SHC test data not found");
            return;
        };
        let report = run(&d).unwrap();
        for c in &report.cases {
            println!("{}", c.line());
        }
        println!("{}", report.summary());
        assert_eq!(report.failed(), 0, "{}", report.summary());
    }
}
