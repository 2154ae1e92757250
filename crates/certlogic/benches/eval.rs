//! Evaluations per second of EU-DCC-style rules: compiled once, evaluated over pre-parsed data
//! whose dates are strings (so every evaluation parses them), next to the plain interpreter.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use healthcode_certlogic::{Program, evaluate};
use serde_json::{Value, json};

/// Test rule (as TR-EU-0002): a test's sample must have been collected at most 72 hours before
/// the validation clock.
fn test_rule() -> Value {
    json!({"if": [
        {"var": "payload.t.0"},
        {"not-after": [
            {"plusTime": [{"var": "external.validationClock"}, 0, "day"]},
            {"plusTime": [{"var": "payload.t.0.sc"}, 72, "hour"]}
        ]},
        true
    ]})
}

/// Vaccination rule (as VR-EU-0003): a complete primary course of an approved product is valid
/// from 14 to 365 days after vaccination.
fn vaccination_rule() -> Value {
    json!({"if": [
        {"var": "payload.v.0"},
        {"if": [
            {"and": [
                {">=": [{"var": "payload.v.0.dn"}, {"var": "payload.v.0.sd"}]},
                {"in": [{"var": "payload.v.0.mp"}, ["EU/1/20/1528", "EU/1/20/1507", "EU/1/21/1529", "EU/1/20/1525"]]}
            ]},
            {"not-after": [
                {"plusTime": [{"var": "payload.v.0.dt"}, 14, "day"]},
                {"plusTime": [{"var": "external.validationClock"}, 0, "day"]},
                {"plusTime": [{"var": "payload.v.0.dt"}, 365, "day"]}
            ]},
            false
        ]},
        true
    ]})
}

fn data() -> Value {
    json!({
        "payload": {
            "ver": "1.3.0",
            "nam": {"fn": "Musterfrau", "gn": "Erika", "fnt": "MUSTERFRAU", "gnt": "ERIKA"},
            "dob": "1964-08-12",
            "t": [{
                "tg": "840539006", "tt": "LP6464-4", "nm": "Roche LightCycler qPCR",
                "sc": "2021-05-29T19:21:13+02:00", "tr": "260415000", "tc": "Testzentrum Köln Hbf",
                "co": "DE", "is": "Robert Koch-Institut", "ci": "URN:UVCI:01DE/IZ12345A/5CWLU12RNOB9RXSEOP6FG8#W"
            }],
            "v": [{
                "tg": "840539006", "vp": "1119349007", "mp": "EU/1/20/1528", "ma": "ORG-100030215",
                "dn": 2, "sd": 2, "dt": "2021-05-01", "co": "DE", "is": "Robert Koch-Institut",
                "ci": "URN:UVCI:01DE/IZ12345A/5CWLU12RNOB9RXSEOP6FG8#W"
            }]
        },
        "external": {
            "validationClock": "2021-05-30T10:15:00.000Z",
            "valueSets": {},
            "countryCode": "AT",
            "exp": "2022-05-29T19:21:13Z",
            "iat": "2021-05-29T19:21:13Z"
        }
    })
}

fn benches(c: &mut Criterion) {
    let data = data();
    let mut group = c.benchmark_group("certlogic");
    group.throughput(Throughput::Elements(1));
    for (name, rule) in [
        ("test_rule", test_rule()),
        ("vaccination_rule", vaccination_rule()),
    ] {
        let program = match Program::compile(&rule) {
            Ok(program) => program,
            Err(e) => panic!("{name} does not compile: {e}"),
        };
        match program.evaluate(&data) {
            Ok(Value::Bool(true)) => {}
            other => panic!("{name} should pass on the sample data, got {other:?}"),
        }
        group.bench_function(format!("{name}/compiled"), |b| {
            b.iter(|| program.evaluate(black_box(&data)))
        });
        group.bench_function(format!("{name}/interpreted"), |b| {
            b.iter(|| evaluate(black_box(&rule), black_box(&data)))
        });
    }
    group.finish();
}

criterion_group!(eval, benches);
criterion_main!(eval);
