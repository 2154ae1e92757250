//! EU Digital COVID Certificates (HC1): decode, verify, issue, and the dgc-testdata runner.
//!
//! Why this crate exists: healthcode exports test and vaccination results as EU DCCs and verifies
//! DCCs from other issuers (capability 5). Everything here is pure: the current time comes in as
//! an argument, keys and trust stores are values, nothing reads the network or the clock.
//!
//! - [`decode`] reads an `HC1:` text without checking the signature;
//! - [`verify`] decodes and checks signature, validity, key usage and schema against a
//!   [`DscStore`];
//! - [`DccIssuer`] issues DCCs signed with ES256 under a self-signed DSC;
//! - [`testdata`] runs the EU dgc-testdata vectors.

mod decode;
mod error;
mod issue;
pub mod schema;
pub mod testdata;
mod time;
mod trust;

pub use decode::{
    Algorithm, CertType, DecodedDcc, MAX_INFLATED_LEN, MAX_TEXT_LEN, base45_decode, cbor_to_json,
    cert_types, decode, decode_cose, inflate, inflate_if_zlib, is_zlib, json_eq, text_to_cose,
    unprefix,
};
pub use error::DccError;
pub use issue::{
    DISEASE_COVID19, DccIssuer, HealthCertificate, IssuerParams, Name, RESULT_DETECTED,
    RESULT_NOT_DETECTED, SCHEMA_VERSION, TEST_NAAT, TEST_RAT, TestEntry, VaccinationEntry,
    luhn_mod_n, random_uvci, uvci, uvci_checksum_ok,
};
pub use time::{format_timestamp, parse_timestamp};
pub use trust::{Dsc, DscStore, kid_of};

/// A DCC whose signature, validity, key usage and schema have been checked.
#[derive(Debug, Clone)]
pub struct VerifiedDcc {
    /// The decoded certificate.
    pub dcc: DecodedDcc,
    /// The key id of the DSC that verified it.
    pub signer_kid: [u8; 8],
    /// The subject of that DSC, for display.
    pub signer_subject: String,
}

/// Decodes and fully verifies an `HC1:` text at time `now` (Unix seconds).
///
/// Checks, in order: decoding, the signature against `trust` (kid lookup; every DSC when the
/// kid is absent), iat ≤ now ≤ exp, the DSC's validity at iat, the DSC's key usage for the
/// entry kinds, and the EU DCC schema. The first failure is returned with its stable code.
pub fn verify(text: &str, trust: &DscStore, now: i64) -> Result<VerifiedDcc, DccError> {
    verify_with(text, trust, now, schema::Schema::standard()?)
}

/// [`verify`] with another schema: the EU schema with value sets
/// ([`schema::Schema::with_value_sets`]) to also refuse codes outside them.
pub fn verify_with(
    text: &str,
    trust: &DscStore,
    now: i64,
    schema: &schema::Schema,
) -> Result<VerifiedDcc, DccError> {
    let dcc = decode(text)?;
    let dsc = verify_signature(&dcc, trust)?;
    check_validity(&dcc, now)?;
    let (nb, na) = dsc.validity();
    if let Some(iat) = dcc.iat
        && (iat < nb || iat > na)
    {
        return Err(DccError::DscValidity(iat));
    }
    for ty in dcc.cert_types() {
        dsc.allows(ty)?;
    }
    schema.validate(&dcc.hcert)?;
    Ok(VerifiedDcc {
        signer_kid: dsc.kid(),
        signer_subject: dsc.subject().to_owned(),
        dcc,
    })
}

/// Checks the COSE signature and returns the DSC that made it.
///
/// With a kid, only DSCs with that kid are tried (a wrong kid fails even if another DSC would
/// verify); without a kid, every DSC of the store is tried.
pub fn verify_signature<'a>(dcc: &DecodedDcc, trust: &'a DscStore) -> Result<&'a Dsc, DccError> {
    let alg = dcc.algorithm()?;
    let mut last = None;
    let candidates: Box<dyn Iterator<Item = &'a Dsc>> = match &dcc.kid {
        Some(kid) => Box::new(trust.by_kid(kid)),
        None => Box::new(trust.iter()),
    };
    for dsc in candidates {
        match dsc.verify(alg, dcc.signed_bytes(), dcc.signature()) {
            Ok(()) => return Ok(dsc),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| {
        use base64::Engine as _;
        DccError::UnknownKid(
            dcc.kid
                .as_ref()
                .map(|k| base64::engine::general_purpose::STANDARD.encode(k))
                .unwrap_or_else(|| "(none)".into()),
        )
    }))
}

/// Checks the CWT validity window: iat ≤ now ≤ exp (both claims required).
pub fn check_validity(dcc: &DecodedDcc, now: i64) -> Result<(), DccError> {
    let exp = dcc
        .exp
        .ok_or_else(|| DccError::BadClaims("no exp claim".into()))?;
    let iat = dcc
        .iat
        .ok_or_else(|| DccError::BadClaims("no iat claim".into()))?;
    if now < iat {
        return Err(DccError::NotYetValid { iat, now });
    }
    if now > exp {
        return Err(DccError::Expired { exp, now });
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
    use base64::Engine as _;
    use ciborium::Value as Cbor;
    use coset::{CoseSign1Builder, HeaderBuilder, TaggedCborSerializable as _, iana};

    const NOW: i64 = 1_795_000_000;

    fn issuer() -> DccIssuer {
        DccIssuer::generate(&IssuerParams {
            country: "CN".into(),
            common_name: "t".into(),
            not_before: NOW - 86_400,
            not_after: NOW + 86_400,
            kinds: vec![],
        })
        .unwrap()
    }

    /// A DCC signed by `iss` without any kid, as some issuers produce.
    fn without_kid(iss: &DccIssuer) -> String {
        let hcert = serde_json::json!({
            "ver": "1.3.0", "nam": {"fnt": "WANG"}, "dob": "1990",
            "v": [{"tg": "840539006", "vp": "1119349007", "mp": "EU/1/20/1528",
                   "ma": "ORG-100030215", "dn": 1, "sd": 2, "dt": "2026-10-01", "co": "CN",
                   "is": "X", "ci": "URN:UVCI:01:CN:X#A"}]
        });
        let claims = Cbor::Map(vec![
            (Cbor::from(4), Cbor::from(NOW + 3600)),
            (Cbor::from(6), Cbor::from(NOW)),
            (
                Cbor::from(-260),
                Cbor::Map(vec![(Cbor::from(1), Cbor::serialized(&hcert).unwrap())]),
            ),
        ]);
        let mut payload = Vec::new();
        ciborium::ser::into_writer(&claims, &mut payload).unwrap();
        let key =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, iss.pkcs8_der()).unwrap();
        let cose = CoseSign1Builder::new()
            .protected(
                HeaderBuilder::new()
                    .algorithm(iana::Algorithm::ES256)
                    .build(),
            )
            .payload(payload)
            .create_signature(b"", |tbs| {
                key.sign(&SystemRandom::new(), tbs)
                    .unwrap()
                    .as_ref()
                    .to_vec()
            })
            .build()
            .to_tagged_vec()
            .unwrap();
        // Stored uncompressed: the decoder must accept that too.
        format!("HC1:{}", base45::encode(&cose))
    }

    #[test]
    fn no_kid_falls_back_to_every_certificate() {
        let iss = issuer();
        let text = without_kid(&iss);
        let mut store = issuer().trust_store();
        assert_eq!(
            verify(&text, &store, NOW).unwrap_err().code(),
            "dcc.bad_signature"
        );
        store.add_der(iss.certificate_der()).unwrap();
        let v = verify(&text, &store, NOW).unwrap();
        assert_eq!(v.signer_kid, iss.kid());
        assert!(v.dcc.kid.is_none());
    }

    #[test]
    fn trust_store_forms() {
        let iss = issuer();
        let b64 = base64::engine::general_purpose::STANDARD.encode(iss.certificate_der());
        let pem = format!(
            "-----BEGIN CERTIFICATE-----\n{}\n{}\n-----END CERTIFICATE-----\n",
            &b64[..64],
            &b64[64..]
        );
        let text = iss.issue_json(
            &serde_json::json!({"ver": "1.3.0", "nam": {"fnt": "LI"}, "dob": "1990",
                "t": [{"tg": "840539006", "tt": "LP6464-4", "sc": "2026-11-18T08:00:00Z",
                       "tr": "260415000", "co": "CN", "is": "X", "ci": "URN:UVCI:01:CN:Y#B"}]}),
            NOW,
            NOW + 3600,
        );
        let text = text.unwrap();
        for store in [
            DscStore::from_der(iss.certificate_der()).unwrap(),
            DscStore::from_base64(&b64).unwrap(),
            DscStore::from_pem(&pem).unwrap(),
            DscStore::from_json(&format!("[\"{b64}\"]")).unwrap(),
            DscStore::from_json(&format!("[{{\"kid\": \"x\", \"rawData\": \"{b64}\"}}]")).unwrap(),
            DscStore::from_json(&format!(
                "{{\"certificates\": [{{\"certificate\": \"{b64}\"}}]}}"
            ))
            .unwrap(),
        ] {
            assert_eq!(store.len(), 1);
            verify(&text, &store, NOW).unwrap();
        }
        for bad in [
            "",
            "not pem",
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----",
        ] {
            assert_eq!(
                DscStore::from_pem(bad).unwrap_err().code(),
                "dcc.bad_certificate"
            );
        }
        assert!(DscStore::from_json("{}").is_err());
        assert!(DscStore::from_der(b"garbage").is_err());
    }
}
