//! SMART Health Card verification throughput beside the raw ECDSA P-256 verify it
//! rests on. Target: ≥ 12,000 cards/s per core.

use std::hint::black_box;

use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED, ParsedPublicKey};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use healthcode_shc::{ImmunizationInput, IssuerDirectory, Person, ShcIssuer};

const NOW: i64 = 1_800_000_000;

fn bench(c: &mut Criterion) {
    let pkcs8 = ShcIssuer::generate_pkcs8().expect("key");
    let issuer = ShcIssuer::from_pkcs8("https://hc.example.org/shc", &pkcs8).expect("issuer");
    let person = Person {
        family: "Anyperson".into(),
        given: vec!["John".into(), "B.".into()],
        birth_date: "1951-01-20".into(),
    };
    let shots: Vec<ImmunizationInput> = ["2021-01-01", "2021-01-29"]
        .iter()
        .map(|d| ImmunizationInput {
            cvx: "207".into(),
            date: (*d).into(),
            lot: Some("0000001".into()),
            performer: "ABC General Hospital".into(),
        })
        .collect();
    let card = issuer
        .issue_immunizations(&person, &shots, NOW - 1000)
        .expect("issue");
    let numeric = card.qr_text();
    let mut trust = IssuerDirectory::new();
    trust
        .add_jwks_json(issuer.iss(), &issuer.jwks().to_string())
        .expect("jwks");

    let parts: Vec<&str> = card.jws.split('.').collect();
    let signing_input = format!("{}.{}", parts[0], parts[1]);
    let sig = URL_SAFE_NO_PAD.decode(parts[2]).expect("sig");
    let jwk = &issuer.jwks()["keys"][0];
    let mut point = vec![4u8];
    for k in ["x", "y"] {
        point.extend(
            URL_SAFE_NO_PAD
                .decode(jwk[k].as_str().expect("coord"))
                .expect("b64"),
        );
    }
    let key = ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &point).expect("key");

    let mut g = c.benchmark_group("shc");
    g.throughput(Throughput::Elements(1));
    g.bench_function("verify_numeric_qr_text", |b| {
        b.iter(|| {
            healthcode_shc::verify_qr_texts(&[black_box(numeric.as_str())], &trust, NOW)
                .expect("ok")
        })
    });
    g.bench_function("verify_jws", |b| {
        b.iter(|| healthcode_shc::verify_jws(black_box(&card.jws), &trust, NOW).expect("ok"))
    });
    g.bench_function("decode_and_check_without_signature", |b| {
        b.iter(|| {
            let d = healthcode_shc::verify::decode_jws(black_box(&card.jws), 1195).expect("ok");
            healthcode_shc::verify::check_payload(&d.payload, NOW).expect("ok")
        })
    });
    g.bench_function("raw_ecdsa_p256_verify", |b| {
        b.iter(|| {
            key.verify_sig(black_box(signing_input.as_bytes()), black_box(&sig))
                .expect("ok")
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
