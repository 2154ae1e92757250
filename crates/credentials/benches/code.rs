//! Cost of issuing and verifying a personal health code, and of verifying a venue
//! place code at check-in, next to the raw Ed25519 operations on a message of the same
//! size as our Sig_structure, so the overhead of the CBOR/COSE/base45 encoding shows
//! as a ratio.

use std::hint::black_box;

use aws_lc_rs::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use coset::{CoseSign1, TaggedCborSerializable as _};
use criterion::{Criterion, criterion_group, criterion_main};
use healthcode_credentials::code::{self, HealthCodeClaims};
use healthcode_credentials::keys::SigningKey;
use healthcode_credentials::place::{self, PlaceClaims};
use healthcode_credentials::qr;
use healthcode_credentials::trust::{KeyStatus, TrustList, TrustedKey};
use healthcode_domain::colour::Colour;

const NOW: i64 = 1_750_000_000;

fn claims() -> HealthCodeClaims {
    HealthCodeClaims {
        issuer: "350000".to_owned(),
        subject: [0x5a; 16],
        colour: Colour::Green,
        issued_at: NOW,
        expires_at: NOW + 180,
        masked_name: "欧**娜".to_owned(),
        policy_version: "builtin-1".to_owned(),
    }
}

/// A realistic printed place code's claims: long-lived, no expiry.
fn place_claims() -> PlaceClaims {
    PlaceClaims {
        issuer: "350000".to_owned(),
        venue_id: "q3Vn8Rk2TzWbXp4YcH7sLd".to_owned(),
        venue_name: "福州市鼓楼区东街口百货大楼".to_owned(),
        division: "350102".to_owned(),
        issued_at: NOW - 86_400,
        expires_at: None,
    }
}

/// The exact Sig_structure our code signs, rebuilt from the payload with coset.
fn sig_structure(payload: &str) -> Vec<u8> {
    let cose = base45::decode(&payload[code::PREFIX.len()..]).unwrap_or_default();
    match CoseSign1::from_tagged_slice(&cose) {
        Ok(sign1) => sign1.tbs_data(&[]),
        Err(e) => panic!("not a COSE_Sign1: {e}"),
    }
}

fn benches(c: &mut Criterion) {
    let Ok((key, secret)) = SigningKey::generate() else {
        panic!("key generation failed");
    };
    let trust = TrustList {
        dcc_signers: Vec::new(),
        shc_issuer: None,
        audit_keys: Vec::new(),
        issuer: "350000".to_owned(),
        issuer_name: "Fujian".to_owned(),
        generated_at: NOW,
        keys: vec![TrustedKey::from_public(
            &key.public_key(),
            KeyStatus::Active,
            NOW - 86_400,
            None,
            None,
        )],
    };
    let claims = claims();
    let Ok(payload) = code::issue(&claims, &key) else {
        panic!("issue failed");
    };
    let msg = sig_structure(&payload);
    println!(
        "payload {} chars; Sig_structure {} bytes",
        payload.len(),
        msg.len()
    );

    c.bench_function("issue", |b| {
        b.iter(|| code::issue(black_box(&claims), black_box(&key)))
    });
    c.bench_function("verify", |b| {
        b.iter(|| code::verify(black_box(&payload), black_box(&trust), NOW + 10, 30))
    });

    let Ok(place_payload) = place::issue_place(&place_claims(), &key) else {
        panic!("issue_place failed");
    };
    println!("place code {} chars", place_payload.len());
    c.bench_function("place_verify", |b| {
        b.iter(|| place::verify_place(black_box(&place_payload), black_box(&trust), NOW, 30))
    });

    let Ok(raw) = Ed25519KeyPair::from_pkcs8(secret.as_bytes()) else {
        panic!("reload failed");
    };
    let signature = raw.sign(&msg);
    let public = UnparsedPublicKey::new(&ED25519, raw.public_key().as_ref().to_vec());
    c.bench_function("ed25519_sign", |b| b.iter(|| raw.sign(black_box(&msg))));
    c.bench_function("ed25519_verify", |b| {
        b.iter(|| public.verify(black_box(&msg), black_box(signature.as_ref())))
    });

    c.bench_function("qr_svg", |b| b.iter(|| qr::svg(black_box(&payload))));
}

criterion_group!(code_benches, benches);
criterion_main!(code_benches);
