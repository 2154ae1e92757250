//! SMART Health Cards below the QR layer: compact JWS (header, raw DEFLATE payload,
//! signature), `.smart-health-card` files and FHIR `$health-cards-issue` responses,
//! verified against the trusted issuers; and, for JSON input, the payload and FHIR
//! bundle checks on their own so that mutated payloads reach them unsigned.
#![no_main]

use healthcode_fuzz::{SHC_NOW, shc_issuers, text};
use healthcode_shc::{fhir, verify, verify_all};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = verify::inflate_raw(data, 64 * 1024);
    let Some(input) = text(data) else {
        return;
    };
    if let Err(e) = verify_all(input, shc_issuers(), SHC_NOW) {
        let _ = (e.code(), e.to_string());
    }
    if let Ok(decoded) = verify::decode_jws(input, 64 * 1024) {
        let _ = verify::check_payload(&decoded.payload, SHC_NOW);
    }
    let _ = verify::file_credentials(input);
    if let Ok(json) = serde_json::from_str::<serde_json::Value>(input) {
        let _ = verify::check_payload(&json, SHC_NOW);
        let _ = fhir::check_bundle(&json);
    }
});
