//! EU Digital COVID Certificates below the text layer: arbitrary bytes as the
//! COSE_Sign1 (tags, headers, CWT claims, the health certificate's CBOR to JSON),
//! then each check `verify` makes on its own, so that mutated claims reach the
//! validity and schema checks even though their signature no longer holds.
#![no_main]

use healthcode_dcc as dcc;
use healthcode_fuzz::{NOW, dsc_store};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = dcc::inflate_if_zlib(data.to_vec());
    let Ok(decoded) = dcc::decode_cose(data) else {
        return;
    };
    let _ = dcc::verify_signature(&decoded, dsc_store());
    let _ = dcc::check_validity(&decoded, NOW);
    if let Some(iat) = decoded.iat {
        let _ = dcc::check_validity(&decoded, iat);
    }
    for ty in decoded.cert_types() {
        for dsc in dsc_store().iter() {
            let _ = dsc.allows(ty);
        }
    }
    // The schema of the version the certificate declares, with and without the
    // value sets.
    let _ = dcc::schema::Schemas::bundled().validate(&decoded.hcert);
    let _ = dcc::schema::Schemas::schema_only().validate(&decoded.hcert);
});
