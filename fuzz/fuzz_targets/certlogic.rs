//! CertLogic (the JsonLogic dialect of the EU DCC business rules and healthcode's
//! colour policies): validation, the interpreter and the compiler over arbitrary JSON
//! data, and date-time parsing and arithmetic.
//!
//! Input: a JSON array `[expression, data]`; any other JSON value is an expression
//! (or an EU business rule holding one under `Logic`) evaluated over `{}`. The two
//! engines must agree on every expression and data, errors included (as the crate's
//! own tests insist), and a compiled expression must be a valid one.
#![no_main]

use healthcode_certlogic::{
    DateTime, Program, TIME_UNITS, TimeUnit, evaluate, parse_rule_or_expression, truthiness,
    validate,
};
use healthcode_fuzz::text;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Some(input) = text(data) else {
        return;
    };
    let Ok(document) = serde_json::from_str::<Value>(input) else {
        return;
    };
    let empty = Value::Object(serde_json::Map::new());
    let (expr, data) = match &document {
        Value::Array(pair) if pair.len() == 2 => (&pair[0], &pair[1]),
        other => (parse_rule_or_expression(other), &empty),
    };

    let issues = validate(expr);
    let interpreted = evaluate(expr, data);
    let compiled = Program::compile(expr);
    assert_eq!(compiled.is_ok(), issues.is_empty());
    if let Ok(program) = &compiled {
        let result = program.evaluate(data);
        assert_eq!(interpreted, result, "the engines disagree");
        if let Ok(value) = &result {
            let _ = truthiness(value);
        }
    } else {
        assert!(interpreted.is_err(), "an invalid expression evaluated");
    }

    // Date-times and their arithmetic, on every string of the input.
    let mut strings = Vec::new();
    collect_strings(&document, &mut strings);
    for s in strings {
        if let Ok(dt) = DateTime::parse(s) {
            let iso = dt.to_iso_string();
            if iso.len() == "2021-01-01T00:00:00.000Z".len() {
                assert_eq!(DateTime::parse(&iso).ok(), Some(dt), "{s} -> {iso}");
            }
            for unit in TIME_UNITS.iter().filter_map(|u| TimeUnit::parse(u)) {
                for amount in [-1, 1, 12, 1000, i64::from(i32::MAX)] {
                    let _ = dt.plus(amount, unit);
                }
            }
        }
        let _ = DateTime::parse_date_of_birth(s);
    }
});

fn collect_strings<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::String(s) => out.push(s),
        Value::Array(items) => items.iter().for_each(|v| collect_strings(v, out)),
        Value::Object(map) => map.iter().for_each(|(k, v)| {
            out.push(k);
            collect_strings(v, out);
        }),
        _ => {}
    }
}
