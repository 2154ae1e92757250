//! Validation of the hcert JSON against the EU DCC schema of the version it declares (every
//! released schema is bundled, each compiled once, on first use), and against the EU value sets
//! (bundled, or a newer folder as the DCC gateway distributes them).
//!
//! Why per version: a certificate is valid under the schema it was issued under (`ver`); the
//! schema changed between releases (1.0.0 allowed a date-time `dob`, 1.3.0 limited `tc` to 80
//! characters), so checking an old certificate against the newest schema refuses certificates
//! that were valid when issued.
//!
//! Two slips of issuers in circulation are read past, never silently: an entry group written
//! as `null` (Bulgaria's certificates: `"r": null`) is read as absent, and a code written as
//! its value set's display name or with other spelling (`"COVID-19 Vaccine Moderna"` for
//! `EU/1/20/1507`, `"SinovacBiotech"` for `Sinovac-Biotech`) is read as that code when exactly
//! one code matches. Each such reading is returned as a [`Tolerated`] for the verifier to
//! show; a code that matches nothing is refused. Issuers get no such leniency ([`validate`]).

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, LazyLock, OnceLock};

use serde_json::Value;

use crate::DccError;

/// One released EU DCC JSON schema, vendored unmodified under `schema/<version>/` (see
/// `schema/README.md`), with the value sets published beside it (releases 1.0.0 to 1.3.0).
#[derive(Debug)]
pub struct Release {
    /// The version, as certificates declare it in `ver`, e.g. `"1.3.0"`.
    pub version: &'static str,
    number: (u32, u32, u32),
    /// Its place in [`RELEASES`].
    index: usize,
    /// The combined schema's file name (`DGC.combined-schema.json` before 1.2.1).
    pub file: &'static str,
    /// The combined schema, as published.
    pub text: &'static str,
    /// The value sets published with this release (file name, text), empty from 1.3.1.
    pub value_sets: &'static [(&'static str, &'static str)],
}

macro_rules! release {
    ($index:literal, $ver:literal, ($a:literal, $b:literal, $c:literal), $file:literal, [$($set:literal),*]) => {
        Release {
            version: $ver,
            number: ($a, $b, $c),
            index: $index,
            file: $file,
            text: include_str!(concat!("../schema/", $ver, "/", $file)),
            value_sets: &[$((
                $set,
                include_str!(concat!("../schema/", $ver, "/valuesets/", $set)),
            )),*],
        }
    };
}

/// Every released schema, oldest first.
pub static RELEASES: [Release; 9] = [
    release!(
        0,
        "1.0.0",
        (1, 0, 0),
        "DGC.combined-schema.json",
        [
            "disease-agent-targeted.json",
            "test-manf.json",
            "test-result.json",
            "vaccine-mah-manf.json",
            "vaccine-medicinal-product.json",
            "vaccine-prophylaxis.json"
        ]
    ),
    release!(
        1,
        "1.0.1",
        (1, 0, 1),
        "DGC.combined-schema.json",
        [
            "disease-agent-targeted.json",
            "test-manf.json",
            "test-result.json",
            "test-type.json",
            "vaccine-mah-manf.json",
            "vaccine-medicinal-product.json",
            "vaccine-prophylaxis.json"
        ]
    ),
    release!(
        2,
        "1.1.0",
        (1, 1, 0),
        "DGC.combined-schema.json",
        [
            "disease-agent-targeted.json",
            "test-manf.json",
            "test-result.json",
            "test-type.json",
            "vaccine-mah-manf.json",
            "vaccine-medicinal-product.json",
            "vaccine-prophylaxis.json"
        ]
    ),
    release!(
        3,
        "1.2.0",
        (1, 2, 0),
        "DGC.combined-schema.json",
        [
            "disease-agent-targeted.json",
            "test-manf.json",
            "test-result.json",
            "test-type.json",
            "vaccine-mah-manf.json",
            "vaccine-medicinal-product.json",
            "vaccine-prophylaxis.json"
        ]
    ),
    release!(
        4,
        "1.2.1",
        (1, 2, 1),
        "DCC.combined-schema.json",
        [
            "disease-agent-targeted.json",
            "test-manf.json",
            "test-result.json",
            "test-type.json",
            "vaccine-mah-manf.json",
            "vaccine-medicinal-product.json",
            "vaccine-prophylaxis.json"
        ]
    ),
    release!(
        5,
        "1.3.0",
        (1, 3, 0),
        "DCC.combined-schema.json",
        [
            "country-2-codes.json",
            "disease-agent-targeted.json",
            "test-manf.json",
            "test-result.json",
            "test-type.json",
            "vaccine-mah-manf.json",
            "vaccine-medicinal-product.json",
            "vaccine-prophylaxis.json"
        ]
    ),
    release!(6, "1.3.1", (1, 3, 1), "DCC.combined-schema.json", []),
    release!(7, "1.3.2", (1, 3, 2), "DCC.combined-schema.json", []),
    release!(8, "1.3.3", (1, 3, 3), "DCC.combined-schema.json", []),
];

/// The newest bundled schema (1.3.3), as published.
pub const COMBINED_SCHEMA: &str = include_str!("../schema/1.3.3/DCC.combined-schema.json");

/// The EU value sets bundled with the binary: release 2.12.0 of the eHealth Network's
/// ehn-dcc-valuesets (`valuesets/`), the test devices as its `test-manf-example.json`.
const BUNDLED_VALUE_SETS: [(&str, &str); 8] = [
    (
        "country-2-codes.json",
        include_str!("../valuesets/country-2-codes.json"),
    ),
    (
        "disease-agent-targeted.json",
        include_str!("../valuesets/disease-agent-targeted.json"),
    ),
    (
        "test-manf-example.json",
        include_str!("../valuesets/test-manf-example.json"),
    ),
    (
        "test-result.json",
        include_str!("../valuesets/test-result.json"),
    ),
    (
        "test-type.json",
        include_str!("../valuesets/test-type.json"),
    ),
    (
        "vaccine-mah-manf.json",
        include_str!("../valuesets/vaccine-mah-manf.json"),
    ),
    (
        "vaccine-medicinal-product.json",
        include_str!("../valuesets/vaccine-medicinal-product.json"),
    ),
    (
        "vaccine-prophylaxis.json",
        include_str!("../valuesets/vaccine-prophylaxis.json"),
    ),
];

/// The release of the bundled value sets.
pub const BUNDLED_VALUE_SETS_RELEASE: &str = "2.12.0";

impl Release {
    /// The schema compiled, once per process.
    fn validator(&'static self) -> Result<&'static jsonschema::Validator, DccError> {
        static COMPILED: [OnceLock<Result<jsonschema::Validator, String>>; 9] =
            [const { OnceLock::new() }; 9];
        let compiled = COMPILED[self.index].get_or_init(|| {
            let schema: Value = serde_json::from_str(self.text).map_err(|e| e.to_string())?;
            // `format` stays an annotation, as draft 2020-12 says and as the upstream examples
            // need (test/valid/T-rat-dates1.json has `sc` "2021-06-11T17:30:00+02", not RFC
            // 3339); `valueset-uri` is an annotation too: the value sets are checked apart,
            // field by field (see [`ValueSets::check`]).
            jsonschema::options()
                .should_validate_formats(false)
                .build(&schema)
                .map_err(|e| e.to_string())
        });
        compiled
            .as_ref()
            .map_err(|e| DccError::Schema(format!("schema {} does not compile: {e}", self.version)))
    }

    /// The bundled value sets to check a certificate of this release against: the EU's
    /// current ones, with the older releases' own sets added (the bundled test-device set is
    /// the EU's example list, which lacks devices the older releases listed).
    fn bundled_value_sets(&'static self) -> Result<&'static ValueSets, DccError> {
        static CURRENT: LazyLock<Result<ValueSets, String>> = LazyLock::new(|| {
            ValueSets::from_texts(BUNDLED_VALUE_SETS.iter().copied()).map_err(|e| e.to_string())
        });
        static WITH_OWN: [OnceLock<Result<ValueSets, String>>; 9] = [const { OnceLock::new() }; 9];
        let failed = |e: &String| DccError::ValueSets(format!("bundled value sets: {e}"));
        let current = CURRENT.as_ref().map_err(failed)?;
        if self.value_sets.is_empty() {
            return Ok(current);
        }
        WITH_OWN[self.index]
            .get_or_init(|| {
                let own = ValueSets::from_texts(self.value_sets.iter().copied())
                    .map_err(|e| e.to_string())?;
                Ok(current.union(&own))
            })
            .as_ref()
            .map_err(failed)
    }
}

/// Parses `MAJOR.MINOR.PATCH` (digits only).
fn parse_version(text: &str) -> Option<(u32, u32, u32)> {
    let mut parts = text.split('.');
    let mut next = || {
        parts
            .next()
            .filter(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|p| p.parse::<u32>().ok())
    };
    let version = (next()?, next()?, next()?);
    parts.next().is_none().then_some(version)
}

/// The bundled schema a certificate declaring `ver` is checked against.
///
/// A released version is its own schema. An unknown patch level of a released minor version
/// takes the nearest release of that minor (the highest patch below it, else the lowest above:
/// `1.3.7` → 1.3.3, `1.2.5` → 1.2.1); an unknown minor version of a released major version takes
/// the nearest release below it (`1.4.0` → 1.3.3), else the lowest above. An unknown major
/// version is refused (`dcc.schema_version`): its schema may differ in anything. A missing or
/// malformed `ver` takes the newest schema, which then refuses it (`dcc.schema`).
pub fn release_for(ver: Option<&str>) -> Result<&'static Release, DccError> {
    let newest = &RELEASES[RELEASES.len() - 1];
    if let Some(exact) = RELEASES.iter().find(|r| Some(r.version) == ver) {
        return Ok(exact);
    }
    let Some(wanted) = ver.and_then(parse_version) else {
        return Ok(newest);
    };
    let (major, minor, _) = wanted;
    let same_major = || RELEASES.iter().filter(move |r| r.number.0 == major);
    if same_major().next().is_none() {
        let known: Vec<&str> = RELEASES.iter().map(|r| r.version).collect();
        return Err(DccError::SchemaVersion(format!(
            "no schema of major version {major} (ver {:?}; bundled: {})",
            ver.unwrap_or_default(),
            known.join(", ")
        )));
    }
    let same_minor: Vec<&'static Release> = same_major().filter(|r| r.number.1 == minor).collect();
    let pool: Vec<&'static Release> = if same_minor.is_empty() {
        same_major().collect()
    } else {
        same_minor
    };
    let below = pool.iter().rev().find(|r| r.number <= wanted);
    let above = pool.iter().find(|r| r.number > wanted);
    Ok(below.or(above).copied().unwrap_or(newest))
}

/// Which value sets the codes of a certificate must come from.
#[derive(Debug, Clone)]
enum Sets {
    /// The bundled EU sets (2.12.0), with an older release's own sets for its certificates.
    Bundled,
    /// A folder given by the user (a gateway download): exactly these, for every release.
    Folder(Arc<ValueSets>),
    /// No value-set check: the schema alone.
    Off,
}

/// The EU DCC schemas (one per released version, chosen by the certificate's `ver`) with
/// the value sets a verifier holds.
///
/// Cheap to create and clone: the compiled schemas and the bundled value sets are built once
/// per process, on first use, and shared.
#[derive(Debug, Clone)]
pub struct Schemas {
    sets: Sets,
}

impl Default for Schemas {
    fn default() -> Self {
        Schemas::bundled()
    }
}

impl Schemas {
    /// The schemas with the bundled EU value sets: what `verify` checks by default.
    pub fn bundled() -> Schemas {
        Schemas {
            sets: Sets::Bundled,
        }
    }

    /// The schemas alone, without any value-set check.
    pub fn schema_only() -> Schemas {
        Schemas { sets: Sets::Off }
    }

    /// The schemas with the value sets of `sets` (a newer folder than the bundled one, such as
    /// a download from the DCC gateway) for certificates of every version; fails when a set a
    /// certificate field is checked against is missing, so that a half-loaded folder cannot
    /// pass for a full one.
    pub fn with_value_sets(sets: ValueSets) -> Result<Schemas, DccError> {
        if let Some(missing) = sets.missing() {
            return Err(DccError::ValueSets(format!(
                "the value set {missing} is not loaded"
            )));
        }
        Ok(Schemas {
            sets: Sets::Folder(Arc::new(sets)),
        })
    }

    /// What a verifier configured with an optional value-set folder and an off switch uses:
    /// the folder's sets when given ([`ValueSets::from_dir`]), none when `value_sets` is false,
    /// else the bundled ones.
    pub fn load(folder: Option<&Path>, value_sets: bool) -> Result<Schemas, DccError> {
        match (folder, value_sets) {
            (Some(dir), true) => Schemas::with_value_sets(ValueSets::from_dir(dir)?),
            (Some(_), false) => Err(DccError::ValueSets(
                "a value-set folder was given with value sets turned off".into(),
            )),
            (None, true) => Ok(Schemas::bundled()),
            (None, false) => Ok(Schemas::schema_only()),
        }
    }

    /// Whether codes are checked against value sets.
    pub fn checks_value_sets(&self) -> bool {
        !matches!(self.sets, Sets::Off)
    }

    /// Validates a health certificate (the JSON under hcert key 1) against the schema of the
    /// version it declares (see [`release_for`]), then its codes against the value sets;
    /// returns what was read past (see the module's documentation), empty when nothing was.
    pub fn validate(&self, hcert: &Value) -> Result<Vec<Tolerated>, DccError> {
        let ver = hcert.get("ver").and_then(Value::as_str);
        self.validate_release(hcert, release_for(ver)?)
    }

    /// [`Schemas::validate`] against the schema of `version` (resolved as a `ver` is) instead
    /// of the certificate's own.
    pub fn validate_as(&self, hcert: &Value, version: &str) -> Result<Vec<Tolerated>, DccError> {
        self.validate_release(hcert, release_for(Some(version))?)
    }

    /// Validates against one release's schema and the value sets for it.
    pub fn validate_release(
        &self,
        hcert: &Value,
        release: &'static Release,
    ) -> Result<Vec<Tolerated>, DccError> {
        let (hcert, mut tolerated) = without_null_groups(hcert);
        let hcert = hcert.as_ref();
        let validator = release.validator()?;
        if !validator.is_valid(hcert) {
            let msgs: Vec<String> = validator
                .iter_errors(hcert)
                .take(3)
                .map(|e| format!("{} at {}", e, e.instance_path()))
                .collect();
            return Err(DccError::Schema(format!(
                "{} (schema {})",
                msgs.join("; "),
                release.version
            )));
        }
        one_kind(hcert)?;
        let codes = match &self.sets {
            Sets::Bundled => release.bundled_value_sets()?.check(hcert)?,
            Sets::Folder(sets) => sets.check(hcert)?,
            Sets::Off => Vec::new(),
        };
        tolerated.extend(codes);
        Ok(tolerated)
    }
}

/// A departure from the letter of the schema or the value sets whose meaning is not in doubt,
/// which a verifier reads past and shows beside its verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tolerated {
    /// Where in the certificate, as a JSON pointer (`/v/0/mp`).
    pub path: String,
    /// How it was read, e.g. `"SinovacBiotech" read as the code "Sinovac-Biotech"`.
    pub reading: String,
}

impl std::fmt::Display for Tolerated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.reading)
    }
}

/// The certificate with its entry groups written as `null` left out (no release allows a
/// `null` group, but issuers in circulation wrote absent groups so), and one [`Tolerated`]
/// per group left out. Borrows when there is none.
fn without_null_groups(hcert: &Value) -> (Cow<'_, Value>, Vec<Tolerated>) {
    let nulls: Vec<&str> = ["v", "t", "r"]
        .into_iter()
        .filter(|k| hcert.get(*k).is_some_and(Value::is_null))
        .collect();
    if nulls.is_empty() {
        return (Cow::Borrowed(hcert), Vec::new());
    }
    let mut owned = hcert.clone();
    if let Some(map) = owned.as_object_mut() {
        for k in &nulls {
            map.remove(*k);
        }
    }
    let tolerated = nulls
        .into_iter()
        .map(|k| Tolerated {
            path: format!("/{k}"),
            reading: "null read as absent".to_owned(),
        })
        .collect();
    (Cow::Owned(owned), tolerated)
}

/// A DCC certifies one thing: a vaccination, a test or a recovery. The schemas say so from
/// 1.3.0 (`oneOf`); the EU specification said so from the start, and the EU test data refuses
/// a 1.0.0 certificate that carries two kinds (dgc-testdata `common/DGC2`).
fn one_kind(hcert: &Value) -> Result<(), DccError> {
    let kinds: Vec<&str> = ["v", "t", "r"]
        .into_iter()
        .filter(|k| hcert.get(*k).is_some_and(|v| !v.is_null()))
        .collect();
    if kinds.len() > 1 {
        return Err(DccError::Schema(format!(
            "a certificate carries one of v, t and r, this one {}",
            kinds.join(" and ")
        )));
    }
    Ok(())
}

/// Validates a health certificate against the schema of the version it declares, without
/// value sets and to the letter: what an issuer checks before signing, so that nothing it
/// signs needs reading past.
pub fn validate(hcert: &Value) -> Result<(), DccError> {
    match Schemas::schema_only().validate(hcert)?.first() {
        None => Ok(()),
        Some(t) => Err(DccError::Schema(t.to_string())),
    }
}

/// The eHealth Network's value-set ids, as the DCC gateway names them, and the file each
/// is published as beside the schema (the name its `valueset-uri` gives).
const VALUE_SET_FILES: [(&str, &str); 9] = [
    ("disease-agent-targeted", "disease-agent-targeted.json"),
    ("sct-vaccines-covid-19", "vaccine-prophylaxis.json"),
    ("vaccines-covid-19-names", "vaccine-medicinal-product.json"),
    ("vaccines-covid-19-auth-holders", "vaccine-mah-manf.json"),
    ("country-2-codes", "country-2-codes.json"),
    ("covid-19-lab-test-manufacturer-and-name", "test-manf.json"),
    ("covid-19-lab-result", "test-result.json"),
    ("covid-19-lab-test-type", "test-type.json"),
    (
        "vaccines-covid-19-encoding-instructions",
        "vaccine-encoding-instructions.json",
    ),
];

/// Indexes into [`VALUE_SET_FILES`] of the sets certificate fields take codes from.
const DISEASE: usize = 0;
const VACCINE: usize = 1;
const PRODUCT: usize = 2;
const HOLDER: usize = 3;
const COUNTRY: usize = 4;
const DEVICE: usize = 5;
const RESULT: usize = 6;
const TEST_TYPE: usize = 7;

/// The coded fields of a certificate, by entry kind, and the value set each takes its codes
/// from: the fields the schemas give a `valueset-uri` (the 1.3.0 schema added it to `co`, which
/// has always been a country code).
const CODED_FIELDS: [(&str, &[(&str, usize)]); 3] = [
    (
        "v",
        &[
            ("tg", DISEASE),
            ("vp", VACCINE),
            ("mp", PRODUCT),
            ("ma", HOLDER),
            ("co", COUNTRY),
        ],
    ),
    (
        "t",
        &[
            ("tg", DISEASE),
            ("tt", TEST_TYPE),
            ("ma", DEVICE),
            ("tr", RESULT),
            ("co", COUNTRY),
        ],
    ),
    ("r", &[("tg", DISEASE), ("co", COUNTRY)]),
];

/// The sets [`CODED_FIELDS`] uses: a folder must hold all of them.
const REQUIRED_SETS: [usize; 8] = [
    DISEASE, VACCINE, PRODUCT, HOLDER, COUNTRY, DEVICE, RESULT, TEST_TYPE,
];

/// The test type of a rapid antigen test, the only kind whose `ma` names a test device.
const RAT: &str = "LP217198-3";

/// FNV-1a: the value sets are public, fixed data looked up (never filled) with a
/// certificate's codes, so a fast hash serves; a lookup costs a few nanoseconds.
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl std::hash::Hasher for Fnv {
    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = (self.0 ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type FnvBuild = std::hash::BuildHasherDefault<Fnv>;

/// The codes of one value set, and the other spellings each is known by.
#[derive(Debug, Default)]
struct Codes {
    codes: HashSet<String, FnvBuild>,
    /// By [`spelling_key`] of a code or its display name: the code, or `None` when two codes
    /// share the key (then neither is read from it).
    spellings: HashMap<String, Option<String>, FnvBuild>,
}

impl Codes {
    /// Adds a code with its display names.
    fn add<'a>(&mut self, code: &'a str, names: impl IntoIterator<Item = &'a str>) {
        self.codes.insert(code.to_owned());
        for name in std::iter::once(code).chain(names) {
            let key = spelling_key(name);
            if key.is_empty() {
                continue;
            }
            self.spellings
                .entry(key)
                .and_modify(|known| {
                    if known.as_deref() != Some(code) {
                        *known = None;
                    }
                })
                .or_insert_with(|| Some(code.to_owned()));
        }
    }

    /// The one code `written` is another spelling of, if exactly one.
    fn spelled(&self, written: &str) -> Option<&str> {
        self.spellings.get(&spelling_key(written))?.as_deref()
    }
}

/// What two spellings of one code share: its letters and digits, lower case
/// (`"Sinovac-Biotech"` and `"SinovacBiotech"` both give `sinovacbiotech`).
fn spelling_key(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The EU DCC value sets, by the file name the schema's `valueset-uri` gives
/// (`country-2-codes.json`, `test-manf.json`, …): the codes each allows.
#[derive(Debug, Clone, Default)]
pub struct ValueSets {
    /// By index into [`VALUE_SET_FILES`].
    sets: [Option<Arc<Codes>>; VALUE_SET_FILES.len()],
}

impl ValueSets {
    /// Reads every `*.json` file of a folder in the eHealth Network's value-set format
    /// (`{"valueSetId": …, "valueSetValues": {"CODE": {…}, …}}`), as published with the
    /// schema and distributed by the DCC gateway. A file counts as the set its `valueSetId`
    /// names, else as the set the schema names by its file name; other files are ignored.
    pub fn from_dir(dir: &Path) -> Result<ValueSets, DccError> {
        let bad = |what: String| DccError::ValueSets(what);
        let entries = std::fs::read_dir(dir)
            .map_err(|e| bad(format!("cannot read {}: {e}", dir.display())))?;
        let mut files = Vec::new();
        for entry in entries {
            let path = entry.map_err(|e| bad(e.to_string()))?.path();
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            if !name.ends_with(".json") {
                continue;
            }
            let text = std::fs::read_to_string(&path)
                .map_err(|e| bad(format!("cannot read {name}: {e}")))?;
            files.push((name.to_owned(), text));
        }
        let sets = ValueSets::from_texts(files.iter().map(|(n, t)| (n.as_str(), t.as_str())))?;
        if sets.is_empty() {
            return Err(bad(format!("no value sets in {}", dir.display())));
        }
        Ok(sets)
    }

    /// Reads value sets from (file name, JSON text) pairs, as [`ValueSets::from_dir`] does.
    pub fn from_texts<'a>(
        files: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<ValueSets, DccError> {
        let bad = |what: String| DccError::ValueSets(what);
        let mut sets = ValueSets::default();
        for (name, text) in files {
            let doc: Value = serde_json::from_str(text).map_err(|e| bad(format!("{name}: {e}")))?;
            let Some(values) = doc.get("valueSetValues").and_then(Value::as_object) else {
                return Err(bad(format!("{name} has no valueSetValues object")));
            };
            // Saved under the schema's file name, or under any name with its valueSetId.
            let id = doc.get("valueSetId").and_then(Value::as_str);
            let schema_name = id
                .and_then(|id| VALUE_SET_FILES.iter().find(|(known, _)| *known == id))
                .map_or(name, |(_, file)| file);
            let entries = values.iter().map(|(code, entry)| {
                let display = entry.get("display").and_then(Value::as_str);
                (code.as_str(), display)
            });
            sets.put(schema_name, entries);
        }
        Ok(sets)
    }

    /// Adds (or replaces) the set the schema names `name`, e.g. `country-2-codes.json`; a name
    /// that is not one of the EU's sets is ignored.
    pub fn insert(&mut self, name: &str, codes: impl IntoIterator<Item = String>) {
        let codes: Vec<String> = codes.into_iter().collect();
        self.put(name, codes.iter().map(|c| (c.as_str(), None)));
    }

    /// [`ValueSets::insert`] with each code's display name.
    fn put<'a>(
        &mut self,
        name: &str,
        entries: impl IntoIterator<Item = (&'a str, Option<&'a str>)>,
    ) {
        if let Some(index) = VALUE_SET_FILES.iter().position(|(_, file)| *file == name) {
            let mut codes = Codes::default();
            for (code, display) in entries {
                codes.add(code, display);
            }
            self.sets[index] = Some(Arc::new(codes));
        }
    }

    /// Every code of both, set by set, with every spelling either knows.
    fn union(&self, other: &ValueSets) -> ValueSets {
        let mut sets = self.sets.clone();
        for (mine, theirs) in sets.iter_mut().zip(&other.sets) {
            *mine = match (mine.take(), theirs) {
                (Some(a), Some(b)) => {
                    let mut both = Codes::default();
                    for set in [&a, b] {
                        for code in &set.codes {
                            both.add(code, None);
                        }
                        for (key, code) in &set.spellings {
                            match code {
                                Some(code) => both.add(code, Some(key.as_str())),
                                None => {
                                    both.spellings.insert(key.clone(), None);
                                }
                            }
                        }
                    }
                    Some(Arc::new(both))
                }
                (a, b) => a.or_else(|| b.clone()),
            };
        }
        ValueSets { sets }
    }

    /// How many sets are loaded.
    pub fn len(&self) -> usize {
        self.sets.iter().flatten().count()
    }

    /// Whether no set is loaded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the set the schema names `name` holds `code`.
    pub fn contains(&self, name: &str, code: &str) -> bool {
        VALUE_SET_FILES
            .iter()
            .position(|(_, file)| *file == name)
            .and_then(|index| self.sets[index].as_ref())
            .is_some_and(|codes| codes.codes.contains(code))
    }

    /// The first set a certificate field uses that is not loaded.
    fn missing(&self) -> Option<&'static str> {
        REQUIRED_SETS
            .iter()
            .find(|index| self.sets[**index].is_none())
            .map(|index| VALUE_SET_FILES[*index].1)
    }

    /// Checks every coded field of a health certificate (see [`CODED_FIELDS`]) against its set.
    ///
    /// Only text is checked (the schema refuses other types). A test's `ma` is the rapid
    /// antigen test's device, so it is checked for rapid antigen tests only, and only when
    /// given: the schemas make it optional, and NAAT certificates in use carry `""` or `"N/A"`
    /// there.
    ///
    /// A code outside its set that is another spelling of exactly one of its codes (the
    /// display name, or the code with other case or punctuation) is read as that code and
    /// returned as [`Tolerated`]; any other is refused.
    pub fn check(&self, hcert: &Value) -> Result<Vec<Tolerated>, DccError> {
        let mut tolerated = Vec::new();
        for (kind, fields) in CODED_FIELDS {
            let Some(entries) = hcert.get(kind).and_then(Value::as_array) else {
                continue;
            };
            for (i, entry) in entries.iter().enumerate() {
                let Some(entry) = entry.as_object() else {
                    continue;
                };
                for (field, set) in fields {
                    let Some(code) = entry.get(*field).and_then(Value::as_str) else {
                        continue;
                    };
                    if *set == DEVICE
                        && (code.is_empty() || entry.get("tt").and_then(Value::as_str) != Some(RAT))
                    {
                        continue;
                    }
                    let name = VALUE_SET_FILES[*set].1;
                    let Some(codes) = &self.sets[*set] else {
                        return Err(DccError::ValueSets(format!(
                            "the value set {name} is not loaded"
                        )));
                    };
                    if codes.codes.contains(code) {
                        continue;
                    }
                    let path = format!("/{kind}/{i}/{field}");
                    match codes.spelled(code) {
                        Some(meant) => tolerated.push(Tolerated {
                            path,
                            reading: format!(
                                "{code:?} read as the code {meant:?} of the value set {name}"
                            ),
                        }),
                        None => {
                            return Err(DccError::Schema(format!(
                                "{code:?} is not in the value set {name} at {path}"
                            )));
                        }
                    }
                }
            }
        }
        Ok(tolerated)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn shared(sub: &str) -> Option<PathBuf> {
        crate::testdata::shared_testdata().map(|d| d.join(sub))
    }

    /// Each vendored schema, and each value set published beside it, is byte for byte the
    /// upstream file of its release; so is the bundled value-set release.
    #[test]
    fn vendored_schema_is_identical_to_upstream() {
        let Some(versions) = shared("dcc-schema-versions") else {
            return;
        };
        let mut upstream_versions: Vec<String> = std::fs::read_dir(&versions)
            .expect("read dcc-schema-versions")
            .flatten()
            .filter(|e| e.path().is_dir())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        upstream_versions.sort_by_key(|v| parse_version(v));
        let bundled: Vec<&str> = RELEASES.iter().map(|r| r.version).collect();
        assert_eq!(
            upstream_versions, bundled,
            "every released version is bundled"
        );
        let vendored = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema");
        for release in &RELEASES {
            let dir = versions.join(release.version);
            let upstream = std::fs::read(dir.join(release.file)).expect("read upstream schema");
            assert_eq!(
                upstream,
                release.text.as_bytes(),
                "schema/{}/{} differs from upstream",
                release.version,
                release.file
            );
            assert_eq!(
                std::fs::read(dir.join("UPSTREAM-COMMIT")).expect("upstream commit"),
                std::fs::read(vendored.join(release.version).join("UPSTREAM-COMMIT"))
                    .expect("vendored commit"),
                "{}",
                release.version
            );
            let mut upstream_sets: Vec<String> = std::fs::read_dir(dir.join("valuesets"))
                .map(|rd| {
                    rd.flatten()
                        .map(|e| e.file_name().to_string_lossy().into_owned())
                        .filter(|n| n.ends_with(".json"))
                        .collect()
                })
                .unwrap_or_default();
            upstream_sets.sort();
            let ours: Vec<&str> = release.value_sets.iter().map(|(n, _)| *n).collect();
            assert_eq!(upstream_sets, ours, "value sets of {}", release.version);
            for (name, text) in release.value_sets {
                let upstream = std::fs::read(dir.join("valuesets").join(name)).expect("read set");
                assert_eq!(upstream, text.as_bytes(), "{}/{name}", release.version);
            }
        }
        assert_eq!(
            std::fs::read(versions.join("LICENSE")).expect("licence"),
            std::fs::read(vendored.join("LICENSE")).expect("vendored licence")
        );
        // The newest is also the upstream main branch's copy (../shared/testdata/dcc-schema).
        if let Some(main) = shared("dcc-schema") {
            let upstream = std::fs::read(main.join("DCC.combined-schema.json")).expect("read");
            assert_eq!(upstream, COMBINED_SCHEMA.as_bytes());
        }
        let Some(sets) = shared("dcc-valuesets") else {
            return;
        };
        let ours = Path::new(env!("CARGO_MANIFEST_DIR")).join("valuesets");
        for (name, text) in BUNDLED_VALUE_SETS {
            let upstream = std::fs::read(sets.join(name)).expect("read upstream set");
            assert_eq!(upstream, text.as_bytes(), "valuesets/{name}");
        }
        for name in ["LICENSE", "UPSTREAM-COMMIT"] {
            assert_eq!(
                std::fs::read(sets.join(name)).expect("upstream"),
                std::fs::read(ours.join(name)).expect("vendored"),
                "valuesets/{name}"
            );
        }
        let names: Vec<String> = std::fs::read_dir(&sets)
            .expect("read")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".json") && n != "DCC.ValueSets.schema.json")
            .collect();
        for name in names {
            let id = serde_json::from_slice::<Value>(&std::fs::read(sets.join(&name)).expect("r"))
                .expect("json")["valueSetId"]
                .as_str()
                .map(str::to_owned)
                .expect("valueSetId");
            let file = VALUE_SET_FILES
                .iter()
                .find(|(known, _)| *known == id)
                .map(|(_, f)| *f)
                .expect("a known set");
            assert!(
                file == "vaccine-encoding-instructions.json"
                    || BUNDLED_VALUE_SETS.iter().any(|(n, _)| *n == name),
                "{name} ({id}) is not bundled"
            );
        }
    }

    #[test]
    fn every_bundled_schema_compiles() {
        for release in &RELEASES {
            release.validator().expect("compiles");
            release.bundled_value_sets().expect("value sets load");
        }
        let bundled = RELEASES[RELEASES.len() - 1]
            .bundled_value_sets()
            .expect("bundled");
        assert_eq!(bundled.missing(), None);
        // 1.3.0 listed test devices that the bundled (example) list lacks.
        let own = RELEASES[5].bundled_value_sets().expect("1.3.0");
        assert!(own.contains("test-manf.json", "1246"));
        assert!(!bundled.contains("test-manf.json", "1246"));
    }

    #[test]
    fn versions_resolve_to_the_nearest_release() {
        let resolved = |v: &str| release_for(Some(v)).map(|r| r.version);
        for release in &RELEASES {
            assert_eq!(resolved(release.version).unwrap(), release.version);
        }
        for (asked, got) in [
            ("1.3.7", "1.3.3"),
            ("1.3.99", "1.3.3"),
            ("1.2.5", "1.2.1"),
            ("1.0.9", "1.0.1"),
            ("1.1.3", "1.1.0"),
            ("1.4.0", "1.3.3"),
            ("1.9.2", "1.3.3"),
        ] {
            assert_eq!(resolved(asked).unwrap(), got, "{asked}");
        }
        for unknown in ["2.0.0", "0.9.1", "3.1.4"] {
            let err = resolved(unknown).expect_err("unknown major");
            assert_eq!(err.code(), "dcc.schema_version", "{unknown}");
            assert!(err.to_string().contains(unknown), "{err}");
        }
        // Not a version at all: the newest schema, whose pattern for `ver` refuses it.
        for malformed in ["1.3", "1.3.0.1", "v1.3.0", "", "1..3"] {
            assert_eq!(resolved(malformed).unwrap(), "1.3.3", "{malformed:?}");
        }
        assert_eq!(release_for(None).unwrap().version, "1.3.3");
    }

    fn vaccination(ver: &str, country: &str, product: &str) -> Value {
        serde_json::json!({
            "ver": ver, "nam": {"fnt": "WANG"}, "dob": "1990-01-01",
            "v": [{"tg": "840539006", "vp": "J07BX03", "mp": product, "ma": "ORG-100032020",
                   "dn": 2, "sd": 2, "dt": "2026-06-01", "co": country, "is": "X",
                   "ci": "URN:UVCI:01:CN:X#A"}]
        })
    }

    #[test]
    fn a_certificate_is_checked_against_its_own_version() {
        let schemas = Schemas::schema_only();
        // 1.0.0 allowed a date-time dob; 1.3.0 refuses it.
        let old = serde_json::json!({
            "ver": "1.0.0", "nam": {"fnt": "WANG"}, "dob": "1978-01-26T00:00:00",
            "v": [{"tg": "840539006", "vp": "J07BX03", "mp": "CoronaVac", "ma": "Sinovac-Biotech",
                   "dn": 2, "sd": 2, "dt": "2021-06-01", "co": "CN", "is": "X",
                   "ci": "URN:UVCI:01:CN:X#A"}]
        });
        schemas.validate(&old).expect("valid under 1.0.0");
        let err = schemas
            .validate_as(&old, "1.3.0")
            .expect_err("not under 1.3.0");
        assert_eq!(err.code(), "dcc.schema");
        assert!(err.to_string().contains("schema 1.3.0"), "{err}");
        let mut newer = old.clone();
        newer["ver"] = "1.3.0".into();
        assert_eq!(schemas.validate(&newer).unwrap_err().code(), "dcc.schema");
        // No release allows a null entry group; one is read as absent, and said so. An
        // issuer gets no such leniency.
        let mut nulls = old.clone();
        nulls["t"] = Value::Null;
        nulls["r"] = Value::Null;
        let read = schemas
            .validate(&nulls)
            .expect("null groups read as absent");
        let read: Vec<String> = read.iter().map(ToString::to_string).collect();
        assert_eq!(read, ["/t: null read as absent", "/r: null read as absent"]);
        assert_eq!(validate(&nulls).unwrap_err().code(), "dcc.schema");
        // Null for the only group leaves no entry at all: still refused where the schema
        // asks for one (1.3.0 on).
        let mut empty = vaccination("1.3.0", "CN", "CoronaVac");
        empty["v"] = Value::Null;
        assert!(schemas.validate(&empty).is_err());
        // Null anywhere else is no slip of that kind.
        let mut null_name = old.clone();
        null_name["nam"] = Value::Null;
        assert!(schemas.validate(&null_name).is_err());
        // Two kinds in one certificate: refused whatever the release.
        let mut two = old.clone();
        two["r"] = serde_json::json!([{"tg": "840539006", "fr": "2021-05-07", "co": "CN",
            "is": "X", "df": "2021-05-18", "du": "2021-09-05", "ci": "URN:UVCI:01:CN:X#B"}]);
        for release in &RELEASES {
            let err = schemas
                .validate_release(&two, release)
                .expect_err("two kinds");
            assert_eq!(err.code(), "dcc.schema", "{}", release.version);
        }
        // An unknown patch level of a known release: its nearest release.
        let mut patched = vaccination("1.3.9", "CN", "CoronaVac");
        schemas.validate(&patched).expect("as 1.3.3");
        patched["ver"] = "2.0.0".into();
        let err = schemas.validate(&patched).expect_err("unknown major");
        assert_eq!(err.code(), "dcc.schema_version");
        patched["ver"] = "1.3".into();
        assert_eq!(schemas.validate(&patched).unwrap_err().code(), "dcc.schema");
        patched.as_object_mut().expect("object").remove("ver");
        assert_eq!(schemas.validate(&patched).unwrap_err().code(), "dcc.schema");
    }

    #[test]
    fn another_spelling_of_exactly_one_code_is_read_as_that_code() {
        let bundled = Schemas::bundled();
        // The display name of the current set, and the code without its hyphen.
        for (mp, ma, reading) in [
            (
                "Comirnaty",
                "ORG-100030215",
                "/v/0/mp: \"Comirnaty\" read as the code \"EU/1/20/1528\"",
            ),
            (
                "CoronaVac",
                "SinovacBiotech",
                "/v/0/ma: \"SinovacBiotech\" read as the code \"Sinovac-Biotech\"",
            ),
            (
                "coronavac",
                "Sinovac-Biotech",
                "/v/0/mp: \"coronavac\" read as the code \"CoronaVac\"",
            ),
        ] {
            let mut cert = vaccination("1.3.0", "CN", mp);
            cert["v"][0]["ma"] = ma.into();
            let read = bundled.validate(&cert).expect("read past");
            assert_eq!(read.len(), 1, "{read:?}");
            assert!(read[0].to_string().starts_with(reading), "{}", read[0]);
        }
        // A display name only an older release's own sets know, for a certificate of that
        // release: 1.0.0 called EU/1/20/1507 "COVID-19 Vaccine Moderna", 2.12.0 "Spikevax".
        let mut old = vaccination("1.0.0", "CN", "COVID-19 Vaccine Moderna");
        old["v"][0]["ma"] = "ORG-100031184".into();
        let read = bundled.validate(&old).expect("read past");
        assert!(read[0].to_string().contains("EU/1/20/1507"), "{read:?}");
        // A code that matches nothing is refused.
        let mut bad = vaccination("1.3.0", "CN", "CoronaVac");
        bad["v"][0]["ma"] = "ORG-99999999".into();
        assert_eq!(bundled.validate(&bad).unwrap_err().code(), "dcc.schema");
        // Two codes with one spelling: neither is read from it.
        let mut sets = ValueSets::default();
        sets.put(
            "vaccine-medicinal-product.json",
            [("A-1", Some("Same Name")), ("B-2", Some("same-name"))],
        );
        let codes = sets.sets[PRODUCT].as_ref().expect("loaded");
        assert_eq!(codes.spelled("SAME NAME"), None);
        assert_eq!(codes.spelled("a1"), Some("A-1"));
        // The schema alone reads no code.
        assert!(
            Schemas::schema_only()
                .validate(&bad)
                .expect("valid")
                .is_empty()
        );
    }

    #[test]
    fn bundled_value_sets_refuse_codes_the_schema_alone_lets_through() {
        let bundled = Schemas::bundled();
        let good = vaccination("1.3.0", "CN", "CoronaVac");
        bundled.validate(&good).expect("every code is in its set");
        for (bad, set) in [
            (
                vaccination("1.3.0", "XY", "CoronaVac"),
                "country-2-codes.json",
            ),
            // Country codes are checked for the releases before 1.3.0 too.
            (
                vaccination("1.0.0", "XY", "CoronaVac"),
                "country-2-codes.json",
            ),
            (
                vaccination("1.3.3", "CN", "NoSuchVaccine"),
                "vaccine-medicinal-product.json",
            ),
        ] {
            Schemas::schema_only()
                .validate(&bad)
                .expect("the schema alone names no codes");
            let err = bundled.validate(&bad).expect_err("outside its value set");
            assert_eq!(err.code(), "dcc.schema");
            assert!(err.to_string().contains(set), "{err}");
        }
        // A test's `ma` is a RAT device: checked for RATs when given, not for NAATs.
        let test = |tt: &str, ma: &str| {
            serde_json::json!({
                "ver": "1.3.0", "nam": {"fnt": "LI"}, "dob": "1990",
                "t": [{"tg": "840539006", "tt": tt, "ma": ma, "sc": "2026-11-18T08:00:00Z",
                       "tr": "260415000", "co": "CN", "is": "X", "ci": "URN:UVCI:01:CN:Y#B"}]
            })
        };
        bundled
            .validate(&test(RAT, "1232"))
            .expect("a listed device");
        bundled.validate(&test(RAT, "")).expect("no device given");
        bundled.validate(&test("LP6464-4", "N/A")).expect("a NAAT");
        let err = bundled
            .validate(&test(RAT, "9999"))
            .expect_err("unknown device");
        assert!(err.to_string().contains("test-manf.json"), "{err}");
        // The devices listed with 1.3.0 count for 1.3.0 certificates.
        bundled
            .validate(&test(RAT, "1246"))
            .expect("listed with 1.3.0");
        let mut newer = test(RAT, "1246");
        newer["ver"] = "1.3.3".into();
        assert!(bundled.validate(&newer).is_err(), "not in the 2.12.0 list");
    }

    /// A folder of value sets in the eHealth Network's format, small but complete.
    fn value_set_dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "hc_valuesets_{}_{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        std::fs::create_dir_all(&dir).expect("mkdir");
        let sets: [(&str, &[&str]); 8] = [
            ("disease-agent-targeted.json", &["840539006"]),
            ("vaccine-prophylaxis.json", &["1119349007", "J07BX03"]),
            (
                "vaccine-medicinal-product.json",
                &["EU/1/20/1528", "CoronaVac"],
            ),
            ("vaccine-mah-manf.json", &["ORG-100030215", "ORG-100032020"]),
            ("country-2-codes.json", &["CN", "DE"]),
            ("test-manf.json", &["1232"]),
            ("test-result.json", &["260415000", "260373001"]),
            ("test-type.json", &["LP6464-4", "LP217198-3"]),
        ];
        for (name, codes) in sets {
            let values: serde_json::Map<String, Value> = codes
                .iter()
                .map(|c| {
                    (
                        (*c).to_owned(),
                        serde_json::json!({"display": c, "active": true}),
                    )
                })
                .collect();
            let doc = serde_json::json!({"valueSetId": name, "valueSetDate": "2023-01-25", "valueSetValues": values});
            std::fs::write(dir.join(name), doc.to_string()).expect("write");
        }
        dir
    }

    #[test]
    fn a_value_set_folder_replaces_the_bundled_sets() {
        let dir = value_set_dir();
        let sets = ValueSets::from_dir(&dir).expect("load");
        assert_eq!(sets.len(), 8);
        let strict = Schemas::with_value_sets(sets).expect("complete");
        let good = vaccination("1.3.0", "CN", "CoronaVac");
        strict.validate(&good).expect("every code is in its set");
        // The folder is authoritative: a code the bundled sets hold but it does not is refused.
        let german_vaccine = vaccination("1.3.0", "DE", "EU/1/20/1507");
        Schemas::bundled()
            .validate(&german_vaccine)
            .expect("bundled");
        let err = strict
            .validate(&german_vaccine)
            .expect_err("not in the folder");
        assert!(
            err.to_string().contains("vaccine-medicinal-product.json"),
            "{err}"
        );
        assert!(
            strict
                .validate(&vaccination("1.0.0", "XY", "CoronaVac"))
                .is_err()
        );
        // Saved under the gateway's ids instead of the schema's file names: the same sets.
        let renamed = dir.with_extension("gateway");
        std::fs::create_dir_all(&renamed).expect("mkdir");
        for (id, file) in VALUE_SET_FILES.iter().take(8) {
            let text = std::fs::read_to_string(dir.join(file)).expect("read");
            let text = text.replacen(file, id, 1);
            std::fs::write(renamed.join(format!("{id}.json")), text).expect("write");
        }
        let gateway = Schemas::with_value_sets(ValueSets::from_dir(&renamed).expect("load"))
            .expect("every set found by its id");
        assert!(gateway.validate(&good).is_ok());
        assert!(
            gateway
                .validate(&vaccination("1.3.0", "XY", "CoronaVac"))
                .is_err()
        );
        std::fs::remove_dir_all(&renamed).expect("cleanup");
        // A folder missing a set a field uses is refused, not half used.
        std::fs::remove_file(dir.join("country-2-codes.json")).expect("rm");
        let partial = ValueSets::from_dir(&dir).expect("load");
        let err = Schemas::with_value_sets(partial).expect_err("incomplete");
        assert_eq!(err.code(), "dcc.value_sets");
        assert!(err.to_string().contains("country-2-codes.json"), "{err}");
        std::fs::write(dir.join("broken.json"), "{}").expect("write");
        assert_eq!(
            ValueSets::from_dir(&dir)
                .expect_err("no valueSetValues")
                .code(),
            "dcc.value_sets"
        );
        std::fs::remove_dir_all(&dir).expect("cleanup");
        assert!(ValueSets::from_dir(&dir).is_err(), "a missing folder");
        assert!(Schemas::load(Some(&dir), false).is_err(), "folder and off");
        assert!(!Schemas::load(None, false).expect("off").checks_value_sets());
        assert!(
            Schemas::load(None, true)
                .expect("bundled")
                .checks_value_sets()
        );
    }

    fn files(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                files(&p, out);
            } else if p.extension().is_some_and(|x| x == "json") {
                out.push(p);
            }
        }
    }

    #[test]
    fn upstream_examples_validate_as_published() {
        let Some(dir) = shared("dcc-schema") else {
            return;
        };
        let mut failures = Vec::new();
        let mut count = 0;
        for (sub, expect_valid) in [
            ("test/valid", true),
            ("test/invalid", false),
            ("examples", true),
        ] {
            let mut list = Vec::new();
            files(&dir.join(sub), &mut list);
            assert!(!list.is_empty(), "no examples in {sub}");
            for p in list {
                count += 1;
                let text = std::fs::read_to_string(&p).expect("read example");
                // An unparsable file is invalid by definition. The examples are checked
                // against the schema they were written for, the newest.
                let result = serde_json::from_str::<Value>(&text)
                    .map_err(|e| DccError::Schema(e.to_string()))
                    .and_then(|v| {
                        Schemas::schema_only().validate_release(&v, &RELEASES[RELEASES.len() - 1])
                    });
                if result.is_ok() != expect_valid {
                    failures.push(format!("{}: {result:?}", p.display()));
                }
            }
        }
        println!("{count} schema examples checked");
        assert!(failures.is_empty(), "{failures:#?}");
    }
}
