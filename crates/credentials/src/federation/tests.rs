use healthcode_domain::colour::Colour;

use super::*;
use crate::code::HealthCodeClaims;
use crate::place::PlaceClaims;
use crate::revocation::RevocationId;
use crate::trust::{KeyStatus, TrustedKey};

const NOW: i64 = 1_750_000_000;
const SKEW: i64 = 30;

fn key() -> SigningKey {
    SigningKey::generate().expect("generate").0
}

/// A province's list holding one active key.
fn province(issuer: &str, key: &SigningKey) -> TrustList {
    TrustList {
        issuer: issuer.to_owned(),
        issuer_name: format!("province {issuer}"),
        generated_at: NOW - 3600,
        keys: vec![TrustedKey::from_public(
            &key.public_key(),
            KeyStatus::Active,
            NOW - 86_400,
            None,
            None,
        )],
        dcc_signers: Vec::new(),
        shc_issuer: None,
        audit_keys: Vec::new(),
    }
}

fn code_of(issuer: &str, key: &SigningKey) -> String {
    let claims = HealthCodeClaims {
        issuer: issuer.to_owned(),
        subject: [0x11; 16],
        colour: Colour::Green,
        issued_at: NOW,
        expires_at: NOW + 180,
        masked_name: "王*".to_owned(),
        policy_version: "p1".to_owned(),
    };
    code::issue(&claims, key).expect("issue")
}

struct Federation {
    anchor: SigningKey,
    fujian: SigningKey,
    zhejiang: SigningKey,
    list: NationalTrustList,
}

fn federation() -> Federation {
    let (anchor, fujian, zhejiang) = (key(), key(), key());
    let list = NationalTrustList {
        sequence: 7,
        generated_at: NOW - 60,
        expires_at: NOW + 86_400,
        provinces: vec![province("350000", &fujian), province("330000", &zhejiang)],
        revoked: RevocationList::default(),
    };
    Federation {
        anchor,
        fujian,
        zhejiang,
        list,
    }
}

/// Publishes and reads back the list as a checker would: JSON text, anchor only.
fn as_checker(list: &NationalTrustList, anchor: &SigningKey) -> NationalTrustList {
    let text = serde_json::to_string(&list.sign(anchor).expect("sign")).expect("json");
    let anchor =
        TrustAnchor::from_json(&serde_json::to_string(&TrustAnchor::of(anchor)).expect("json"))
            .expect("anchor");
    SignedTrustList::from_json(&text)
        .expect("parse")
        .open(&anchor, NOW, 0)
        .expect("open")
}

#[test]
fn one_anchor_accepts_every_province() {
    let f = federation();
    let national = as_checker(&f.list, &f.anchor);
    let fj = national
        .verify_code(&code_of("350000", &f.fujian), NOW, SKEW)
        .expect("Fujian code");
    assert_eq!(fj.claims.issuer, "350000");
    let zj = national
        .verify_code(&code_of("330000", &f.zhejiang), NOW, SKEW)
        .expect("Zhejiang code");
    assert_eq!(zj.claims.issuer, "330000");
}

#[test]
fn a_dropped_province_key_is_unknown_or_revoked() {
    let f = federation();
    let mut list = f.list.clone();
    list.sequence += 1;
    list.provinces[1].keys.clear();
    let national = as_checker(&list, &f.anchor);
    let err = national
        .verify_code(&code_of("330000", &f.zhejiang), NOW, SKEW)
        .expect_err("dropped key");
    assert_eq!(err.code(), "code.unknown_key");
    assert!(err.to_string().contains("unknown or revoked key"), "{err}");
    // Fujian is unaffected.
    national
        .verify_code(&code_of("350000", &f.fujian), NOW, SKEW)
        .expect("Fujian code");
    // A province missing from the list altogether, and a key marked revoked.
    list.provinces.pop();
    list.provinces[0].keys[0].status = KeyStatus::Revoked;
    let national = as_checker(&list, &f.anchor);
    for (issuer, key, code) in [
        ("330000", &f.zhejiang, "code.unknown_key"),
        ("350000", &f.fujian, "code.revoked_key"),
    ] {
        let err = national
            .verify_code(&code_of(issuer, key), NOW, SKEW)
            .expect_err("refused");
        assert_eq!(err.code(), code);
    }
}

#[test]
fn a_key_cannot_sign_for_another_province() {
    let f = federation();
    let national = as_checker(&f.list, &f.anchor);
    // Zhejiang's key claiming to be Fujian: not in Fujian's list.
    let err = national
        .verify_code(&code_of("350000", &f.zhejiang), NOW, SKEW)
        .expect_err("cross-province");
    assert_eq!(err.code(), "code.unknown_key");
}

#[test]
fn individually_revoked_certificates_fail_and_others_pass() {
    let f = federation();
    let revoked_code = code_of("350000", &f.fujian);
    let id = code::verify(&revoked_code, &f.list.provinces[0], NOW, SKEW)
        .expect("valid")
        .revocation_id;
    let mut list = f.list.clone();
    list.revoked.insert(id);
    let national = as_checker(&list, &f.anchor);
    let err = national
        .verify_code(&revoked_code, NOW, SKEW)
        .expect_err("revoked");
    assert_eq!(err.code(), "code.revoked_certificate");
    // Another code of the same person and key is still fine.
    let mut claims = code::peek(&revoked_code).expect("peek").0;
    claims.issued_at += 1;
    let other = code::issue(&claims, &f.fujian).expect("issue");
    national
        .verify_code(&other, NOW, SKEW)
        .expect("not revoked");

    let place = PlaceClaims {
        issuer: "330000".to_owned(),
        venue_id: "venue-1".to_owned(),
        venue_name: "Library".to_owned(),
        division: "330102".to_owned(),
        issued_at: NOW - 10,
        expires_at: None,
    };
    let poster = place::issue_place(&place, &f.zhejiang).expect("place");
    let verified = national.verify_place(&poster, NOW, SKEW).expect("place");
    list.revoked.insert(verified.revocation_id);
    list.revoked
        .insert(RevocationId::of_signature(b"something else"));
    let national = as_checker(&list, &f.anchor);
    assert_eq!(
        national.verify_place(&poster, NOW, SKEW).map(|_| ()),
        Err(VerifyError::RevokedCertificate)
    );
}

#[test]
fn the_anchor_guards_the_list() {
    let f = federation();
    let signed = f.list.sign(&f.anchor).expect("sign");
    let anchor = TrustAnchor::of(&f.anchor);

    let other = TrustAnchor::of(&key());
    assert_eq!(
        signed
            .open(&other, NOW, 0)
            .map(|_| ())
            .map_err(|e| e.code()),
        Err("trust.wrong_anchor")
    );

    // A list re-signed by someone else but claiming the anchor's kid.
    let mut forged = f.list.sign(&key()).expect("sign");
    forged.kid = anchor.kid.clone();
    assert_eq!(
        forged.open(&anchor, NOW, 0),
        Err(FederationError::BadSignature)
    );

    // A province slipped into the payload after signing.
    let mut tampered_list = f.list.clone();
    tampered_list.provinces.push(province("110000", &key()));
    let mut tampered = signed.clone();
    tampered.payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&tampered_list).expect("json"));
    assert_eq!(
        tampered.open(&anchor, NOW, 0),
        Err(FederationError::BadSignature)
    );

    assert_eq!(
        signed
            .open(&anchor, f.list.expires_at, 0)
            .map(|_| ())
            .map_err(|e| e.code()),
        Err("trust.expired")
    );
    assert_eq!(
        signed
            .open(&anchor, NOW, 8)
            .map(|_| ())
            .map_err(|e| e.code()),
        Err("trust.rollback")
    );
    assert!(signed.open(&anchor, NOW, 7).is_ok());
}

#[test]
fn malformed_lists_are_refused() {
    let f = federation();
    let mut twice = f.list.clone();
    twice.provinces.push(twice.provinces[0].clone());
    assert_eq!(
        twice.sign(&f.anchor).map(|_| ()).map_err(|e| e.code()),
        Err("trust.invalid_province")
    );
    for text in [
        "",
        "{}",
        r#"{"format":"other","alg":"EdDSA","kid":"x","payload":"","signature":""}"#,
    ] {
        assert_eq!(
            SignedTrustList::from_json(text)
                .map(|_| ())
                .map_err(|e| e.code()),
            Err("trust.malformed"),
            "{text}"
        );
    }
    let mut anchor = TrustAnchor::of(&f.anchor);
    anchor.kid = "AAAAAAAAAAA".to_owned();
    let text = serde_json::to_string(&anchor).expect("json");
    assert!(TrustAnchor::from_json(&text).is_err());
}
