use super::*;
use crate::trust::TrustedKey;

const NOW: i64 = 1_750_000_000;
const SKEW: i64 = 30;

fn key() -> SigningKey {
    SigningKey::generate().expect("generate").0
}

fn claims() -> HealthCodeClaims {
    HealthCodeClaims {
        issuer: "350000".to_owned(),
        subject: [
            0x9c, 0x1f, 0x4e, 0x07, 0xb2, 0x55, 0xe0, 0x3a, 0x61, 0xd8, 0x2b, 0x90, 0x04, 0xfe,
            0x73, 0xc6,
        ],
        colour: Colour::Yellow,
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
    match verify(payload, trust, now, SKEW) {
        Ok(v) => panic!("unexpectedly verified: {v:?}"),
        Err(e) => e,
    }
}

/// Decodes a payload to its COSE bytes (for tests that tamper below base45).
fn cose_bytes(payload: &str) -> Vec<u8> {
    base45::decode(payload.strip_prefix(PREFIX).expect("prefix")).expect("base45")
}

fn from_cose_bytes(bytes: &[u8]) -> String {
    format!("{PREFIX}{}", base45::encode(bytes))
}

#[test]
fn round_trip() {
    let key = key();
    let trust = trust_with(&key, KeyStatus::Active);
    let payload = issue(&claims(), &key).expect("issue");
    assert!(payload.starts_with(PREFIX));

    let verified = verify(&payload, &trust, NOW + 42, SKEW).expect("verify");
    assert_eq!(verified.claims, claims());
    assert_eq!(verified.kid, key.kid());
    assert_eq!(verified.age_seconds, 42);

    for colour in [Colour::Green, Colour::Yellow, Colour::Red] {
        let c = HealthCodeClaims { colour, ..claims() };
        let p = issue(&c, &key).expect("issue");
        assert_eq!(verify(&p, &trust, NOW, SKEW).expect("verify").claims, c);
    }
}

#[test]
fn peek_decodes_without_trust() {
    let key = key();
    let payload = issue(&claims(), &key).expect("issue");
    let (peeked, kid) = peek(&payload).expect("peek");
    assert_eq!(peeked, claims());
    assert_eq!(kid, key.kid());
    assert_eq!(peek("nope").map_err(|e| e.code()), Err("code.malformed"));
}

#[test]
fn payload_is_qr_alphanumeric_only() {
    const QR_ALNUM: &str = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
    let payload = issue(&claims(), &key()).expect("issue");
    assert!(payload.chars().all(|c| QR_ALNUM.contains(c)), "{payload}");
}

/// Realistic claims: 259-character payload (169 COSE bytes), QR version 9 at level M
/// (53×53 modules; version 9-M holds up to 262 alphanumeric characters, version 10-M
/// up to 311). Printed with `cargo test -- --nocapture`.
#[test]
fn realistic_code_fits_qr_version_10_at_level_m() {
    let key = key();
    let payload = issue(&claims(), &key).expect("issue");
    let version = crate::qr::version(&payload).expect("qr");
    println!(
        "realistic code: {} chars, {} COSE bytes, QR version {version} at level M",
        payload.len(),
        cose_bytes(&payload).len()
    );
    assert!(version <= 10, "needs QR version {version}");
    // Pin the exact figure so a format change that grows the code is noticed.
    assert_eq!(payload.len(), 259, "{payload}");
    assert_eq!(version, 9);
}

/// Longest text claims `issue` accepts: 332 characters, QR version 11 at level M.
#[test]
fn maximal_code_fits_qr_version_11_at_level_m() {
    let c = HealthCodeClaims {
        masked_name: "欧".repeat(MAX_MASKED_NAME_LEN / 3) + &"*".repeat(MAX_MASKED_NAME_LEN % 3),
        policy_version: "p".repeat(MAX_POLICY_VERSION_LEN),
        ..claims()
    };
    assert_eq!(c.masked_name.len(), MAX_MASKED_NAME_LEN);
    let payload = issue(&c, &key()).expect("issue");
    let version = crate::qr::version(&payload).expect("qr");
    println!(
        "maximal code: {} chars, QR version {version}",
        payload.len()
    );
    assert!(version <= 11, "needs QR version {version}");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]

    /// Registration and signing agree: the masked form of every name
    /// registration accepts is signed, verifies, and fits QR version 11-M.
    #[test]
    fn every_accepted_name_can_be_signed(
        name in healthcode_domain::strategies::accepted_name()
    ) {
        let key = key();
        let c = HealthCodeClaims {
            masked_name: healthcode_domain::mask::mask_name(name.as_str()),
            policy_version: "p".repeat(MAX_POLICY_VERSION_LEN),
            ..claims()
        };
        let payload = issue(&c, &key);
        proptest::prop_assert!(payload.is_ok(), "{:?}: {payload:?}", c.masked_name);
        let payload = payload.unwrap_or_default();
        let trust = trust_with(&key, KeyStatus::Active);
        let verified = verify(&payload, &trust, NOW, SKEW).map(|v| v.claims);
        proptest::prop_assert_eq!(verified, Ok(c));
        let version = crate::qr::version(&payload).unwrap_or(i16::MAX);
        proptest::prop_assert!(version <= 11, "needs QR version {}", version);
    }
}

#[test]
fn flipped_characters_never_verify() {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
    let key = key();
    let trust = trust_with(&key, KeyStatus::Active);
    let payload = issue(&claims(), &key).expect("issue");
    let mut seen_malformed = 0;
    let mut seen_bad_signature = 0;
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
                "code.malformed" => seen_malformed += 1,
                "code.bad_signature" => seen_bad_signature += 1,
                // Flips inside the protected header can change the kid or the alg.
                "code.unknown_key" | "code.unsupported_algorithm" => {}
                other => panic!("flip at {pos}: unexpected {other}: {err}"),
            }
        }
    }
    assert!(seen_malformed > 0 && seen_bad_signature > 0);
}

#[test]
fn expiry_is_strict_with_skew() {
    let key = key();
    let trust = trust_with(&key, KeyStatus::Active);
    let payload = issue(&claims(), &key).expect("issue");
    let exp = claims().expires_at;
    assert!(verify(&payload, &trust, exp + SKEW - 1, SKEW).is_ok());
    assert_eq!(
        err_of(&payload, &trust, exp + SKEW),
        VerifyError::Expired { expired_at: exp }
    );
    assert_eq!(
        verify(&payload, &trust, exp, 0).map_err(|e| e.code()),
        Err("code.expired")
    );
    // Negative skew counts as zero.
    assert!(verify(&payload, &trust, exp - 1, -1000).is_ok());
}

#[test]
fn not_yet_valid_beyond_skew() {
    let key = key();
    let trust = trust_with(&key, KeyStatus::Active);
    let payload = issue(&claims(), &key).expect("issue");
    let iat = claims().issued_at;
    let ok = verify(&payload, &trust, iat - SKEW, SKEW).expect("within skew");
    assert_eq!(ok.age_seconds, 0, "age is clamped at zero");
    assert_eq!(
        err_of(&payload, &trust, iat - SKEW - 1),
        VerifyError::NotYetValid { issued_at: iat }
    );
}

#[test]
fn unknown_key() {
    let key = key();
    let other = self::key();
    let payload = issue(&claims(), &key).expect("issue");
    assert_eq!(
        err_of(&payload, &trust_with(&other, KeyStatus::Active), NOW),
        VerifyError::UnknownKey {
            kid: key.kid().to_owned()
        }
    );
}

#[test]
fn revoked_key_wins_over_later_checks() {
    let key = key();
    let payload = issue(&claims(), &key).expect("issue");
    let trust = trust_with(&key, KeyStatus::Revoked);
    assert_eq!(
        err_of(&payload, &trust, NOW),
        VerifyError::RevokedKey {
            kid: key.kid().to_owned()
        }
    );
    // Even when the code has also expired.
    assert_eq!(
        err_of(&payload, &trust, NOW + 10_000).code(),
        "code.revoked_key"
    );
}

#[test]
fn retired_key() {
    let key = key();
    let payload = issue(&claims(), &key).expect("issue");
    let retired = VerifyError::RetiredKey {
        kid: key.kid().to_owned(),
    };

    let trust = trust_with(&key, KeyStatus::Retired);
    assert_eq!(err_of(&payload, &trust, NOW), retired);

    // Rotated out: signs_until before the code's iat.
    let mut trust = trust_with(&key, KeyStatus::Active);
    trust.keys[0].signs_until = Some(NOW - 1);
    trust.keys[0].verify_until = Some(NOW + 600);
    assert_eq!(err_of(&payload, &trust, NOW), retired);

    // Issued exactly at signs_until is still fine, until verify_until passes.
    trust.keys[0].signs_until = Some(NOW);
    assert!(verify(&payload, &trust, NOW + 60, SKEW).is_ok());
    trust.keys[0].verify_until = Some(NOW + 60);
    assert!(verify(&payload, &trust, NOW + 60, SKEW).is_ok());
    assert_eq!(err_of(&payload, &trust, NOW + 61), retired);
}

#[test]
fn wrong_issuer() {
    let key = key();
    let payload = issue(&claims(), &key).expect("issue");
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
fn wrong_prefix() {
    let key = key();
    let trust = trust_with(&key, KeyStatus::Active);
    let payload = issue(&claims(), &key).expect("issue");
    let body = &payload[PREFIX.len()..];
    for prefix in ["", "HC1:", "HCV1:", "hcp1:", "HCP2:", " HCP1:"] {
        let err = err_of(&format!("{prefix}{body}"), &trust, NOW);
        assert!(
            matches!(&err, VerifyError::Malformed(d) if d.contains("HCP1:")),
            "{prefix}: {err}"
        );
    }
}

#[test]
fn place_code_token_type_is_rejected_even_if_signed() {
    let key = key();
    let trust = trust_with(&key, KeyStatus::Active);
    let payload = sign_payload(encode_claims(&claims(), 2).expect("encode"), &key).expect("sign");
    let err = err_of(&payload, &trust, NOW);
    assert!(
        matches!(&err, VerifyError::Malformed(d) if d.contains("token type 2")),
        "{err}"
    );
}

#[test]
fn non_canonical_encodings_are_rejected() {
    let key = key();
    let trust = trust_with(&key, KeyStatus::Active);

    // Base45: find claims whose COSE encoding has an odd length, so the text ends in a
    // 2-character group, then add 256 to that group's value (the decoder truncates).
    let payload = (0..4)
        .map(|n| {
            let c = HealthCodeClaims {
                masked_name: format!("{}{}", "A".repeat(n), "欧**娜"),
                ..claims()
            };
            issue(&c, &key).expect("issue")
        })
        .find(|p| cose_bytes(p).len() % 2 == 1)
        .expect("an odd-length encoding");
    assert!(verify(&payload, &trust, NOW, SKEW).is_ok());
    let last = *cose_bytes(&payload).last().expect("non-empty") as usize + 256;
    let mut forged = payload[..payload.len() - 2].to_owned();
    let alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:".as_bytes();
    forged.push(alphabet[last % 45] as char);
    forged.push(alphabet[last / 45] as char);
    assert_ne!(forged, payload);
    assert_eq!(
        base45::decode(&forged[PREFIX.len()..]),
        base45::decode(&payload[PREFIX.len()..])
    );
    let err = err_of(&forged, &trust, NOW);
    assert!(
        matches!(&err, VerifyError::Malformed(d) if d.contains("canonical")),
        "{err}"
    );

    // CBOR: the same COSE_Sign1 with an indefinite-length outer array (tag 18 = 0xd2,
    // array(4) = 0x84 → 0x9f … 0xff) still parses but is not the signed form.
    let mut bytes = cose_bytes(&payload);
    assert_eq!(&bytes[..2], &[0xd2, 0x84]);
    bytes[1] = 0x9f;
    bytes.push(0xff);
    let err = err_of(&from_cose_bytes(&bytes), &trust, NOW);
    assert!(
        matches!(&err, VerifyError::Malformed(d) if d.contains("canonical")),
        "{err}"
    );
}

#[test]
fn unprotected_header_and_untagged_are_rejected() {
    let key = key();
    let trust = trust_with(&key, KeyStatus::Active);
    let payload = issue(&claims(), &key).expect("issue");
    let mut sign1 = CoseSign1::from_tagged_slice(&cose_bytes(&payload)).expect("parse");

    let untagged = sign1.clone().to_vec().expect("encode");
    assert_eq!(
        err_of(&from_cose_bytes(&untagged), &trust, NOW).code(),
        "code.malformed"
    );

    sign1.unprotected = HeaderBuilder::new().key_id(b"extra".to_vec()).build();
    let bytes = sign1.to_tagged_vec().expect("encode");
    let err = err_of(&from_cose_bytes(&bytes), &trust, NOW);
    assert!(
        matches!(&err, VerifyError::Malformed(d) if d.contains("unprotected")),
        "{err}"
    );
}

#[test]
fn other_algorithm_is_rejected() {
    let key = key();
    let trust = trust_with(&key, KeyStatus::Active);
    let payload = encode_claims(&claims(), TOKEN_TYPE_PERSONAL).expect("encode");
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
fn issue_rejects_bad_claims() {
    let key = key();
    let bad = [
        HealthCodeClaims {
            issuer: "35".to_owned(),
            ..claims()
        },
        HealthCodeClaims {
            expires_at: NOW,
            ..claims()
        },
        HealthCodeClaims {
            masked_name: "x".repeat(MAX_MASKED_NAME_LEN + 1),
            ..claims()
        },
        HealthCodeClaims {
            policy_version: String::new(),
            ..claims()
        },
        HealthCodeClaims {
            policy_version: "p".repeat(MAX_POLICY_VERSION_LEN + 1),
            ..claims()
        },
    ];
    for c in bad {
        assert!(
            matches!(issue(&c, &key), Err(CodeError::InvalidClaims(_))),
            "{c:?}"
        );
    }
}

#[test]
fn error_codes_are_stable() {
    let all = [
        (VerifyError::Malformed(String::new()), "code.malformed"),
        (
            VerifyError::UnsupportedAlgorithm { alg: String::new() },
            "code.unsupported_algorithm",
        ),
        (
            VerifyError::UnknownKey { kid: String::new() },
            "code.unknown_key",
        ),
        (
            VerifyError::RevokedKey { kid: String::new() },
            "code.revoked_key",
        ),
        (
            VerifyError::RetiredKey { kid: String::new() },
            "code.retired_key",
        ),
        (VerifyError::BadSignature, "code.bad_signature"),
        (VerifyError::Expired { expired_at: 0 }, "code.expired"),
        (
            VerifyError::NotYetValid { issued_at: 0 },
            "code.not_yet_valid",
        ),
        (
            VerifyError::WrongIssuer {
                expected: String::new(),
                found: String::new(),
            },
            "code.wrong_issuer",
        ),
    ];
    for (err, code) in all {
        assert_eq!(err.code(), code);
    }
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

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }
}

#[test]
fn garbage_never_panics_or_verifies() {
    const ALNUM: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
    let key = key();
    let trust = trust_with(&key, KeyStatus::Active);
    let valid = issue(&claims(), &key).expect("issue");
    let valid_bytes = cose_bytes(&valid);
    let mut rng = Rng(0x5eed_1234_abcd_ef01);

    let mut inputs: Vec<String> = vec![
        String::new(),
        PREFIX.to_owned(),
        format!("{PREFIX}{}", "Z".repeat(MAX_PAYLOAD_LEN)),
        // Deep nesting stays within ciborium's recursion limit instead of the stack.
        from_cose_bytes(&[0x81; 1300]),
        from_cose_bytes(&[0xd2; 1300]),
        from_cose_bytes(&[0xa1; 1300]),
        // Huge declared lengths with no data behind them.
        from_cose_bytes(&[0xd2, 0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
        from_cose_bytes(&[
            0xd2, 0x84, 0x5b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        ]),
    ];
    for _ in 0..4000 {
        let input = match rng.below(5) {
            // Random alphanumeric text, with or without the prefix.
            0 => {
                let len = rng.below(400);
                let body: String = (0..len)
                    .map(|_| ALNUM[rng.below(ALNUM.len())] as char)
                    .collect();
                if rng.below(2) == 0 {
                    format!("{PREFIX}{body}")
                } else {
                    body
                }
            }
            // Random bytes, valid base45, looking like a tagged COSE_Sign1.
            1 => {
                let len = rng.below(300);
                let mut bytes = vec![0xd2, 0x84];
                bytes.extend(rng.bytes(len));
                from_cose_bytes(&bytes)
            }
            // A valid code's bytes with a few bytes changed and maybe truncated.
            2 => {
                let mut bytes = valid_bytes.clone();
                for _ in 0..1 + rng.below(3) {
                    let i = rng.below(bytes.len());
                    bytes[i] ^= 1 + rng.below(255) as u8;
                }
                if rng.below(4) == 0 {
                    bytes.truncate(rng.below(bytes.len()));
                }
                from_cose_bytes(&bytes)
            }
            // A valid code's text with characters inserted, deleted or replaced.
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
            // Arbitrary Unicode.
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
            continue; // a no-op mutation (e.g. delete then re-insert the same char)
        }
        let _ = peek(input);
        assert!(
            verify(input, &trust, NOW, SKEW).is_err(),
            "garbage verified: {input}"
        );
    }
}
