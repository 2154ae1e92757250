//! HC1 decode and verify throughput: healthcode-dcc against raw aws-lc-rs and the `dgc` crate,
//! over every valid ES256 vector of the EU dgc-testdata (`../shared/testdata/dcc`).
//!
//! Run: `cargo bench -p healthcode-dcc -- --warm-up-time 1 --measurement-time 3`.
//! `healthcode_decode_verify` is the full check (signature, validity, DSC key usage, the JSON
//! schema of the certificate's version and the bundled EU value sets), over the vectors it
//! accepts; `healthcode_decode_signature` does what `dgc_decode_verify` does.
//! Each iteration processes all inputs once; criterion's `thrpt` is certificates per second.

use std::hint::black_box;
use std::path::Path;

use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED, ParsedPublicKey};
use base64::Engine as _;
use criterion::{Criterion, Throughput};
use healthcode_dcc::{
    Algorithm, DscStore, check_validity, decode, testdata, verify, verify_signature,
};
use x509_cert::Certificate;
use x509_cert::der::Decode as _;

struct Input {
    text: String,
    /// The verification time: the certificate's own iat.
    now: i64,
    tbs: Vec<u8>,
    sig: Vec<u8>,
    key: ParsedPublicKey,
}

fn load() -> Option<(Vec<Input>, DscStore, dgc::TrustList)> {
    let root = testdata::shared_testdata_from(Path::new(env!("CARGO_MANIFEST_DIR")))?;
    let dir = root.join("dcc");
    let mut store = DscStore::new();
    let mut trust = dgc::TrustList::default();
    let mut candidates = Vec::new();
    for path in testdata::find_cases(&dir).ok()? {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else {
            continue;
        };
        if v["EXPECTEDRESULTS"]["EXPECTEDVERIFY"] != serde_json::Value::Bool(true) {
            continue;
        }
        let (Some(prefix), Some(cert)) =
            (v["PREFIX"].as_str(), v["TESTCTX"]["CERTIFICATE"].as_str())
        else {
            continue;
        };
        let Ok(der) = base64::engine::general_purpose::STANDARD.decode(cert) else {
            continue;
        };
        if store.add_der(&der).is_err() || trust.add_key_from_certificate(cert).is_err() {
            continue;
        }
        candidates.push((prefix.to_owned(), der));
    }
    let mut inputs = Vec::new();
    for (text, der) in candidates {
        let Ok(d) = decode(&text) else { continue };
        if d.alg != Some(Algorithm::Es256) {
            continue;
        }
        let Some(now) = d.iat else { continue };
        if verify(&text, &store, now).is_err() {
            continue;
        }
        if !dgc::validate(&text, &trust).is_ok_and(|(_, s)| s.is_valid()) {
            continue;
        }
        let Ok(cert) = Certificate::from_der(&der) else {
            continue;
        };
        let spki = cert.tbs_certificate().subject_public_key_info();
        let Ok(key) = ParsedPublicKey::new(
            &ECDSA_P256_SHA256_FIXED,
            spki.subject_public_key.raw_bytes(),
        ) else {
            continue;
        };
        inputs.push(Input {
            tbs: d.signed_bytes().to_vec(),
            sig: d.signature().to_vec(),
            text,
            now,
            key,
        });
    }
    Some((inputs, store, trust))
}

fn main() {
    let Some((inputs, store, trust)) = load() else {
        eprintln!("hc1 bench: shared test data not found, skipping");
        return;
    };
    if inputs.is_empty() {
        eprintln!("hc1 bench: no valid ES256 vectors, skipping");
        return;
    }
    eprintln!("hc1 bench: {} valid ES256 vectors", inputs.len());
    let mut c = Criterion::default().configure_from_args();
    let mut g = c.benchmark_group("hc1");
    g.throughput(Throughput::Elements(inputs.len() as u64));
    g.bench_function("healthcode_decode", |b| {
        b.iter(|| {
            for i in &inputs {
                black_box(decode(black_box(&i.text)).is_ok());
            }
        })
    });
    g.bench_function("healthcode_decode_verify", |b| {
        b.iter(|| {
            for i in &inputs {
                black_box(verify(black_box(&i.text), &store, i.now).is_ok());
            }
        })
    });
    // What `dgc::validate` does (decode and signature; no clock, key usage or
    // schema), for a like-for-like comparison with the full `verify` above.
    g.bench_function("healthcode_decode_signature", |b| {
        b.iter(|| {
            for i in &inputs {
                let ok = decode(black_box(&i.text)).is_ok_and(|d| {
                    verify_signature(&d, &store).is_ok() && check_validity(&d, i.now).is_ok()
                });
                black_box(ok);
            }
        })
    });
    g.bench_function("aws_lc_rs_p256_verify", |b| {
        b.iter(|| {
            for i in &inputs {
                black_box(i.key.verify_sig(black_box(&i.tbs), &i.sig).is_ok());
            }
        })
    });
    g.bench_function("dgc_decode", |b| {
        b.iter(|| {
            for i in &inputs {
                black_box(dgc::decode(black_box(&i.text)).is_ok());
            }
        })
    });
    g.bench_function("dgc_decode_verify", |b| {
        b.iter(|| {
            for i in &inputs {
                black_box(
                    dgc::validate(black_box(&i.text), &trust).is_ok_and(|(_, s)| s.is_valid()),
                );
            }
        })
    });
    g.finish();
    c.final_summary();
}
