//! The dgc-testdata runner: loads a case (`*.json` in the EU dgc-testdata format), runs each
//! stage named by an `EXPECTED*` flag against the vector's own input for that stage, and reports
//! per flag whether the outcome matches, or that the stage was skipped because the vector does
//! not carry its input (no `2DCODE` picture, no `CBOR`…), as the format's own test suite
//! counts. Printing is left to the caller (`healthcode interop`).

use std::path::{Path, PathBuf};

use base64::Engine as _;
use ciborium::Value as Cbor;
use serde_json::Value as Json;

use crate::decode::{self, cbor_to_json, json_eq};
use crate::schema::Schemas;
use crate::trust::{Dsc, DscStore};
use crate::{check_validity, verify_signature};

/// The flags this runner knows (UPSTREAM-README of dgc-testdata).
pub const KNOWN_FLAGS: [&str; 12] = [
    "EXPECTEDVALIDOBJECT",
    "EXPECTEDSCHEMAVALIDATION",
    "EXPECTEDENCODE",
    "EXPECTEDDECODE",
    "EXPECTEDVERIFY",
    "EXPECTEDUNPREFIX",
    "EXPECTEDVALIDJSON",
    "EXPECTEDCOMPRESSION",
    "EXPECTEDB45DECODE",
    "EXPECTEDPICTUREDECODE",
    "EXPECTEDEXPIRATIONCHECK",
    "EXPECTEDKEYUSAGE",
];

/// The outcome of one flag of one case.
#[derive(Debug, Clone)]
pub struct FlagResult {
    /// The flag, e.g. `EXPECTEDVERIFY`.
    pub flag: String,
    /// What the vector expects the stage to do.
    pub expected: bool,
    /// What the stage did (`None`: skipped, the vector lacks the input the stage needs).
    pub got: Option<bool>,
    /// Why the stage failed, which input it lacked, or what it read past when it succeeded
    /// (see [`crate::schema::Tolerated`]); empty when it succeeded to the letter.
    pub detail: String,
}

impl FlagResult {
    /// Whether the stage ran and behaved as the vector expects.
    pub fn passed(&self) -> bool {
        self.got == Some(self.expected)
    }

    /// Whether the stage was skipped: the vector does not carry its input.
    pub fn skipped(&self) -> bool {
        self.got.is_none()
    }

    /// Whether the stage ran and did not behave as the vector expects.
    pub fn failed(&self) -> bool {
        self.got.is_some_and(|got| got != self.expected)
    }
}

/// All outcomes of one case.
#[derive(Debug, Clone)]
pub struct CaseReport {
    /// The file name relative to the directory run.
    pub name: String,
    /// `TESTCTX.DESCRIPTION`.
    pub description: String,
    /// One entry per known flag present.
    pub results: Vec<FlagResult>,
    /// Flags present in the vector that the format does not define (reported, not checked).
    pub unknown_flags: Vec<String>,
    /// The case could not be loaded at all.
    pub load_error: Option<String>,
}

impl CaseReport {
    /// Whether the case loaded and no stage failed (skipped stages do not fail a case).
    pub fn passed(&self) -> bool {
        self.load_error.is_none() && !self.results.iter().any(FlagResult::failed)
    }

    /// Stages (flags) passed, failed and skipped; a case that does not load counts as one
    /// failure.
    pub fn counts(&self) -> (usize, usize, usize) {
        let count = |f: fn(&FlagResult) -> bool| self.results.iter().filter(|r| f(r)).count();
        (
            count(FlagResult::passed),
            count(FlagResult::failed) + usize::from(self.load_error.is_some()),
            count(FlagResult::skipped),
        )
    }
}

/// The shared test data folder: `$HEALTHCODE_TESTDATA`, else `{manifest_dir}/../../../shared/testdata`.
pub fn shared_testdata_from(manifest_dir: &Path) -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("HEALTHCODE_TESTDATA") {
        let dir = PathBuf::from(dir);
        return dir.is_dir().then_some(dir);
    }
    let dir = manifest_dir.join("../../../shared/testdata");
    dir.is_dir().then_some(dir)
}

/// This crate's view of [`shared_testdata_from`]; panics when `HEALTHCODE_REQUIRE_TESTDATA=1`
/// and the folder is missing, so that CI fails rather than skips.
pub fn shared_testdata() -> Option<PathBuf> {
    let found = shared_testdata_from(Path::new(env!("CARGO_MANIFEST_DIR")));
    if found.is_none() {
        assert!(
            std::env::var("HEALTHCODE_REQUIRE_TESTDATA").as_deref() != Ok("1"),
            "shared test data missing and HEALTHCODE_REQUIRE_TESTDATA=1"
        );
        eprintln!("shared test data not found; skipping");
    }
    found
}

/// Every `*.json` under `dir`, recursively, sorted by path.
pub fn find_cases(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let p = entry?.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "json") {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Loads and runs one case file against `schemas` (the EU schemas with the bundled value
/// sets, a folder of them, or none); `root` only shortens the reported name.
pub fn run_file(path: &Path, root: &Path, schemas: &Schemas) -> CaseReport {
    let name = path
        .strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string();
    let parsed = std::fs::read_to_string(path)
        .map_err(|e| e.to_string())
        .and_then(|t| serde_json::from_str::<Json>(&t).map_err(|e| e.to_string()));
    match parsed {
        Ok(v) => run_case(&name, &v, schemas),
        Err(e) => CaseReport {
            name,
            description: String::new(),
            results: Vec::new(),
            unknown_flags: Vec::new(),
            load_error: Some(e),
        },
    }
}

/// Runs every flag of one parsed case.
pub fn run_case(name: &str, case: &Json, schemas: &Schemas) -> CaseReport {
    let ctx = Ctx { case, schemas };
    let description = ctx.ctx_str("DESCRIPTION").unwrap_or_default().to_owned();
    let mut report = CaseReport {
        name: name.to_owned(),
        description,
        results: Vec::new(),
        unknown_flags: Vec::new(),
        load_error: None,
    };
    let Some(flags) = case.get("EXPECTEDRESULTS").and_then(Json::as_object) else {
        report.load_error = Some("no EXPECTEDRESULTS".into());
        return report;
    };
    for (flag, value) in flags {
        let Some(expected) = value.as_bool() else {
            report.unknown_flags.push(format!("{flag} (not a boolean)"));
            continue;
        };
        if !KNOWN_FLAGS.contains(&flag.as_str()) {
            report.unknown_flags.push(flag.clone());
            continue;
        }
        let outcome = ctx.stage(flag);
        let (got, detail) = match outcome {
            Stage::Ok => (Some(true), String::new()),
            Stage::ReadPast(what) => (Some(true), what),
            Stage::Failed(why) => (Some(false), why),
            Stage::NoInput(why) => (None, why),
        };
        report.results.push(FlagResult {
            flag: flag.clone(),
            expected,
            got,
            detail,
        });
    }
    report
}

enum Stage {
    Ok,
    /// Succeeded, reading past what is said (see [`crate::schema::Tolerated`]).
    ReadPast(String),
    Failed(String),
    NoInput(String),
}

impl From<Result<Vec<crate::schema::Tolerated>, crate::DccError>> for Stage {
    fn from(r: Result<Vec<crate::schema::Tolerated>, crate::DccError>) -> Self {
        match r {
            Ok(read) if read.is_empty() => Stage::Ok,
            Ok(read) => Stage::ReadPast(
                read.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            Err(e) => Stage::Failed(e.to_string()),
        }
    }
}

impl<E: std::fmt::Display> From<Result<(), E>> for Stage {
    fn from(r: Result<(), E>) -> Self {
        match r {
            Ok(()) => Stage::Ok,
            Err(e) => Stage::Failed(e.to_string()),
        }
    }
}

macro_rules! need {
    ($e:expr, $what:expr) => {
        match $e {
            Some(v) => v,
            None => return Stage::NoInput(format!("no {}", $what)),
        }
    };
}

macro_rules! stage_try {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(e) => return Stage::Failed(e.to_string()),
        }
    };
}

struct Ctx<'a> {
    case: &'a Json,
    schemas: &'a Schemas,
}

fn hex_decode(s: &str) -> Result<Vec<u8>, String> {
    let s = s.trim();
    if !s.len().is_multiple_of(2) {
        return Err("odd hex length".into());
    }
    (0..s.len())
        .step_by(2)
        .map(|i| {
            s.get(i..i + 2)
                .and_then(|b| u8::from_str_radix(b, 16).ok())
                .ok_or_else(|| format!("bad hex at {i}"))
        })
        .collect()
}

/// Decodes a vector's `CBOR` field to JSON. Vectors disagree on what it holds: some give the
/// health certificate itself, others the whole CWT claims map; in the latter case the health
/// certificate (claim -260, key 1) is taken.
fn cbor_json(bytes: &[u8]) -> Result<Json, String> {
    let v: Cbor = ciborium::de::from_reader(bytes).map_err(|e| format!("CBOR: {e}"))?;
    let hcert = claim(&v, -260).and_then(|h| claim(h, 1)).unwrap_or(&v);
    cbor_to_json(hcert, 0).map_err(|e| e.to_string())
}

fn claim(v: &Cbor, key: i128) -> Option<&Cbor> {
    v.as_map()?
        .iter()
        .find(|(k, _)| k.as_integer().map(i128::from) == Some(key))
        .map(|(_, v)| v)
}

/// Where two JSON documents first differ (for failure messages).
fn json_diff(a: &Json, b: &Json, path: &str) -> Option<String> {
    if json_eq(a, b) {
        return None;
    }
    match (a, b) {
        (Json::Object(x), Json::Object(y)) => {
            for (k, v) in x {
                match y.get(k) {
                    Some(w) => {
                        if let Some(d) = json_diff(v, w, &format!("{path}/{k}")) {
                            return Some(d);
                        }
                    }
                    None => return Some(format!("{path}/{k} only on the left")),
                }
            }
            y.keys()
                .find(|k| !x.contains_key(*k))
                .map(|k| format!("{path}/{k} only on the right"))
        }
        (Json::Array(x), Json::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (v, w))| json_diff(v, w, &format!("{path}/{i}"))),
        _ => Some(format!("{path}: {a} vs {b}")),
    }
}

fn compare(a: &Json, b: &Json, what: &str) -> Stage {
    match json_diff(a, b, "") {
        None => Stage::Ok,
        Some(d) => Stage::Failed(format!("{what}: {d}")),
    }
}

impl Ctx<'_> {
    fn field(&self, name: &str) -> Option<&str> {
        self.case
            .get(name)
            .and_then(Json::as_str)
            .filter(|s| !s.is_empty())
    }

    fn ctx_str(&self, name: &str) -> Option<&str> {
        self.case.get("TESTCTX")?.get(name)?.as_str()
    }

    fn hex_field(&self, name: &str) -> Option<Result<Vec<u8>, String>> {
        self.field(name).map(hex_decode)
    }

    fn json(&self) -> Option<&Json> {
        self.case.get("JSON").filter(|j| j.is_object())
    }

    /// The COSE bytes: the `COSE` field, else the earliest stage that leads to it.
    fn cose(&self) -> Option<Result<Vec<u8>, String>> {
        if let Some(c) = self.hex_field("COSE") {
            return Some(c);
        }
        if let Some(c) = self.hex_field("COMPRESSED") {
            return Some(c.and_then(|z| decode::inflate(&z).map_err(|e| e.to_string())));
        }
        if let Some(b) = self.field("BASE45") {
            return Some(
                decode::base45_decode(b)
                    .and_then(decode::inflate_if_zlib)
                    .map_err(|e| e.to_string()),
            );
        }
        self.field("PREFIX")
            .map(|p| decode::text_to_cose(p).map_err(|e| e.to_string()))
    }

    fn decoded(&self) -> Option<Result<decode::DecodedDcc, String>> {
        self.cose()
            .map(|c| c.and_then(|c| decode::decode_cose(&c).map_err(|e| e.to_string())))
    }

    /// Schema and value-set validation against the schema of the version the certificate
    /// declares (`ver`), as a verifier checks it and as the format's own test suite does; the
    /// version the vector names in `TESTCTX.SCHEMA` only for a certificate that declares none
    /// (BE-4 names 1.0.0 for a certificate of 1.3.0, valid under its own version only).
    fn validate(&self, hcert: &Json) -> Stage {
        let declared = hcert.get("ver").and_then(Json::as_str);
        match (declared, self.ctx_str("SCHEMA").filter(|v| !v.is_empty())) {
            (None, Some(version)) => self.schemas.validate_as(hcert, version).into(),
            _ => self.schemas.validate(hcert).into(),
        }
    }

    fn certificate(&self) -> Option<&str> {
        self.ctx_str("CERTIFICATE").filter(|s| !s.is_empty())
    }

    fn stage(&self, flag: &str) -> Stage {
        match flag {
            "EXPECTEDPICTUREDECODE" => self.picture(),
            "EXPECTEDUNPREFIX" => {
                let prefix = need!(self.field("PREFIX"), "PREFIX");
                let rest = stage_try!(decode::unprefix(prefix));
                match self.field("BASE45") {
                    Some(b) if b != rest => {
                        Stage::Failed("unprefixed text differs from BASE45".into())
                    }
                    _ => Stage::Ok,
                }
            }
            "EXPECTEDB45DECODE" => {
                let text = match self.field("BASE45") {
                    Some(b) => b,
                    None => stage_try!(decode::unprefix(need!(self.field("PREFIX"), "BASE45"))),
                };
                let bytes = stage_try!(decode::base45_decode(text));
                if let Some(z) = self.hex_field("COMPRESSED") {
                    let z = stage_try!(z);
                    return if z == bytes {
                        Stage::Ok
                    } else {
                        Stage::Failed("base45 decoding differs from COMPRESSED".into())
                    };
                }
                if let Some(c) = self.hex_field("COSE") {
                    let c = stage_try!(c);
                    let got = stage_try!(decode::inflate_if_zlib(bytes));
                    return if got == c {
                        Stage::Ok
                    } else {
                        Stage::Failed("base45 decoding differs from COSE".into())
                    };
                }
                Stage::Ok
            }
            "EXPECTEDCOMPRESSION" => {
                let z = match self.hex_field("COMPRESSED") {
                    Some(z) => stage_try!(z),
                    None => {
                        let text = match self.field("BASE45") {
                            Some(b) => b,
                            None => stage_try!(decode::unprefix(need!(
                                self.field("PREFIX"),
                                "COMPRESSED"
                            ))),
                        };
                        stage_try!(decode::base45_decode(text))
                    }
                };
                let inflated = stage_try!(decode::inflate(&z));
                if let Some(c) = self.hex_field("COSE")
                    && stage_try!(c) != inflated
                {
                    return Stage::Failed("inflated data differs from COSE".into());
                }
                Stage::Ok
            }
            "EXPECTEDVERIFY" => {
                let d = stage_try!(need!(self.decoded(), "COSE"));
                let store = stage_try!(DscStore::from_base64(need!(
                    self.certificate(),
                    "TESTCTX.CERTIFICATE"
                )));
                verify_signature(&d, &store).map(|_| ()).into()
            }
            "EXPECTEDDECODE" => {
                // The CBOR the vector carries must decode and match the COSE payload (when
                // the vector carries one) and the JSON.
                let cbor = stage_try!(need!(self.hex_field("CBOR"), "CBOR"));
                let from_cbor = stage_try!(cbor_json(&cbor));
                if let Some(d) = self.decoded() {
                    let from_cose = stage_try!(d).hcert;
                    if let Some(d) = json_diff(&from_cose, &from_cbor, "") {
                        return Stage::Failed(format!("COSE payload differs from CBOR: {d}"));
                    }
                }
                match self.json() {
                    Some(j) => compare(&from_cbor, j, "decoded content differs from JSON"),
                    None => Stage::Ok,
                }
            }
            "EXPECTEDVALIDJSON" => {
                let prefix = need!(self.field("PREFIX"), "PREFIX");
                let expected = need!(self.json(), "JSON");
                let d = stage_try!(decode::decode(prefix));
                compare(&d.hcert, expected, "decoded content differs from JSON")
            }
            "EXPECTEDSCHEMAVALIDATION" => {
                let hcert = match self.decoded() {
                    Some(d) => stage_try!(d).hcert,
                    None => match self.hex_field("CBOR") {
                        Some(c) => stage_try!(c.and_then(|c| cbor_json(&c))),
                        None => need!(self.json(), "COSE, CBOR or JSON").clone(),
                    },
                };
                self.validate(&hcert)
            }
            "EXPECTEDVALIDOBJECT" => self.validate(need!(self.json(), "JSON")),
            "EXPECTEDENCODE" => {
                let json = need!(self.json(), "JSON");
                let cbor = stage_try!(need!(self.hex_field("CBOR"), "CBOR"));
                let ours = stage_try!(Cbor::serialized(json));
                let mut bytes = Vec::new();
                stage_try!(ciborium::ser::into_writer(&ours, &mut bytes));
                let a = stage_try!(cbor_json(&bytes));
                let b = stage_try!(cbor_json(&cbor));
                compare(&a, &b, "CBOR encoding of JSON differs from CBOR")
            }
            "EXPECTEDEXPIRATIONCHECK" => {
                let d = stage_try!(need!(self.decoded(), "COSE"));
                let clock = need!(self.ctx_str("VALIDATIONCLOCK"), "VALIDATIONCLOCK");
                let Some(now) = crate::parse_timestamp(clock) else {
                    return Stage::Failed(format!("VALIDATIONCLOCK {clock:?} is not a time"));
                };
                check_validity(&d, now).into()
            }
            "EXPECTEDKEYUSAGE" => {
                let d = stage_try!(need!(self.decoded(), "COSE"));
                let b64 = need!(self.certificate(), "TESTCTX.CERTIFICATE");
                let der = stage_try!(
                    base64::engine::general_purpose::STANDARD.decode(
                        b64.chars()
                            .filter(|c| !c.is_whitespace())
                            .collect::<String>()
                    )
                );
                let dsc = stage_try!(Dsc::from_der(&der));
                for ty in d.cert_types() {
                    stage_try!(dsc.allows(ty));
                }
                Stage::Ok
            }
            other => Stage::NoInput(format!("unknown flag {other}")),
        }
    }

    fn picture(&self) -> Stage {
        let b64 = need!(self.field("2DCODE"), "2DCODE");
        let png = stage_try!(
            base64::engine::general_purpose::STANDARD.decode(
                b64.chars()
                    .filter(|c| !c.is_whitespace())
                    .collect::<String>()
            )
        );
        let text = stage_try!(read_qr(&png));
        match self.field("PREFIX") {
            Some(p) if p != text => Stage::Failed("QR content differs from PREFIX".into()),
            _ => Stage::Ok,
        }
    }
}

/// Reads the first QR code of a picture (PNG or JPEG).
pub fn read_qr(picture: &[u8]) -> Result<String, String> {
    let img = image::load_from_memory(picture).map_err(|e| format!("image: {e}"))?;
    let mut prepared = rqrr::PreparedImage::prepare(img.to_luma8());
    let grids = prepared.detect_grids();
    let mut last = "no QR code found".to_owned();
    for g in grids {
        match g.decode() {
            Ok((_, content)) => return Ok(content),
            Err(e) => last = format!("QR: {e}"),
        }
    }
    Err(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_without_their_input_are_skipped_not_failed() {
        let hcert = serde_json::json!({
            "ver": "1.0.0", "nam": {"fnt": "WANG"}, "dob": "1978-01-26T00:00:00",
            "r": [{"tg": "840539006", "fr": "2021-05-07", "co": "CN", "is": "X",
                   "df": "2021-05-18", "du": "2021-09-05", "ci": "URN:UVCI:01:CN:X#R"}]
        });
        let case = serde_json::json!({
            "JSON": hcert,
            "TESTCTX": {"SCHEMA": "1.0.0", "DESCRIPTION": "synthetic"},
            "EXPECTEDRESULTS": {
                "EXPECTEDPICTUREDECODE": true,
                "EXPECTEDDECODE": true,
                "EXPECTEDVALIDOBJECT": true
            }
        });
        let report = run_case("synthetic", &case, &Schemas::bundled());
        assert_eq!(report.counts(), (1, 0, 2), "{report:?}");
        assert!(report.passed());
        let skipped: Vec<&str> = report
            .results
            .iter()
            .filter(|r| r.skipped())
            .map(|r| r.detail.as_str())
            .collect();
        assert_eq!(skipped, ["no CBOR", "no 2DCODE"]);
        // The version the certificate declares decides, whatever the vector names (BE-4 names
        // 1.0.0 for a 1.3.0 certificate)...
        let mut other = case.clone();
        other["TESTCTX"]["SCHEMA"] = "1.3.0".into();
        let report = run_case("synthetic", &other, &Schemas::bundled());
        assert_eq!(report.counts(), (1, 0, 2));
        // ...and the vector's only for a certificate that declares none: 1.3.0 refuses a
        // date-time dob, and an unknown major version is refused by name.
        for (version, why) in [("1.3.0", "schema: "), ("2.0.0", "schema version: ")] {
            let mut other = case.clone();
            other["TESTCTX"]["SCHEMA"] = version.into();
            other["JSON"].as_object_mut().expect("object").remove("ver");
            let report = run_case("synthetic", &other, &Schemas::bundled());
            assert_eq!(report.counts(), (0, 1, 2), "{version}");
            let failed = report.results.iter().find(|r| r.failed()).expect("failed");
            assert!(failed.detail.starts_with(why), "{}", failed.detail);
        }
    }

    /// Every vector runs without panicking, and every stage that decides whether a certificate
    /// is trusted (prefix, base45, zlib, signature, expiry, key usage) behaves as the vectors
    /// expect. The full per-flag result is checked by the CLI test.
    #[test]
    fn dgc_testdata_security_stages_pass() {
        let Some(dir) = shared_testdata() else {
            return;
        };
        let dir = dir.join("dcc");
        let cases = find_cases(&dir).expect("read dcc test data");
        assert!(cases.len() > 100, "only {} cases", cases.len());
        let mut failures = Vec::new();
        let mut passed = 0;
        for path in &cases {
            let r = run_file(path, &dir, &Schemas::bundled());
            if r.passed() {
                passed += 1;
            }
            for f in &r.results {
                let security = matches!(
                    f.flag.as_str(),
                    "EXPECTEDUNPREFIX"
                        | "EXPECTEDB45DECODE"
                        | "EXPECTEDCOMPRESSION"
                        | "EXPECTEDVERIFY"
                        | "EXPECTEDEXPIRATIONCHECK"
                        | "EXPECTEDKEYUSAGE"
                );
                if security && !f.passed() {
                    failures.push(format!("{} {}: {}", r.name, f.flag, f.detail));
                }
            }
        }
        println!("{passed} of {} cases pass every flag", cases.len());
        assert!(failures.is_empty(), "{failures:#?}");
    }
}
