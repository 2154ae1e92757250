//! Validation of the hcert JSON against the EU DCC schema (vendored, compiled once), and
//! optionally against the EU value sets that the schema names with `valueset-uri`.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, LazyLock};

use jsonschema::{Keyword, ValidationError};
use serde_json::Value;

use crate::DccError;

/// The EU DCC combined schema 1.3.3, vendored unmodified (see `schema/README.md`).
pub const COMBINED_SCHEMA: &str = include_str!("../schema/DCC.combined-schema.json");

/// The schema alone: what every verifier checks.
static STANDARD: LazyLock<Result<Schema, String>> =
    LazyLock::new(|| Schema::build(None).map_err(|e| e.to_string()));

/// A compiled EU DCC schema, with or without the value sets.
///
/// Why two forms: the schema only names the value sets (country codes, vaccines, test
/// devices…) by file; the sets themselves are published, and updated, by the eHealth
/// Network. A verifier that holds them also refuses codes outside them.
pub struct Schema {
    validator: jsonschema::Validator,
}

impl std::fmt::Debug for Schema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Schema").finish_non_exhaustive()
    }
}

impl Schema {
    /// The schema alone, compiled once per process.
    pub fn standard() -> Result<&'static Schema, DccError> {
        STANDARD
            .as_ref()
            .map_err(|e| DccError::Schema(format!("schema does not compile: {e}")))
    }

    /// The schema with the value sets of the folder `value_sets` (see
    /// [`ValueSets::from_dir`]), or alone when there is none: what a verifier configured
    /// with an optional value-set folder uses.
    pub fn load(value_sets: Option<&Path>) -> Result<Schema, DccError> {
        match value_sets {
            Some(dir) => Schema::with_value_sets(&ValueSets::from_dir(dir)?),
            None => Schema::build(None),
        }
    }

    /// The schema with every `valueset-uri` it uses checked against `sets`; fails when a
    /// set it names is missing, so that a half-loaded folder cannot pass for a full one.
    pub fn with_value_sets(sets: &ValueSets) -> Result<Schema, DccError> {
        Schema::build(Some(sets))
    }

    fn build(sets: Option<&ValueSets>) -> Result<Schema, DccError> {
        let schema: Value = serde_json::from_str(COMBINED_SCHEMA)
            .map_err(|e| DccError::Schema(format!("schema is not JSON: {e}")))?;
        // `format` stays an annotation, as draft 2020-12 says and as the upstream examples
        // need (test/valid/T-rat-dates1.json has `sc` "2021-06-11T17:30:00+02", not RFC 3339).
        let mut options = jsonschema::options().should_validate_formats(false);
        if let Some(sets) = sets {
            let sets = sets.sets.clone();
            options = options.with_keyword("valueset-uri", move |_, uri, _| {
                let name = uri
                    .as_str()
                    .and_then(|u| u.rsplit('/').next())
                    .unwrap_or_default()
                    .to_owned();
                match sets.get(&name) {
                    Some(codes) => Ok(Box::new(InValueSet {
                        name,
                        codes: codes.clone(),
                    })),
                    None => Err(ValidationError::custom(format!(
                        "the value set {name} is not loaded"
                    ))),
                }
            });
        }
        let validator = options.build(&schema).map_err(|e| match sets {
            Some(_) => DccError::ValueSets(e.to_string()),
            None => DccError::Schema(format!("schema does not compile: {e}")),
        })?;
        Ok(Schema { validator })
    }

    /// Validates a health certificate (the JSON under hcert key 1); a validation costs a
    /// walk of the document.
    pub fn validate(&self, hcert: &Value) -> Result<(), DccError> {
        if self.validator.is_valid(hcert) {
            return Ok(());
        }
        let msgs: Vec<String> = self
            .validator
            .iter_errors(hcert)
            .take(3)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        Err(DccError::Schema(msgs.join("; ")))
    }
}

/// Validates a health certificate against the EU DCC schema alone.
pub fn validate(hcert: &Value) -> Result<(), DccError> {
    Schema::standard()?.validate(hcert)
}

/// The eHealth Network's value-set ids, as the DCC gateway names them, and the file each
/// is published as beside the schema (the name its `valueset-uri` gives).
const VALUE_SET_FILES: [(&str, &str); 8] = [
    ("disease-agent-targeted", "disease-agent-targeted.json"),
    ("sct-vaccines-covid-19", "vaccine-prophylaxis.json"),
    ("vaccines-covid-19-names", "vaccine-medicinal-product.json"),
    ("vaccines-covid-19-auth-holders", "vaccine-mah-manf.json"),
    ("country-2-codes", "country-2-codes.json"),
    ("covid-19-lab-test-manufacturer-and-name", "test-manf.json"),
    ("covid-19-lab-result", "test-result.json"),
    ("covid-19-lab-test-type", "test-type.json"),
];

/// The EU DCC value sets, by the file name the schema's `valueset-uri` gives
/// (`country-2-codes.json`, `test-manf.json`, …): the codes each allows.
#[derive(Debug, Clone, Default)]
pub struct ValueSets {
    sets: HashMap<String, Arc<HashSet<String>>>,
}

impl ValueSets {
    /// Reads every `*.json` file of a folder in the eHealth Network's value-set format
    /// (`{"valueSetId": …, "valueSetValues": {"CODE": {…}, …}}`), as published with the
    /// schema and distributed by the DCC gateway. A file whose `valueSetId` is one of the
    /// EU's counts as that set, whatever the file is called.
    pub fn from_dir(dir: &Path) -> Result<ValueSets, DccError> {
        let bad = |what: String| DccError::ValueSets(what);
        let entries = std::fs::read_dir(dir)
            .map_err(|e| bad(format!("cannot read {}: {e}", dir.display())))?;
        let mut sets = ValueSets::default();
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
            let doc: Value =
                serde_json::from_str(&text).map_err(|e| bad(format!("{name}: {e}")))?;
            let Some(values) = doc.get("valueSetValues").and_then(Value::as_object) else {
                return Err(bad(format!("{name} has no valueSetValues object")));
            };
            // Saved under the schema's file name, or under any name with its valueSetId.
            let id = doc.get("valueSetId").and_then(Value::as_str);
            let schema_name = id
                .and_then(|id| VALUE_SET_FILES.iter().find(|(known, _)| *known == id))
                .map_or(name, |(_, file)| file);
            sets.insert(schema_name, values.keys().cloned());
        }
        if sets.sets.is_empty() {
            return Err(bad(format!("no value sets in {}", dir.display())));
        }
        Ok(sets)
    }

    /// Adds (or replaces) the set the schema names `name`, e.g. `country-2-codes.json`.
    pub fn insert(&mut self, name: &str, codes: impl IntoIterator<Item = String>) {
        self.sets
            .insert(name.to_owned(), Arc::new(codes.into_iter().collect()));
    }

    /// How many sets are loaded.
    pub fn len(&self) -> usize {
        self.sets.len()
    }

    /// Whether no set is loaded.
    pub fn is_empty(&self) -> bool {
        self.sets.is_empty()
    }
}

/// The `valueset-uri` keyword when the set is loaded: the value must be one of its codes.
struct InValueSet {
    name: String,
    codes: Arc<HashSet<String>>,
}

impl<'i> Keyword<'i> for InValueSet {
    fn validate(&self, instance: &'i Value) -> Result<(), ValidationError<'i>> {
        if self.is_valid(instance) {
            Ok(())
        } else {
            Err(ValidationError::custom(format!(
                "{instance} is not in the value set {}",
                self.name
            )))
        }
    }

    fn is_valid(&self, instance: &'i Value) -> bool {
        // Only strings carry codes; the schema's own `type` refuses anything else.
        instance
            .as_str()
            .is_none_or(|code| self.codes.contains(code))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn schema_dir() -> Option<PathBuf> {
        crate::testdata::shared_testdata().map(|d| d.join("dcc-schema"))
    }

    #[test]
    fn vendored_schema_is_identical_to_upstream() {
        let Some(dir) = schema_dir() else {
            return;
        };
        let upstream = std::fs::read(dir.join("DCC.combined-schema.json")).expect("read upstream");
        assert_eq!(
            upstream,
            COMBINED_SCHEMA.as_bytes(),
            "schema/ copy differs from upstream"
        );
    }

    fn files(dir: &std::path::Path, out: &mut Vec<PathBuf>) {
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
        let Some(dir) = schema_dir() else {
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
                // An unparsable file is invalid by definition.
                let result = serde_json::from_str::<Value>(&text)
                    .map_err(|e| DccError::Schema(e.to_string()))
                    .and_then(|v| validate(&v));
                if result.is_ok() != expect_valid {
                    failures.push(format!("{}: {result:?}", p.display()));
                }
            }
        }
        println!("{count} schema examples checked");
        assert!(failures.is_empty(), "{failures:#?}");
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
            (
                "vaccine-mah-manf.json",
                &["ORG-100030215", "Sinovac-Biotech"],
            ),
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

    fn vaccination(country: &str, product: &str) -> Value {
        serde_json::json!({
            "ver": "1.3.0", "nam": {"fnt": "WANG"}, "dob": "1990-01-01",
            "v": [{"tg": "840539006", "vp": "J07BX03", "mp": product, "ma": "Sinovac-Biotech",
                   "dn": 2, "sd": 2, "dt": "2026-06-01", "co": country, "is": "X",
                   "ci": "URN:UVCI:01:CN:X#A"}]
        })
    }

    #[test]
    fn value_sets_refuse_codes_the_schema_alone_lets_through() {
        let dir = value_set_dir();
        let sets = ValueSets::from_dir(&dir).expect("load");
        // The schema also defines vaccine-encoding-instructions, but no field uses it.
        assert_eq!(sets.len(), 8);
        let strict = Schema::with_value_sets(&sets).expect("compile");
        let good = vaccination("CN", "CoronaVac");
        strict.validate(&good).expect("every code is in its set");
        validate(&good).expect("and in the schema alone");
        for (bad, set) in [
            (vaccination("XY", "CoronaVac"), "country-2-codes.json"),
            (
                vaccination("CN", "NoSuchVaccine"),
                "vaccine-medicinal-product.json",
            ),
        ] {
            assert!(validate(&bad).is_ok(), "the schema alone names no codes");
            let err = strict.validate(&bad).expect_err("outside its value set");
            assert_eq!(err.code(), "dcc.schema");
            assert!(err.to_string().contains(set), "{err}");
        }
        // Saved under the gateway's ids instead of the schema's file names: the same sets.
        let renamed = dir.with_extension("gateway");
        std::fs::create_dir_all(&renamed).expect("mkdir");
        for (id, file) in VALUE_SET_FILES {
            let text = std::fs::read_to_string(dir.join(file)).expect("read");
            let text = text.replacen(file, id, 1);
            std::fs::write(renamed.join(format!("{id}.json")), text).expect("write");
        }
        let gateway = Schema::with_value_sets(&ValueSets::from_dir(&renamed).expect("load"))
            .expect("every set found by its id");
        assert!(gateway.validate(&good).is_ok());
        assert!(gateway.validate(&vaccination("XY", "CoronaVac")).is_err());
        std::fs::remove_dir_all(&renamed).expect("cleanup");
        // A folder missing a set the schema uses is refused, not half used.
        std::fs::remove_file(dir.join("country-2-codes.json")).expect("rm");
        let partial = ValueSets::from_dir(&dir).expect("load");
        let err = Schema::with_value_sets(&partial).expect_err("incomplete");
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
    }
}
