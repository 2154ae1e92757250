//! EU Digital COVID Certificates (HC1): decode, verify, issue, and the dgc-testdata runner.
//!
//! Why this crate exists: healthcode exports test and vaccination results as EU DCCs and verifies
//! DCCs from other issuers (capability 5). Everything here is pure: the current time comes in as
//! an argument, keys and trust stores are values, nothing reads the network or the clock.
//!
//! - [`decode`] reads an `HC1:` text without checking the signature;
//! - [`verify`] decodes and checks signature (ES256, ES384, PS256), validity, key usage, the
//!   schema of the certificate's version and the value sets against a [`DscStore`];
//! - [`schema`] holds every released EU DCC schema and the EU value sets;
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
    /// What the schema and value-set check read past ([`schema::Tolerated`]), to show beside
    /// the verdict; empty for a certificate that follows them to the letter.
    pub tolerated: Vec<schema::Tolerated>,
}

/// Decodes and fully verifies an `HC1:` text at time `now` (Unix seconds).
///
/// Checks, in order: decoding, the signature against `trust` (kid lookup; every DSC when the
/// kid is absent), iat ≤ now ≤ exp, the DSC's validity at iat, the DSC's key usage for the
/// entry kinds, the EU DCC schema of the version the certificate declares, and its codes
/// against the bundled EU value sets. The first failure is returned with its stable code.
pub fn verify(text: &str, trust: &DscStore, now: i64) -> Result<VerifiedDcc, DccError> {
    verify_with(text, trust, now, &schema::Schemas::bundled())
}

/// [`verify`] with other value sets: a newer folder ([`schema::Schemas::with_value_sets`]), or
/// none ([`schema::Schemas::schema_only`]).
pub fn verify_with(
    text: &str,
    trust: &DscStore,
    now: i64,
    schemas: &schema::Schemas,
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
    let tolerated = schemas.validate(&dcc.hcert)?;
    Ok(VerifiedDcc {
        signer_kid: dsc.kid(),
        signer_subject: dsc.subject().to_owned(),
        tolerated,
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

    /// A DCC whose COSE header names `alg` (a COSE label) and `kid`, signed by `sign`.
    fn signed_with(alg: i64, kid: &[u8], sign: impl FnOnce(&[u8]) -> Vec<u8>) -> String {
        let hcert = serde_json::json!({
            "ver": "1.3.0", "nam": {"fnt": "WANG"}, "dob": "1990",
            "r": [{"tg": "840539006", "fr": "2026-09-01", "co": "CN", "is": "X",
                   "df": "2026-09-12", "du": "2027-03-01", "ci": "URN:UVCI:01:CN:X#R"}]
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
        use coset::iana::EnumI64 as _;
        let mut protected = HeaderBuilder::new().key_id(kid.to_vec()).build();
        protected.alg = Some(match iana::Algorithm::from_i64(alg) {
            Some(known) => coset::RegisteredLabelWithPrivate::Assigned(known),
            // Not in coset's registry: written as is (coset refuses to read it back).
            None => coset::RegisteredLabelWithPrivate::PrivateUse(alg),
        });
        let mut sign = Some(sign);
        let cose = CoseSign1Builder::new()
            .protected(protected)
            .payload(payload)
            .create_signature(b"", |tbs| sign.take().map(|f| f(tbs)).unwrap_or_default())
            .build()
            .to_tagged_vec()
            .unwrap();
        format!("HC1:{}", base45::encode(&cose))
    }

    /// A self-signed signing certificate for a key of `alg`, and the key as PKCS#8.
    fn dsc(alg: &'static rcgen::SignatureAlgorithm) -> (Vec<u8>, Vec<u8>) {
        let key = rcgen::KeyPair::generate_for(alg).unwrap();
        let mut params = rcgen::CertificateParams::default();
        params.not_before = rcgen::date_time_ymd(2026, 1, 1);
        params.not_after = rcgen::date_time_ymd(2030, 1, 1);
        let cert = params.self_signed(&key).unwrap();
        (cert.der().to_vec(), key.serialize_der())
    }

    fn ecdsa(
        alg: &'static aws_lc_rs::signature::EcdsaSigningAlgorithm,
        pkcs8: &[u8],
    ) -> impl FnOnce(&[u8]) -> Vec<u8> {
        let key = EcdsaKeyPair::from_pkcs8(alg, pkcs8).unwrap();
        move |tbs| {
            key.sign(&SystemRandom::new(), tbs)
                .unwrap()
                .as_ref()
                .to_vec()
        }
    }

    /// Spain's published test certificate ES/2DCode/raw/401 (eu-digital-green-certificates/
    /// dgc-testdata, Apache-2.0): a recovery signed under the ES256 label by an ECDSA key on
    /// P-384 (SHA-256, 96-byte signature), the DSC itself signed by an RSA CA.
    const ES_401_PREFIX: &str = "HC1:NCFOXN%TSMAHN-H/ZSR5J3ZJ0L6QMV.9HN9OAD6+Y6$1TNYS7$J9MOC+HFMR7T55:03AO17LPF6R:5SVBFAB4DNN95ZTM86QLEQ3IRBT4X*O5IQUHP%*P*+RD*OZ0Q8IR.+QHOR9XBFE4/97F8D6IAFKBYHILIIX2MZJKIHI6IAOB5$4D1QD0DJF*A75JLR66PP5:9PVEPF5V7QDNJJKDLEDL9CWZJ$7K+ CZEDMOL9AD.PDUCII7JSTNB95H/5.779D6JNBR95526/VRO*O1A6+Y5NN0O/C:ZJ::AKU2UM97H98$QJEQDAH99AZRUCHGZLQ7%D1$VZBR/$NO67ADS6%B: T%1TVSQQ83H5COR5B3ONJBILFTZFW944IM.9WB098K8D*CV 1%1GH*N0KJD+CW V-Q8CWR:YT.QL0K2HGTGD7-GL/$0SFVV$UA974TS4WQK4VYEUU0PY86C30E*GF1";
    const ES_401_CERTIFICATE: &str = "MIID2zCCAcMCAhACMA0GCSqGSIb3DQEBCwUAMIGQMQswCQYDVQQGEwJFUzEWMBQGA1UECAwNSWxsZXMgQmFsZWFyczERMA8GA1UECgwISWItU2FsdXQxDTALBgNVBAsMBERUSUMxHzAdBgNVBAMMFlRlc3QgQ1ZEIENBIEludGVybWVkaW8xJjAkBgkqhkiG9w0BCQEWF3Nlcmdpby5qdWFuMkBpYnNhbHV0LmVzMB4XDTIxMDUwNTA4MTQ0NloXDTIzMDUwNTA4MTQ0NlowgYIxCzAJBgNVBAYTAkVTMRYwFAYDVQQIDA1JbGxlcyBCYWxlYXJzMREwDwYDVQQKDAhJYi1TYWx1dDENMAsGA1UECwwERFRJQzERMA8GA1UEAwwIVEVTVENWRDMxJjAkBgkqhkiG9w0BCQEWF3Nlcmdpby5qdWFuMkBpYnNhbHV0LmVzMHYwEAYHKoZIzj0CAQYFK4EEACIDYgAEqJqnCWiSXn6RCq+cH6cPM5hr2YuPjCe6nvDcm8TatpLs7Bs6nIdq44nSS90zqQfxDHdVE9hvHygMifwAHuKFgWbtFMlHT4lIR2MzMh5edf3v6ZMXpjxyo4eptpDJxQ5zMA0GCSqGSIb3DQEBCwUAA4ICAQB4DcYW6Yo0741i5dgPbR1WVj9dpwjElktOvU7+Qx3DOFOeHRK7LMXYTeHdXQJSovI1jUCfKGPXCQVRzo9Fk2X8BdfTbab2gXuf223Gkom2LZGIDCI7VIqFpQCvxsHyA2T8V1C9CbjAdAzm90nstQU4b9biN5Sfp2tRhLl2A/nVv5MslmCOszCaYDeP8zcdh3bRJkIMfFPh4WWfl0s2kGA6dDQUlh0GzrWD8JBGbE0Rvw/gkoNs1FtnqeyehlVpyzfueYc0zXAnYWBUsrgsGZZQGKQvFs4Fp4uzCC6fDiLWegCX2Uj+lmSevmfmZWPNe7hDIGjDczdAoRJWw0fSfxoi/mTPLc/95DwvpHQ1RTkDjo9pifelJTxH70Z+mz2Y/5RG8UdnNxFqWR/bJscIJ2A0KGIN03HxTmuyg8p+EvZix5L5T4XmtH9g1M5QqgCgjqHU0dPewIOtZpju81aj2yRyVI0loaaZJdOZ/aD/p9STK1/jEF4dRYytQIWKDiz+zG4vc7pobllj+DgM2MZb51B8CN8cncirmT3StaTh4pt5RUoQplW6Y/wGAXoQ//Fs5EPkcrKbBZM4L7wMS4PMAWGzBIE8VkeqklQIAe/zdR6ENZ8+Ze9+ZnLUJysvM95SigUsbpeuT8e99/YvMtM8om9/dQ3diZCZ3lQCX8/mz67GYA==";

    #[test]
    fn spain_signs_es256_with_a_p384_key() {
        let store = DscStore::from_base64(ES_401_CERTIFICATE).unwrap();
        let dcc = decode(ES_401_PREFIX).unwrap();
        assert_eq!(dcc.alg, Some(Algorithm::Es256));
        assert_eq!(dcc.signature().len(), 96, "P-384 r and s");
        verify_signature(&dcc, &store).unwrap();
        let v = verify(ES_401_PREFIX, &store, dcc.iat.unwrap()).unwrap();
        assert_eq!(v.dcc.hcert["ver"], "1.0.0");
        // One changed bit of the signature fails it, as does a signature of the wrong width.
        let signer = store.iter().next().unwrap();
        let mut bad = dcc.signature().to_vec();
        bad[10] ^= 1;
        let check = |sig: &[u8]| {
            signer
                .verify(Algorithm::Es256, dcc.signed_bytes(), sig)
                .unwrap_err()
                .code()
        };
        assert_eq!(check(&bad), "dcc.bad_signature");
        assert_eq!(check(&bad[..64]), "dcc.bad_signature");
        // ES384 (SHA-384) over the same bytes does not verify with Spain's SHA-256 signature.
        assert_eq!(
            signer
                .verify(Algorithm::Es384, dcc.signed_bytes(), dcc.signature())
                .unwrap_err()
                .code(),
            "dcc.bad_signature"
        );
    }

    #[test]
    fn es384_verifies_with_p384_keys_only() {
        use aws_lc_rs::signature::{
            ECDSA_P256_SHA256_FIXED_SIGNING as P256, ECDSA_P384_SHA384_FIXED_SIGNING as P384,
        };
        let (cert, pkcs8) = dsc(&rcgen::PKCS_ECDSA_P384_SHA384);
        let store = DscStore::from_der(&cert).unwrap();
        let kid = kid_of(&cert);
        let text = signed_with(-35, &kid, ecdsa(&P384, &pkcs8));
        let v = verify(&text, &store, NOW).unwrap();
        assert_eq!(v.dcc.alg, Some(Algorithm::Es384));
        // The same SHA-384 signature under the ES256 label does not verify (the hash differs).
        let mislabelled = signed_with(-7, &kid, ecdsa(&P384, &pkcs8));
        assert_eq!(
            verify(&mislabelled, &store, NOW).unwrap_err().code(),
            "dcc.bad_signature"
        );
        // ES384 from a P-256 certificate: refused by name, not as a bad signature.
        let (cert, pkcs8) = dsc(&rcgen::PKCS_ECDSA_P256_SHA256);
        let store = DscStore::from_der(&cert).unwrap();
        let text = signed_with(-35, &kid_of(&cert), ecdsa(&P256, &pkcs8));
        let err = verify(&text, &store, NOW).unwrap_err();
        assert_eq!(err.code(), "dcc.unsupported_algorithm");
        assert!(
            err.to_string().contains("ES384 with an EC P-256 key"),
            "{err}"
        );
    }

    #[test]
    fn algorithms_outside_the_set_are_refused_by_name() {
        let (cert, pkcs8) = dsc(&rcgen::PKCS_ECDSA_P256_SHA256);
        let store = DscStore::from_der(&cert).unwrap();
        let kid = kid_of(&cert);
        for (label, name) in [
            (-36, "ES512"),
            (-8, "EdDSA"),
            (-39, "PS512"),
            (-257, "RS256"),
            (-65000, "COSE algorithm -65000"),
        ] {
            let text = signed_with(label, &kid, ecdsa(&ECDSA_P256_SHA256_FIXED_SIGNING, &pkcs8));
            let err = verify(&text, &store, NOW).unwrap_err();
            assert_eq!(err.code(), "dcc.unsupported_algorithm", "{label}");
            assert!(err.to_string().contains(name), "{err}");
        }
        // A signing certificate whose key is of a kind or curve we do not verify with.
        for (alg, what) in [
            (&rcgen::PKCS_ED25519, "Ed25519"),
            (&rcgen::PKCS_ECDSA_P521_SHA512, "P-521"),
        ] {
            let (cert, _) = dsc(alg);
            let store = DscStore::from_der(&cert).unwrap();
            let text = signed_with(-7, &kid_of(&cert), |_| vec![0; 64]);
            let err = verify(&text, &store, NOW).unwrap_err();
            assert_eq!(err.code(), "dcc.unsupported_algorithm", "{what}");
            assert!(err.to_string().contains(what), "{err}");
            // Such a certificate still answers key-usage questions.
            store
                .iter()
                .next()
                .unwrap()
                .allows(CertType::Recovery)
                .unwrap();
        }
    }
}
