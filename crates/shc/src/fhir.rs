//! The FHIR checks a verifier can make without a full FHIR validator: the Bundle
//! shape, the fields of Immunization and Observation that a health card's meaning
//! rests on, FHIR's ban on empty values, and the specification's data-minimisation
//! and short-reference advice (as warnings).

use serde_json::{Map, Value};

use crate::ShcError;

/// Something worth telling but not a reason to refuse the card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// Stable code, e.g. `shc.fhir_not_short_ref`.
    pub code: &'static str,
    /// Where and what.
    pub detail: String,
}

const NOT_MINIMIZED: &str = "shc.fhir_not_minimized";
const NOT_SHORT_REF: &str = "shc.fhir_not_short_ref";

const CODING_KEYS: [&str; 5] = ["system", "version", "code", "display", "userSelected"];
const IMMUNIZATION_STATUS: [&str; 3] = ["completed", "entered-in-error", "not-done"];
const OBSERVATION_STATUS: [&str; 8] = [
    "registered",
    "preliminary",
    "final",
    "amended",
    "corrected",
    "cancelled",
    "entered-in-error",
    "unknown",
];

fn is_short_ref(s: &str) -> bool {
    s.strip_prefix("resource:")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Checks a FHIR Bundle as carried in `credentialSubject.fhirBundle`; returns the
/// warnings when it is acceptable.
pub fn check_bundle(bundle: &Value) -> Result<Vec<Warning>, ShcError> {
    let Some(b) = bundle.as_object() else {
        return Err(ShcError::FhirNotBundle);
    };
    if b.get("resourceType").and_then(Value::as_str) != Some("Bundle") {
        return Err(ShcError::FhirNotBundle);
    }
    if b.get("type").and_then(Value::as_str) != Some("collection") {
        return Err(ShcError::FhirBundleType);
    }
    let Some(entries) = b.get("entry").and_then(Value::as_array) else {
        return Err(ShcError::FhirEntry(0));
    };
    let mut warnings = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        check_entry(i, entry, &mut warnings)?;
    }
    if let Some(mut rev) = find_empty(bundle) {
        rev.push("Bundle".into());
        rev.reverse();
        return Err(ShcError::FhirEmptyValue(rev.concat()));
    }
    Ok(warnings)
}

fn check_entry(i: usize, entry: &Value, warnings: &mut Vec<Warning>) -> Result<(), ShcError> {
    let Some(res) = entry.get("resource").and_then(Value::as_object) else {
        return Err(ShcError::FhirEntry(i));
    };
    let Some(rt) = res.get("resourceType").and_then(Value::as_str) else {
        return Err(ShcError::FhirEntry(i));
    };
    match entry.get("fullUrl").and_then(Value::as_str) {
        Some(u) if is_short_ref(u) => {}
        other => warnings.push(Warning {
            code: NOT_SHORT_REF,
            detail: format!("entry {i} fullUrl {other:?} is not resource:N"),
        }),
    }
    if res.contains_key("id") {
        warnings.push(Warning {
            code: NOT_MINIMIZED,
            detail: format!("entry {i} {rt} has an id"),
        });
    }
    if let Some(meta) = res.get("meta") {
        check_meta(i, rt, meta, warnings)?;
    }
    for x in res.values() {
        scan_minimisation(i, x, warnings);
    }
    match rt {
        "Immunization" => {
            check_status(res, rt, &IMMUNIZATION_STATUS)?;
            check_coding(res, "vaccineCode", i, rt)?;
            let n = ["occurrenceDateTime", "occurrenceString"]
                .iter()
                .filter(|k| res.contains_key(**k))
                .count();
            if n != 1 {
                return Err(ShcError::FhirOccurrence(i));
            }
        }
        "Observation" => {
            check_status(res, rt, &OBSERVATION_STATUS)?;
            check_coding(res, "code", i, rt)?;
        }
        _ => {}
    }
    Ok(())
}

fn check_meta(
    i: usize,
    rt: &str,
    meta: &Value,
    warnings: &mut Vec<Warning>,
) -> Result<(), ShcError> {
    let Some(m) = meta.as_object() else {
        warnings.push(Warning {
            code: NOT_MINIMIZED,
            detail: format!("entry {i} {rt} meta is not meta.security alone"),
        });
        return Ok(());
    };
    if m.keys().any(|k| k != "security") {
        warnings.push(Warning {
            code: NOT_MINIMIZED,
            detail: format!("entry {i} {rt} meta holds more than security"),
        });
    }
    if let Some(sec) = m.get("security") {
        let Some(list) = sec.as_array() else {
            return Err(ShcError::FhirBadMetaSecurity(i));
        };
        for c in list {
            let ok = c
                .as_object()
                .is_some_and(|o| o.keys().all(|k| CODING_KEYS.contains(&k.as_str())));
            if !ok {
                return Err(ShcError::FhirBadMetaSecurity(i));
            }
        }
    }
    Ok(())
}

fn check_status(res: &Map<String, Value>, rt: &str, allowed: &[&str]) -> Result<(), ShcError> {
    let status = res.get("status").and_then(Value::as_str).unwrap_or("");
    if allowed.contains(&status) {
        Ok(())
    } else {
        Err(ShcError::FhirInvalidStatus {
            resource: rt.to_owned(),
            status: status.to_owned(),
        })
    }
}

fn check_coding(res: &Map<String, Value>, field: &str, i: usize, rt: &str) -> Result<(), ShcError> {
    let has = res
        .get(field)
        .and_then(Value::as_object)
        .is_some_and(|c| c.contains_key("coding"));
    if has {
        Ok(())
    } else {
        Err(ShcError::FhirMissingCoding(format!(
            "{rt}.{field} in entry {i}"
        )))
    }
}

/// Warns about `Coding.display` and `CodeableConcept.text`, which the
/// specification asks issuers to leave out.
fn scan_minimisation(i: usize, v: &Value, warnings: &mut Vec<Warning>) {
    match v {
        Value::Object(o) => {
            if let Some(codings) = o.get("coding").and_then(Value::as_array) {
                if o.contains_key("text") {
                    warnings.push(Warning {
                        code: NOT_MINIMIZED,
                        detail: format!("entry {i}: CodeableConcept.text"),
                    });
                }
                if codings.iter().any(|c| c.get("display").is_some()) {
                    warnings.push(Warning {
                        code: NOT_MINIMIZED,
                        detail: format!("entry {i}: Coding.display"),
                    });
                }
            }
            if let Some(r) = o.get("reference").and_then(Value::as_str)
                && !is_short_ref(r)
            {
                warnings.push(Warning {
                    code: NOT_SHORT_REF,
                    detail: format!("entry {i}: reference {r:?} is not resource:N"),
                });
            }
            for x in o.values() {
                scan_minimisation(i, x, warnings);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| scan_minimisation(i, x, warnings)),
        _ => {}
    }
}

/// Finds an empty string, array or object; builds the path only on the way back
/// out of a failure, so valid bundles cost no allocation.
fn find_empty(v: &Value) -> Option<Vec<String>> {
    let empty = match v {
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    };
    if empty {
        return Some(Vec::new());
    }
    match v {
        Value::Array(a) => a.iter().enumerate().find_map(|(i, x)| {
            find_empty(x).map(|mut p| {
                p.push(format!("[{i}]"));
                p
            })
        }),
        Value::Object(o) => o.iter().find_map(|(k, x)| {
            find_empty(x).map(|mut p| {
                p.push(format!(".{k}"));
                p
            })
        }),
        _ => None,
    }
}
