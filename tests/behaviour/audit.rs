//! The audit log on every backend: acts and openings of people's data are
//! appended with the acts, heads are signed and every proof holds, nothing in
//! it is personal, only authorities and the regulator search it, and every
//! kind of tampering with the stored log is found.

use axum::http::{Method, StatusCode};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use healthcode_core::audit::{self, Mismatch};
use healthcode_domain::audit::Entry;
use healthcode_domain::audit::merkle::{self, Hash};
use healthcode_domain::role::Role;
use healthcode_tests::audit_tamper::{Tamper, tamper};
use healthcode_tests::{TestApp, TestCitizen, backends};
use serde_json::Value;

use crate::lifecycle::{citizen, others_look};

/// A service where an authority, a checker, a collector and a laboratory
/// have acted on one citizen's data.
async fn populated(backend: healthcode_store::Backend) -> (TestApp, TestCitizen) {
    let app = TestApp::new(backend).await;
    let alice = citizen(&app, 1).await;
    others_look(&app, &alice).await;
    (app, alice)
}

async fn public_get(app: &TestApp, path: &str) -> Value {
    let (status, body) = app.call(Method::GET, path, None, None).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    body
}

fn hashes(list: &Value) -> Vec<Hash> {
    list.as_array()
        .expect("hashes")
        .iter()
        .map(|h| {
            STANDARD
                .decode(h.as_str().expect("base64"))
                .expect("base64")
                .try_into()
                .expect("32 bytes")
        })
        .collect()
}

#[tokio::test]
async fn acts_and_openings_are_logged_provable_and_name_no_one() {
    for backend in backends() {
        let (app, alice) = populated(backend).await;
        let official = app.staff("official-2", Role::Authority).await;
        let (status, head) = app
            .call(Method::POST, "/v1/audit/heads", Some(&official), None)
            .await;
        assert_eq!(status, StatusCode::OK, "{head}");
        assert_eq!(public_get(&app, "/v1/audit/head").await, head);
        let size = head["tree_size"].as_u64().expect("size");
        let root: Hash = STANDARD
            .decode(head["sha256_root_hash"].as_str().expect("root"))
            .expect("base64")
            .try_into()
            .expect("32 bytes");
        // The head verifies with the published trust list's audit key.
        let trust = app.state.trust_list();
        let signed: audit::SignedTreeHead = serde_json::from_value(head.clone()).expect("head");
        assert_eq!(signed.verify(&trust), Ok(root));

        let entries =
            public_get(&app, &format!("/v1/audit/entries?start=0&end={}", size - 1)).await;
        let entries = entries["entries"].as_array().expect("entries").clone();
        assert_eq!(entries.len() as u64, size);
        let acts: Vec<(String, Option<String>)> = entries
            .iter()
            .map(|e| {
                (
                    e["entry"]["act"].as_str().expect("act").to_owned(),
                    e["entry"]["purpose"].as_str().map(str::to_owned),
                )
            })
            .collect();
        for expected in [
            ("account.created", None),
            ("data.opened", Some("check_in")),
            ("data.opened", Some("sampling")),
            ("data.opened", Some("test_result")),
            ("data.opened", Some("case_handling")),
            ("override.requested", Some("case_handling")),
        ] {
            let expected = (expected.0.to_owned(), expected.1.map(str::to_owned));
            assert!(acts.contains(&expected), "{expected:?} in {acts:?}");
        }
        // Alice's own acts (her self-test, reading her profile) are not logged;
        // every opening of her data names her by one pseudonym, never by her id.
        let person_id = app.person_of(&alice.token).await;
        let text = serde_json::to_string(&entries).expect("json");
        for personal in [
            "林小华",
            alice.document.as_str(),
            person_id.as_str(),
            "1360000",
            "contact tracing interview pending",
            "yellow",
        ] {
            assert!(!text.contains(personal), "{personal:?} in the audit log");
        }
        let subjects: std::collections::BTreeSet<&str> = entries
            .iter()
            .filter_map(|e| e["entry"]["subject"].as_str())
            .collect();
        assert_eq!(subjects.len(), 1, "{subjects:?}");

        // Every inclusion and consistency proof holds against the signed root.
        for (index, served) in entries.iter().enumerate() {
            let bytes = STANDARD
                .decode(served["leaf_input"].as_str().expect("leaf"))
                .expect("base64");
            assert_eq!(Entry::from_bytes(&bytes).expect("entry").seq, index as u64);
            let proof = public_get(
                &app,
                &format!("/v1/audit/proof?index={index}&tree_size={size}"),
            )
            .await;
            merkle::verify_inclusion(
                &root,
                size,
                index as u64,
                &bytes,
                &hashes(&proof["audit_path"]),
            )
            .unwrap_or_else(|e| panic!("inclusion of {index}: {e}"));
        }
        for first in 1..=size {
            let first_root = app.state.store().audit_root(first).await.expect("root");
            let proof = public_get(
                &app,
                &format!("/v1/audit/consistency?first={first}&second={size}"),
            )
            .await;
            merkle::verify_consistency(
                first,
                &first_root,
                size,
                &root,
                &hashes(&proof["consistency"]),
            )
            .unwrap_or_else(|e| panic!("consistency {first}..{size}: {e}"));
        }
        // Out of range asks get a clean, coded refusal.
        for path in [
            format!("/v1/audit/proof?index={size}&tree_size={size}"),
            format!("/v1/audit/proof?index=0&tree_size={}", size + 1),
            format!("/v1/audit/consistency?first=0&second={size}"),
            format!("/v1/audit/consistency?first={size}&second=1"),
            format!("/v1/audit/entries?start={size}&end={size}"),
        ] {
            let (status, body) = app.call(Method::GET, &path, None, None).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
            assert_eq!(body["error"]["code"], "audit.range", "{path}");
        }

        // Authorities and the regulator search it; nobody else does.
        let regulator = app.staff("regulator-1", Role::Regulator).await;
        let (status, page) = app
            .call(
                Method::GET,
                "/v1/audit/search?act=override.requested",
                Some(&regulator),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert_eq!(page["entries"].as_array().expect("entries").len(), 1);
        // A cursor past any place the log can have leaves nothing out (it
        // was once answered 500: the store could not bind it).
        let (status, past) = app
            .call(
                Method::GET,
                &format!(
                    "/v1/audit/search?act=override.requested&before={}",
                    u64::MAX
                ),
                Some(&regulator),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{past}");
        assert_eq!(past["entries"], page["entries"]);
        for (token, status) in [
            (Some(alice.token.as_str()), StatusCode::FORBIDDEN),
            (None, StatusCode::UNAUTHORIZED),
        ] {
            let (got, _) = app.call(Method::GET, "/v1/audit/search", token, None).await;
            assert_eq!(got, status);
            let (got, _) = app.call(Method::POST, "/v1/audit/heads", token, None).await;
            assert_eq!(got, status);
        }
        let store_check = audit::check_store(app.state.store(), &trust)
            .await
            .expect("ran")
            .expect("the log verifies");
        assert!(store_check.entries >= size);
        app.cleanup().await;
    }
}

#[tokio::test]
async fn every_kind_of_tampering_with_the_stored_log_is_found() {
    for backend in backends() {
        for how in [
            Tamper::ChangeOne,
            Tamper::RemoveOne,
            Tamper::ReorderTwo,
            Tamper::RewriteHistory,
        ] {
            let (app, _) = populated(backend).await;
            audit::sign_head(&app.state).await.expect("head");
            let trust = app.state.trust_list();
            assert!(
                audit::check_store(app.state.store(), &trust)
                    .await
                    .expect("ran")
                    .is_ok(),
                "{how:?}: the untouched log verifies"
            );
            let k = tamper(&app, how).await;
            let found = audit::check_store(app.state.store(), &trust)
                .await
                .expect("ran")
                .expect_err("tampering is found");
            match (how, &found) {
                (Tamper::ChangeOne, Mismatch::LeafHash { index })
                | (Tamper::RemoveOne, Mismatch::MissingEntry { index })
                | (Tamper::ReorderTwo, Mismatch::OutOfPlace { index, .. }) => {
                    assert_eq!(*index, k, "{how:?}: {found}");
                }
                (Tamper::RewriteHistory, Mismatch::Head { why, .. }) => {
                    assert!(why.contains("signature"), "{how:?}: {found}");
                }
                _ => panic!("{how:?} found as {found}"),
            }
            app.cleanup().await;
        }
    }
}

/// The audit key is rotated: heads signed before and after both verify with
/// the trust list, which lists the old key as retired, and the whole stored
/// log still checks.
#[tokio::test]
async fn heads_signed_before_an_audit_key_rotation_still_verify() {
    for backend in backends() {
        let (app, _alice) = populated(backend).await;
        let before = audit::sign_head(&app.state).await.expect("head");
        healthcode_core::certificates::rotate(
            app.state.store(),
            app.state.secrets(),
            app.state.config(),
            "audit",
            app.state.now(),
        )
        .await
        .expect("rotate the audit key");
        app.state.reload_credentials().await.expect("reload");
        app.clock.advance(1);
        let (status, _) = app
            .call(
                Method::POST,
                "/v1/audit/heads",
                Some(&app.staff("official-3", Role::Authority).await),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let after = audit::latest_head(&app.state).await.expect("head");
        assert_ne!(before.kid, after.kid, "a new key signs");
        let trust = app.state.trust_list();
        assert_eq!(trust.audit_keys.len(), 2, "{:?}", trust.audit_keys);
        assert!(before.verify(&trust).is_ok(), "the old head still verifies");
        assert!(after.verify(&trust).is_ok());
        let check = audit::check_store(app.state.store(), &trust)
            .await
            .expect("check")
            .expect("the log and every head verify");
        assert!(check.heads >= 2);
        // Without the retired key, the old head is refused.
        let mut current_only = (*trust).clone();
        current_only.audit_keys.retain(|k| k.kid == after.kid);
        assert!(before.verify(&current_only).is_err());
        app.cleanup().await;
    }
}
