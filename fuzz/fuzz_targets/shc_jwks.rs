//! SMART Health Cards issuer keys: JWK sets (EC P-256 points, thumbprint kids, `x5c`
//! chains) as served at `iss/.well-known/jwks.json`, and VCI-style issuer directories.
#![no_main]

use healthcode_fuzz::{SHC_SPEC_ISSUER, text};
use healthcode_shc::{IssuerDirectory, jwk};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(input) = text(data) else {
        return;
    };
    let _ = jwk::check_jwks(input, None);
    if let Ok(keys) = jwk::check_jwks(input, Some(SHC_SPEC_ISSUER)) {
        let mut directory = IssuerDirectory::new();
        for key in keys {
            let _ = directory.add_checked(SHC_SPEC_ISSUER, key);
        }
    }
    let mut directory = IssuerDirectory::new();
    if let Ok(added) = directory.add_jwks_json(SHC_SPEC_ISSUER, input) {
        // An empty key set is accepted and trusts nobody.
        assert_eq!(directory.contains_issuer(SHC_SPEC_ISSUER), added > 0);
    }
    let mut directory = IssuerDirectory::new();
    let _ = directory.add_vci_directory(input, |_| {
        Some(healthcode_shc::testdata::SPEC_EXAMPLE_JWKS.to_owned())
    });
});
