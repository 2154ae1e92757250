//! The personal health code (`HCP1:`) and place code (`HCV1:`) decoders and verifiers
//! (`healthcode_credentials::{code, place}`), and QR rendering of the payload.
//!
//! Every input is tried as both token types, at the fixed clock and at the times the
//! token itself names, so that mutated seeds signed by the fixture keys reach the
//! validity and issuer checks. A code that verifies must re-issue to the very same
//! text: the format promises one valid text per signed code. Tokens that decode are
//! also rendered as QR codes.
#![no_main]

use healthcode_credentials::{code, place, qr};
use healthcode_fuzz::{NOW, SKEW, key_for, text, trust_list};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(payload) = text(data) else {
        return;
    };
    let trust = trust_list();

    if let Err(e) = code::peek_revocation_id(payload) {
        let _ = (e.code(), e.to_string());
    }
    let mut well_formed = false;
    let mut times = vec![NOW];
    if let Ok((claims, _kid)) = code::peek(payload) {
        well_formed = true;
        times.extend([
            claims.issued_at,
            claims.expires_at,
            claims.expires_at.saturating_sub(1),
        ]);
    }
    for now in times {
        if let Ok(verified) = code::verify(payload, trust, now, SKEW) {
            assert!(verified.age_seconds >= 0);
            if let Some(key) = key_for(&verified.kid)
                && let Ok(again) = code::issue(&verified.claims, key)
            {
                assert_eq!(again, payload, "a verified code re-issues to another text");
            }
        }
    }

    if let Err(e) = place::peek_place_revocation_id(payload) {
        let _ = (e.code(), e.to_string());
    }
    let mut times = vec![NOW];
    if let Ok((claims, _kid)) = place::peek_place(payload) {
        well_formed = true;
        times.push(claims.issued_at);
        times.extend(claims.expires_at.map(|t| t.saturating_sub(1)));
    }
    for now in times {
        if let Ok(verified) = place::verify_place(payload, trust, now, SKEW)
            && let Some(key) = key_for(&verified.kid)
            && let Ok(again) = place::issue_place(&verified.claims, key)
        {
            assert_eq!(
                again, payload,
                "a verified place code re-issues to another text"
            );
        }
    }

    // Rendering (about a millisecond) only for what is rendered in practice: tokens
    // that decode; the version check for everything.
    let version = qr::version(payload);
    if well_formed {
        assert_eq!(version.is_ok(), qr::svg(payload).is_ok());
    }
});
