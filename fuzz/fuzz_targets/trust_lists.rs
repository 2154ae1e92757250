//! The trust material a checker loads from files or the network: a province's trust
//! list, the anchor-signed national list and its anchor, revocation ids, and the EU
//! DCC signer lists (JSON and PEM).
#![no_main]

use healthcode_credentials::federation::{NationalTrustList, SignedTrustList, TrustAnchor};
use healthcode_credentials::revocation::{RevocationId, RevocationList};
use healthcode_credentials::trust::TrustList;
use healthcode_dcc::DscStore;
use healthcode_fuzz::{NOW, signing_key, text};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(input) = text(data) else {
        return;
    };

    if let Ok(list) = TrustList::from_json(input) {
        for key in &list.keys {
            assert!(key.public_key_bytes().is_some());
            assert!(list.find(&key.kid).is_some());
        }
    }

    let anchor = TrustAnchor::of(signing_key());
    if let Ok(signed) = SignedTrustList::from_json(input) {
        let _ = signed.verified(&anchor);
        let _ = signed.open(&anchor, NOW, 0);
    }
    let _ = TrustAnchor::from_json(input);
    // What follows the anchor's signature check, for lists an anchor did sign.
    if let Ok(list) = serde_json::from_str::<NationalTrustList>(input)
        && list.validate().is_ok()
    {
        for province in &list.provinces {
            assert!(list.province(&province.issuer).is_some());
        }
    }

    if let Some(id) = RevocationId::parse(input) {
        assert_eq!(RevocationId::parse(&id.to_string()), Some(id));
    }
    let _ = serde_json::from_str::<RevocationList>(input);

    let _ = DscStore::from_json(input);
    let _ = DscStore::from_pem(input);
    let _ = DscStore::from_base64(input);
    let _ = DscStore::from_der(data);
});
