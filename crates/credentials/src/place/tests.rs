use super::*;
use crate::code::{self, HealthCodeClaims};
use crate::trust::{KeyStatus, TrustedKey};
use coset::{
    CborSerializable as _, CoseSign1, CoseSign1Builder, HeaderBuilder, TaggedCborSerializable as _,
    iana,
};
use healthcode_domain::colour::Colour;

const NOW: i64 = 1_750_000_000;
const SKEW: i64 = 30;
const YEAR: i64 = 365 * 86_400;

const VENUE_NAME: &str = "福州市鼓楼区东街口百货大楼";
const VENUE_ID: &str = "q3Vn8Rk2TzWbXp4YcH7sLd";

fn key() -> SigningKey {
    SigningKey::generate().expect("generate").0
}

fn claims() -> PlaceClaims {
    PlaceClaims {
        issuer: "350000".to_owned(),
        venue_id: VENUE_ID.to_owned(),
        venue_name: VENUE_NAME.to_owned(),
        division: "350102".to_owned(),
        issued_at: NOW,
        expires_at: None,
    }
}

fn personal_claims() -> HealthCodeClaims {
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

fn trust_with(key: &SigningKey, status: KeyStatus) -> TrustList {
    TrustList {
        dcc_signers: Vec::new(),
        shc_issuer: None,
        audit_keys: Vec::new(),
        issuer: "350000".to_owned(),
        issuer_name: "Fujian".to_owned(),
        generated_at: NOW - 3600,
        keys: vec![TrustedKey::from_public(
            &key.public_key(),
            status,
            NOW - 86_400,
            None,
            None,
        )],
    }
}

fn err_of(payload: &str, trust: &TrustList, now: i64) -> VerifyError {
    match verify_place(payload, trust, now, SKEW) {
        Ok(v) => panic!("unexpectedly verified: {v:?}"),
        Err(e) => e,
    }
}

fn assert_malformed(err: &VerifyError, needle: &str) {
    assert!(
        matches!(err, VerifyError::Malformed(d) if d.contains(needle)),
        "expected Malformed containing {needle:?}, got {err}"
    );
}

/// Decodes a payload to its COSE bytes (for tests that tamper below base45).
fn cose_bytes(payload: &str) -> Vec<u8> {
    base45::decode(payload.strip_prefix(PREFIX).expect("prefix")).expect("base45")
}

fn from_cose_bytes(bytes: &[u8]) -> String {
    format!("{PREFIX}{}", base45::encode(bytes))
}

/// Signs an arbitrary claims map as a place code, bypassing `issue_place`'s checks,
/// to show the decoder enforces them on its own.
fn sign_raw(
    claims: &PlaceClaims,
    token_type: u64,
    private: PrivateClaims,
    key: &SigningKey,
) -> String {
    let payload = cose::encode_claims(
        &claims.issuer,
        claims.issued_at,
        claims.expires_at,
        token_type,
        private,
    )
    .expect("encode");
    cose::sign(payload, key, PREFIX).expect("sign")
}

/// Type-specific claims in the order `issue_place` writes them.
type PrivateClaims = Vec<(i64, Value)>;

fn private_claims(c: &PlaceClaims) -> PrivateClaims {
    vec![
        (CLAIM_VENUE_ID, Value::Text(c.venue_id.clone())),
        (CLAIM_VENUE_NAME, Value::Text(c.venue_name.clone())),
        (CLAIM_DIVISION, Value::Text(c.division.clone())),
    ]
}

#[test]
fn round_trip_without_and_with_expiry() {
    let key = key();
    let trust = trust_with(&key, KeyStatus::Active);

    let payload = issue_place(&claims(), &key).expect("issue");
    assert!(payload.starts_with(PREFIX));
    let verified = verify_place(&payload, &trust, NOW + 42, SKEW).expect("verify");
    assert_eq!(verified.claims, claims());
    assert_eq!(verified.kid, key.kid());
    // No expiry: still valid years later while the key verifies.
    assert!(verify_place(&payload, &trust, NOW + 10 * YEAR, SKEW).is_ok());

    let expiring = PlaceClaims {
        expires_at: Some(NOW + YEAR),
        ..claims()
    };
    let payload = issue_place(&expiring, &key).expect("issue");
    let verified = verify_place(&payload, &trust, NOW + 1, SKEW).expect("verify");
    assert_eq!(verified.claims, expiring);

    // Signing is deterministic (Ed25519), so one set of claims has one payload.
    assert_eq!(issue_place(&expiring, &key), Ok(payload));
}

#[test]
fn payload_is_qr_alphanumeric_only() {
    const QR_ALNUM: &str = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
    let payload = issue_place(&claims(), &key()).expect("issue");
    assert!(payload.chars().all(|c| QR_ALNUM.contains(c)), "{payload}");
}

/// The realistic poster: 293 characters (192 COSE bytes), QR version 10 at level M
/// (57×57 modules; version 10-M holds up to 311 alphanumeric characters). Printed
/// with `cargo test -- --nocapture`.
#[test]
fn realistic_place_code_fits_qr_version_10_at_level_m() {
    assert_eq!(VENUE_NAME.chars().count(), 13);
    assert_eq!(VENUE_ID.len(), 22);
    let payload = issue_place(&claims(), &key()).expect("issue");
    let version = crate::qr::version(&payload).expect("qr");
    println!(
        "realistic place code: {} chars, {} COSE bytes, QR version {version} at level M",
        payload.len(),
        cose_bytes(&payload).len()
    );
    assert!(version <= 10, "needs QR version {version}");
    // Pin the exact figures so a format change that grows the code is noticed.
    assert_eq!(payload.len(), 293, "{payload}");
    assert_eq!(version, 10);

    // Even with an expiry it stays within version 10.
    let expiring = PlaceClaims {
        expires_at: Some(NOW + YEAR),
        ..claims()
    };
    let payload = issue_place(&expiring, &key()).expect("issue");
    assert_eq!(crate::qr::version(&payload), Ok(10), "{}", payload.len());
}

/// Longest claims `issue_place` accepts, with an expiry (timestamps before 2106 take
/// 5 bytes): 356 characters, QR version 11 at level M.
#[test]
fn maximal_place_code_fits_qr_version_11_at_level_m() {
    let c = PlaceClaims {
        venue_id: "v".repeat(MAX_VENUE_ID_LEN),
        venue_name: "楼".repeat(MAX_VENUE_NAME_LEN / 3) + &"A".repeat(MAX_VENUE_NAME_LEN % 3),
        expires_at: Some(NOW + 5 * YEAR),
        ..claims()
    };
    assert_eq!(c.venue_name.len(), MAX_VENUE_NAME_LEN);
    let payload = issue_place(&c, &key()).expect("issue");
    let version = crate::qr::version(&payload).expect("qr");
    println!(
        "maximal place code: {} chars, QR version {version}",
        payload.len()
    );
    assert!(version <= 11, "needs QR version {version}");
}

#[test]
fn issue_rejects_bad_claims() {
    let key = key();
    let bad = [
        PlaceClaims {
            issuer: "35".to_owned(),
            ..claims()
        },
        PlaceClaims {
            venue_id: String::new(),
            ..claims()
        },
        PlaceClaims {
            venue_id: "v".repeat(MAX_VENUE_ID_LEN + 1),
            ..claims()
        },
        PlaceClaims {
            venue_id: "venue 1".to_owned(),
            ..claims()
        },
        PlaceClaims {
            venue_id: "场所1".to_owned(),
            ..claims()
        },
        PlaceClaims {
            venue_name: String::new(),
            ..claims()
        },
        PlaceClaims {
            venue_name: "楼".repeat(MAX_VENUE_NAME_LEN / 3 + 1),
            ..claims()
        },
        PlaceClaims {
            venue_name: format!("{VENUE_NAME} "),
            ..claims()
        },
        PlaceClaims {
            venue_name: "东街口\n百货".to_owned(),
            ..claims()
        },
        PlaceClaims {
            // Right-to-left override (U+202E): the rest would display reversed.
            venue_name: "东街口\u{202E}百货".to_owned(),
            ..claims()
        },
        PlaceClaims {
            division: "35010".to_owned(),
            ..claims()
        },
        PlaceClaims {
            division: "11010a".to_owned(),
            ..claims()
        },
        PlaceClaims {
            // Beijing's Dongcheng district in a Fujian code.
            division: "110101".to_owned(),
            ..claims()
        },
        PlaceClaims {
            expires_at: Some(NOW),
            ..claims()
        },
    ];
    for c in bad {
        assert!(
            matches!(issue_place(&c, &key), Err(CodeError::InvalidClaims(_))),
            "{c:?}"
        );
    }
    // Limits are inclusive.
    let ok = PlaceClaims {
        venue_id: "v".repeat(MAX_VENUE_ID_LEN),
        venue_name: "x".repeat(MAX_VENUE_NAME_LEN),
        ..claims()
    };
    assert!(issue_place(&ok, &key).is_ok());
}

#[test]
fn decoder_enforces_the_claim_rules_even_when_signed() {
    let key = key();
    let trust = trust_with(&key, KeyStatus::Active);

    // Sanity: the raw builder reproduces issue_place exactly.
    let good = sign_raw(&claims(), TOKEN_TYPE_PLACE, private_claims(&claims()), &key);
    assert_eq!(Ok(good.clone()), issue_place(&claims(), &key));
    assert!(verify_place(&good, &trust, NOW, SKEW).is_ok());

    let cases: Vec<(PlaceClaims, PrivateClaims, &str)> = vec![
        (
            claims(),
            private_claims(&PlaceClaims {
                venue_name: "东街口\u{202E}百货".to_owned(),
                ..claims()
            }),
            "control character U+202E",
        ),
        (
            claims(),
            private_claims(&PlaceClaims {
                venue_name: "x".repeat(MAX_VENUE_NAME_LEN + 1),
                ..claims()
            }),
            "venue_name",
        ),
        (
            claims(),
            private_claims(&PlaceClaims {
                division: "110101".to_owned(),
                ..claims()
            }),
            "province",
        ),
        (
            PlaceClaims {
                expires_at: Some(NOW),
                ..claims()
            },
            private_claims(&claims()),
            "exp is not after iat",
        ),
        (
            claims(),
            private_claims(&claims())[1..].to_vec(),
            "missing claim -65542",
        ),
        (
            claims(),
            vec![
                private_claims(&claims())[0].clone(),
                private_claims(&claims())[2].clone(),
            ],
            "missing claim -65543",
        ),
        (
            claims(),
            private_claims(&claims())[..2].to_vec(),
            "missing claim -65544",
        ),
        (
            claims(),
            vec![
                (CLAIM_VENUE_ID, Value::Bytes(VENUE_ID.as_bytes().to_vec())),
                private_claims(&claims())[1].clone(),
                private_claims(&claims())[2].clone(),
            ],
            "must be text",
        ),
        (
            claims(),
            {
                let mut p = private_claims(&claims());
                p.push((-65538, Value::Bytes(vec![0; 16])));
                p
            },
            "unknown claim -65538",
        ),
    ];
    for (c, private, needle) in cases {
        let payload = sign_raw(&c, TOKEN_TYPE_PLACE, private, &key);
        assert_malformed(&err_of(&payload, &trust, NOW), needle);
    }
}

/// A personal code given to `verify_place`, and a place code given to
/// `code::verify` / `code::peek`, as scanned and with the prefixes swapped.
#[test]
fn type_confusion_fails_both_ways() {
    let key = key();
    let trust = trust_with(&key, KeyStatus::Active);
    let place = issue_place(&claims(), &key).expect("issue");
    let personal = code::issue(&personal_claims(), &key).expect("issue");
    let place_body = &place[PREFIX.len()..];
    let personal_body = &personal[code::PREFIX.len()..];

    // As scanned: the prefix gives it away.
    let err = err_of(&personal, &trust, NOW);
    assert_malformed(&err, "wrong token type");
    assert_malformed(&err, "HCP1:");
    assert_eq!(err.code(), "code.malformed");
    let err = code::verify(&place, &trust, NOW, SKEW).expect_err("place as personal");
    assert_malformed(&err, "wrong token type");
    assert_malformed(&err, "HCV1:");

    // Prefix swapped: the signed token-type claim still tells.
    let err = err_of(&format!("{PREFIX}{personal_body}"), &trust, NOW);
    assert_malformed(&err, "wrong token type 1 (personal health code)");
    let err = code::verify(&format!("{}{place_body}", code::PREFIX), &trust, NOW, SKEW)
        .expect_err("swapped place as personal");
    assert_malformed(&err, "wrong token type 2 (place code)");
    assert_eq!(err.code(), "code.malformed");
    let err = code::peek(&format!("{}{place_body}", code::PREFIX)).expect_err("peek");
    assert_malformed(&err, "wrong token type 2");

    // An unknown token type, properly signed.
    let payload = sign_raw(&claims(), 7, private_claims(&claims()), &key);
    assert_malformed(&err_of(&payload, &trust, NOW), "wrong token type 7");

    // A token without any type claim.
    let bytes =
        cose::encode_claims("350000", NOW, None, 2, private_claims(&claims())).expect("encode");
    let mut set = coset::cwt::ClaimsSet::from_slice(&bytes).expect("parse");
    set.rest
        .retain(|(name, _)| *name != coset::cwt::ClaimName::PrivateUse(cose::CLAIM_TOKEN_TYPE));
    let untyped = cose::sign(set.to_vec().expect("encode"), &key, PREFIX).expect("sign");
    assert_malformed(&err_of(&untyped, &trust, NOW), "missing claim -65537");
}

#[test]
fn wrong_prefix() {
    let key = key();
    let trust = trust_with(&key, KeyStatus::Active);
    let payload = issue_place(&claims(), &key).expect("issue");
    let body = &payload[PREFIX.len()..];
    for prefix in ["", "HC1:", "hcv1:", "HCV2:", " HCV1:"] {
        assert_malformed(&err_of(&format!("{prefix}{body}"), &trust, NOW), "HCV1:");
    }
}

/// Retirement only stops personal codes: a place code from a retired key, long past
/// its `verify_until`, still verifies if it was issued while the key signed.
#[test]
fn retired_key_still_verifies_place_codes_issued_before_signs_until() {
    let key = key();
    let place = issue_place(&claims(), &key).expect("issue");
    let personal = code::issue(&personal_claims(), &key).expect("issue");
    let later = NOW + 2 * YEAR;

    let mut trust = trust_with(&key, KeyStatus::Retired);
    trust.keys[0].signs_until = Some(NOW + 86_400);
    trust.keys[0].verify_until = Some(NOW + 86_400 + 600);
    let verified = verify_place(&place, &trust, later, SKEW).expect("retired key");
    assert_eq!(verified.kid, key.kid());
    // The same key no longer vouches for personal codes.
    assert_eq!(
        code::verify(&personal, &trust, NOW, SKEW).map_err(|e| e.code()),
        Err("code.retired_key")
    );

    // Still `active` in the list but past verify_until: same answer.
    trust.keys[0].status = KeyStatus::Active;
    assert!(verify_place(&place, &trust, later, SKEW).is_ok());

    // Retired without a recorded signs_until: nothing bounds issued_at.
    trust.keys[0].status = KeyStatus::Retired;
    trust.keys[0].signs_until = None;
    trust.keys[0].verify_until = None;
    assert!(verify_place(&place, &trust, later, SKEW).is_ok());

    // Issued exactly at signs_until is fine; one second after is not.
    trust.keys[0].signs_until = Some(NOW);
    assert!(verify_place(&place, &trust, later, SKEW).is_ok());
    trust.keys[0].signs_until = Some(NOW - 1);
    assert_eq!(
        err_of(&place, &trust, later),
        VerifyError::RetiredKey {
            kid: key.kid().to_owned()
        }
    );
    trust.keys[0].status = KeyStatus::Active;
    assert_eq!(err_of(&place, &trust, NOW).code(), "code.retired_key");
}

#[test]
fn revoked_key_kills_place_codes() {
    let key = key();
    let place = issue_place(&claims(), &key).expect("issue");
    let revoked = VerifyError::RevokedKey {
        kid: key.kid().to_owned(),
    };
    let mut trust = trust_with(&key, KeyStatus::Revoked);
    assert_eq!(err_of(&place, &trust, NOW), revoked);
    // Whatever the other life-cycle fields say, and even when the code also expired.
    trust.keys[0].signs_until = Some(NOW + YEAR);
    trust.keys[0].verify_until = Some(NOW + 2 * YEAR);
    assert_eq!(err_of(&place, &trust, NOW + 1), revoked);
    let expiring = issue_place(
        &PlaceClaims {
            expires_at: Some(NOW + 60),
            ..claims()
        },
        &key,
    )
    .expect("issue");
    assert_eq!(err_of(&expiring, &trust, NOW + YEAR), revoked);
}

#[test]
fn unknown_key() {
    let key = key();
    let payload = issue_place(&claims(), &key).expect("issue");
    assert_eq!(
        err_of(&payload, &trust_with(&self::key(), KeyStatus::Active), NOW),
        VerifyError::UnknownKey {
            kid: key.kid().to_owned()
        }
    );
}

#[test]
fn expiry_is_strict_with_skew() {
    let key = key();
    let trust = trust_with(&key, KeyStatus::Active);
    let exp = NOW + YEAR;
    let payload = issue_place(
        &PlaceClaims {
            expires_at: Some(exp),
            ..claims()
        },
        &key,
    )
    .expect("issue");
    assert!(verify_place(&payload, &trust, exp + SKEW - 1, SKEW).is_ok());
    assert_eq!(
        err_of(&payload, &trust, exp + SKEW),
        VerifyError::Expired { expired_at: exp }
    );
    assert_eq!(
        verify_place(&payload, &trust, exp, -5).map_err(|e| e.code()),
        Err("code.expired")
    );
}

#[test]
fn not_yet_valid_beyond_skew() {
    let key = key();
    let trust = trust_with(&key, KeyStatus::Active);
    let payload = issue_place(&claims(), &key).expect("issue");
    assert!(verify_place(&payload, &trust, NOW - SKEW, SKEW).is_ok());
    assert_eq!(
        err_of(&payload, &trust, NOW - SKEW - 1),
        VerifyError::NotYetValid { issued_at: NOW }
    );
}

#[test]
fn wrong_issuer() {
    let key = key();
    let payload = issue_place(&claims(), &key).expect("issue");
    let mut trust = trust_with(&key, KeyStatus::Active);
    trust.issuer = "110000".to_owned();
    assert_eq!(
        err_of(&payload, &trust, NOW),
        VerifyError::WrongIssuer {
            expected: "110000".to_owned(),
            found: "350000".to_owned()
        }
    );
}

#[test]
fn bad_signature_and_unusable_trusted_key() {
    let key = key();
    let trust = trust_with(&key, KeyStatus::Active);
    let payload = issue_place(&claims(), &key).expect("issue");

    // Flip a bit of the signature (the last bytes of the COSE_Sign1).
    let mut bytes = cose_bytes(&payload);
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    assert_eq!(
        err_of(&from_cose_bytes(&bytes), &trust, NOW),
        VerifyError::BadSignature
    );

    // Signed by another key under this key's kid.
    let forger = self::key();
    let mut sign1 = CoseSign1::from_tagged_slice(&cose_bytes(&payload)).expect("parse");
    sign1.signature = forger.sign(&sign1.tbs_data(&[])).to_vec();
    let forged = from_cose_bytes(&sign1.to_tagged_vec().expect("encode"));
    assert_eq!(err_of(&forged, &trust, NOW), VerifyError::BadSignature);

    // The trust list entry is unusable.
    let mut broken = trust.clone();
    broken.keys[0].public_key = "short".to_owned();
    assert_eq!(err_of(&payload, &broken, NOW), VerifyError::BadSignature);
    let mut broken = trust;
    broken.keys[0].crv = "P-256".to_owned();
    assert_eq!(
        err_of(&payload, &broken, NOW).code(),
        "code.unsupported_algorithm"
    );
}

#[test]
fn other_algorithm_is_rejected() {
    let key = key();
    let trust = trust_with(&key, KeyStatus::Active);
    let payload = cose::encode_claims(
        "350000",
        NOW,
        None,
        TOKEN_TYPE_PLACE,
        private_claims(&claims()),
    )
    .expect("encode");
    let protected = HeaderBuilder::new()
        .algorithm(iana::Algorithm::ES256)
        .key_id(key.kid_bytes().to_vec())
        .build();
    let bytes = CoseSign1Builder::new()
        .protected(protected)
        .payload(payload)
        .create_signature(&[], |tbs| key.sign(tbs).to_vec())
        .build()
        .to_tagged_vec()
        .expect("encode");
    let err = err_of(&from_cose_bytes(&bytes), &trust, NOW);
    assert_eq!(err.code(), "code.unsupported_algorithm");
    assert!(err.to_string().contains("ES256"), "{err}");
}

#[test]
fn envelope_is_strict() {
    let key = key();
    let trust = trust_with(&key, KeyStatus::Active);
    let payload = issue_place(&claims(), &key).expect("issue");

    // Indefinite-length outer array: parses, but is not the signed form.
    let mut bytes = cose_bytes(&payload);
    assert_eq!(&bytes[..2], &[0xd2, 0x84]);
    bytes[1] = 0x9f;
    bytes.push(0xff);
    assert_malformed(&err_of(&from_cose_bytes(&bytes), &trust, NOW), "canonical");

    // Anything in the unprotected header.
    let mut sign1 = CoseSign1::from_tagged_slice(&cose_bytes(&payload)).expect("parse");
    sign1.unprotected = HeaderBuilder::new().key_id(b"extra".to_vec()).build();
    let bytes = sign1.to_tagged_vec().expect("encode");
    assert_malformed(
        &err_of(&from_cose_bytes(&bytes), &trust, NOW),
        "unprotected",
    );

    // Too long.
    let long = format!("{PREFIX}{}", "0".repeat(MAX_PAYLOAD_LEN));
    assert_malformed(&err_of(&long, &trust, NOW), "maximum");
}

#[test]
fn flipped_characters_never_verify() {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
    let key = key();
    let trust = trust_with(&key, KeyStatus::Active);
    let payload = issue_place(&claims(), &key).expect("issue");
    for pos in 0..payload.len() {
        for shift in [1usize, 17, 44] {
            let mut bytes = payload.as_bytes().to_vec();
            let idx = ALPHABET
                .iter()
                .position(|&c| c == bytes[pos])
                .expect("payload is alphanumeric");
            bytes[pos] = ALPHABET[(idx + shift) % ALPHABET.len()];
            let tampered = String::from_utf8(bytes).expect("ascii");
            let err = err_of(&tampered, &trust, NOW);
            match err.code() {
                "code.malformed" | "code.bad_signature" => {}
                // Flips inside the protected header can change the kid or the alg.
                "code.unknown_key" | "code.unsupported_algorithm" => {}
                other => panic!("flip at {pos}: unexpected {other}: {err}"),
            }
        }
    }
}

#[test]
fn error_codes_are_the_personal_codes() {
    // Same enum, same stable codes: a checker handles both token types alike.
    let key = key();
    let trust = trust_with(&key, KeyStatus::Revoked);
    let payload = issue_place(&claims(), &key).expect("issue");
    assert_eq!(err_of(&payload, &trust, NOW).code(), "code.revoked_key");
    assert_eq!(err_of("", &trust, NOW).code(), "code.malformed");
}

/// xorshift64*: a tiny deterministic generator, so the garbage test is reproducible
/// without extra dependencies.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn garbage_never_panics_or_verifies() {
    const ALNUM: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
    let key = key();
    let trust = trust_with(&key, KeyStatus::Active);
    let valid = issue_place(&claims(), &key).expect("issue");
    let valid_bytes = cose_bytes(&valid);
    let personal_bytes = base45::decode(
        &code::issue(&personal_claims(), &key).expect("issue")[code::PREFIX.len()..],
    )
    .expect("base45");
    let mut rng = Rng(0x91ac_c0de_5eed_0001);

    let mut inputs: Vec<String> = vec![
        String::new(),
        PREFIX.to_owned(),
        code::PREFIX.to_owned(),
        format!("{PREFIX}{}", "Z".repeat(MAX_PAYLOAD_LEN)),
        from_cose_bytes(&[0x81; 1300]),
        from_cose_bytes(&[0xd2; 1300]),
        from_cose_bytes(&[0xa1; 1300]),
        from_cose_bytes(&[0xd2, 0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
    ];
    for _ in 0..4000 {
        let input = match rng.below(5) {
            0 => {
                let len = rng.below(400);
                let body: String = (0..len)
                    .map(|_| ALNUM[rng.below(ALNUM.len())] as char)
                    .collect();
                match rng.below(3) {
                    0 => format!("{PREFIX}{body}"),
                    1 => format!("{}{body}", code::PREFIX),
                    _ => body,
                }
            }
            // A valid place or personal code's bytes, a few bytes changed, maybe
            // truncated, behind the place prefix.
            1 | 2 => {
                let mut bytes = if rng.below(4) == 0 {
                    personal_bytes.clone()
                } else {
                    valid_bytes.clone()
                };
                for _ in 0..1 + rng.below(3) {
                    let i = rng.below(bytes.len());
                    bytes[i] ^= 1 + rng.below(255) as u8;
                }
                if rng.below(4) == 0 {
                    bytes.truncate(rng.below(bytes.len()));
                }
                from_cose_bytes(&bytes)
            }
            3 => {
                let mut chars: Vec<char> = valid.chars().collect();
                for _ in 0..1 + rng.below(3) {
                    let i = rng.below(chars.len());
                    let c = ALNUM[rng.below(ALNUM.len())] as char;
                    match rng.below(3) {
                        0 => chars.insert(i, c),
                        1 => {
                            chars.remove(i);
                        }
                        _ => chars[i] = if chars[i] == c { '0' } else { c },
                    }
                }
                chars.into_iter().collect()
            }
            _ => {
                let len = rng.below(100);
                let body: String = (0..len)
                    .filter_map(|_| char::from_u32(rng.next() as u32 % 0x11_0000))
                    .collect();
                format!("{PREFIX}{body}")
            }
        };
        inputs.push(input);
    }

    for input in &inputs {
        if *input == valid {
            continue; // a no-op mutation
        }
        assert!(
            verify_place(input, &trust, NOW, SKEW).is_err(),
            "garbage verified: {input}"
        );
        // Neither verifier accepts anything here, whatever the prefix.
        assert!(code::verify(input, &trust, NOW, SKEW).is_err());
    }
}
