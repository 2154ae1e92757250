//! Fixtures shared by the fuzz targets and the seed generator (`examples/make_seeds.rs`):
//! the fixed keys and trust lists the seeds are signed for, so that mutated seeds reach
//! the checks after the signature, and the clock every target verifies at.
//!
//! Nothing here is a secret: the health-code key is derived from a constant, and the
//! other fixtures are public keys and certificates.

use std::sync::OnceLock;

use healthcode_credentials::keys::SigningKey;
use healthcode_credentials::trust::{KeyStatus, TrustList, TrustedKey};
use healthcode_dcc::DscStore;
use healthcode_shc::IssuerDirectory;

/// The time every target verifies at (2025-06-15T15:06:40Z), unless it derives one
/// from the input; seeds are issued around it.
pub const NOW: i64 = 1_750_000_000;

/// Clock skew tolerated when verifying, as the server's default.
pub const SKEW: i64 = 300;

/// The province that issues the fixture codes (Fujian).
pub const ISSUER: &str = "350000";

/// The SHC test data's verification time (`crates/shc/testdata-expectations.toml`).
pub const SHC_NOW: i64 = 1_700_000_000;

/// The SMART Health Cards specification's example issuer, whose public keys the
/// shc crate ships; most SHC seeds are signed by it.
pub const SHC_SPEC_ISSUER: &str = "https://spec.smarthealth.cards/examples/issuer";

/// The issuer of the SHC seeds made by `make_seeds` (its JWKS is in `fixtures/`).
pub const SHC_FUZZ_ISSUER: &str = "https://fuzz.healthcode.invalid";

/// The DER prefix of a PKCS#8 v1 Ed25519 private key; the 32-byte seed follows.
const PKCS8_V1_ED25519: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

fn key_from_seed(seed: u8) -> SigningKey {
    let mut pkcs8 = PKCS8_V1_ED25519.to_vec();
    pkcs8.extend_from_slice(&[seed; 32]);
    match SigningKey::from_pkcs8(&pkcs8) {
        Ok(key) => key,
        Err(e) => panic!("fixture key: {e}"),
    }
}

/// The key that signs the fixture health and place codes (active in [`trust_list`]).
pub fn signing_key() -> &'static SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    KEY.get_or_init(|| key_from_seed(7))
}

/// A key the fixture trust list marks revoked.
pub fn revoked_key() -> &'static SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    KEY.get_or_init(|| key_from_seed(8))
}

/// A key the fixture trust list has rotated out: it stopped signing a day before
/// [`NOW`] and verifies until a day after.
pub fn rotated_key() -> &'static SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    KEY.get_or_init(|| key_from_seed(9))
}

/// The fixture key with this kid, to re-sign what it signed.
pub fn key_for(kid: &str) -> Option<&'static SigningKey> {
    [signing_key(), revoked_key(), rotated_key()]
        .into_iter()
        .find(|key| key.kid() == kid)
}

/// The trust list of [`ISSUER`] with the three fixture keys.
pub fn trust_list() -> &'static TrustList {
    static LIST: OnceLock<TrustList> = OnceLock::new();
    LIST.get_or_init(|| TrustList {
        issuer: ISSUER.to_owned(),
        issuer_name: "Fuzz Province".to_owned(),
        generated_at: NOW - 86_400,
        keys: vec![
            TrustedKey::from_public(
                &signing_key().public_key(),
                KeyStatus::Active,
                NOW - 365 * 86_400,
                None,
                None,
            ),
            TrustedKey::from_public(
                &revoked_key().public_key(),
                KeyStatus::Revoked,
                NOW - 365 * 86_400,
                Some(NOW - 30 * 86_400),
                Some(NOW - 29 * 86_400),
            ),
            TrustedKey::from_public(
                &rotated_key().public_key(),
                KeyStatus::Active,
                NOW - 365 * 86_400,
                Some(NOW - 86_400),
                Some(NOW + 86_400),
            ),
        ],
        dcc_signers: Vec::new(),
        shc_issuer: None,
        audit_keys: Vec::new(),
    })
}

/// The document signer certificates of the HC1 seeds (`fixtures/dcc-signers.json`).
pub fn dsc_store() -> &'static DscStore {
    static STORE: OnceLock<DscStore> = OnceLock::new();
    STORE.get_or_init(
        || match DscStore::from_json(include_str!("../fixtures/dcc-signers.json")) {
            Ok(store) => store,
            Err(e) => panic!("fixtures/dcc-signers.json: {e}"),
        },
    )
}

/// The trusted SHC issuers: the specification's example issuer and the seeds' own.
pub fn shc_issuers() -> &'static IssuerDirectory {
    static DIRECTORY: OnceLock<IssuerDirectory> = OnceLock::new();
    DIRECTORY.get_or_init(|| {
        let mut directory = IssuerDirectory::new();
        let issuers = [
            (SHC_SPEC_ISSUER, healthcode_shc::testdata::SPEC_EXAMPLE_JWKS),
            (
                SHC_FUZZ_ISSUER,
                include_str!("../fixtures/shc-issuer.jwks.json"),
            ),
        ];
        for (iss, jwks) in issuers {
            if let Err(e) = directory.add_jwks_json(iss, jwks) {
                panic!("SHC issuer {iss}: {e}");
            }
        }
        directory
    })
}

/// The input as text, or `None` when it is not UTF-8 (every text format here is).
pub fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}
