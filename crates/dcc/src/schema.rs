//! Validation of the hcert JSON against the EU DCC schema (vendored, compiled once).

use std::sync::LazyLock;

use serde_json::Value;

use crate::DccError;

/// The EU DCC combined schema 1.3.3, vendored unmodified (see `schema/README.md`).
pub const COMBINED_SCHEMA: &str = include_str!("../schema/DCC.combined-schema.json");

static VALIDATOR: LazyLock<Result<jsonschema::Validator, String>> = LazyLock::new(|| {
    let schema: Value = serde_json::from_str(COMBINED_SCHEMA).map_err(|e| e.to_string())?;
    // `format` stays an annotation, as draft 2020-12 says and as the upstream examples need
    // (test/valid/T-rat-dates1.json has `sc` "2021-06-11T17:30:00+02", not RFC 3339).
    jsonschema::options()
        .should_validate_formats(false)
        .build(&schema)
        .map_err(|e| e.to_string())
});

/// Validates a health certificate (the JSON under hcert key 1) against the EU DCC schema.
///
/// The validator is compiled once per process; a validation costs a walk of the document.
pub fn validate(hcert: &Value) -> Result<(), DccError> {
    let validator = VALIDATOR
        .as_ref()
        .map_err(|e| DccError::Schema(format!("schema does not compile: {e}")))?;
    if validator.is_valid(hcert) {
        return Ok(());
    }
    let msgs: Vec<String> = validator
        .iter_errors(hcert)
        .take(3)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    Err(DccError::Schema(msgs.join("; ")))
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
}
