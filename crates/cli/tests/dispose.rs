//! `healthcode dispose` on the demo province: two different authority
//! accounts, then what is left in every table is counted (no row of the
//! purpose, no key, statistics with no cell under the threshold), and
//! `dispose verify` accepts the certificate against the stored log and
//! against the published one, and refuses it after one byte changes.

mod common;

use common::{acts, healthcode, path_str, run, stdout, temp_dir};
use healthcode_domain::role::Role;
use healthcode_tests::{TestApp, backends, sqlite_connections, table_counts};
use serde_json::json;

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_province_is_disposed_of_with_a_certificate() {
    let dir = temp_dir();
    let data = path_str(&dir).to_owned();
    let cert = dir.join("disposal.json");
    let seeded = healthcode(&["demo", "--data", &data, "--seed-only", "--people", "300"]);
    assert!(seeded.status.success(), "{}", stderr(&seeded));
    let (before, _) = table_counts(sqlite_connections(&dir), "epidemic-prevention").await;
    assert_eq!(before["check_ins"], 900, "three check-ins each");
    assert!(before["facts"] > 0 && before["people"] == 300 && before["data_keys"] == 300);

    let dispose = |approver: &str| {
        healthcode(&[
            "dispose",
            "--purpose",
            "epidemic-prevention",
            "--requested-by",
            "authority",
            "--approved-by",
            approver,
            "--out",
            path_str(&cert),
            "--data",
            &data,
        ])
    };
    let alone = dispose("authority");
    assert_eq!(alone.status.code(), Some(2));
    assert!(
        stderr(&alone).contains("disposal.same_official"),
        "{}",
        stderr(&alone)
    );
    assert!(!cert.exists(), "no certificate before it is done");
    let done = dispose("authority2");
    assert!(done.status.success(), "{}", stderr(&done));
    assert!(
        stdout(&done).contains("300 people's keys destroyed, 0 accounts kept"),
        "{}",
        stdout(&done)
    );

    let (after, tagged) = table_counts(sqlite_connections(&dir), "epidemic-prevention").await;
    for (table, n) in &tagged {
        assert_eq!(
            *n,
            i64::from(table == "disposals"),
            "{table} holds rows of the purpose"
        );
    }
    for table in [
        "people",
        "data_keys",
        "check_ins",
        "facts",
        "code_status",
        "access_log",
    ] {
        assert_eq!(after[table], 0, "{table}: {after:?}");
    }
    assert_eq!(after["disposals"], 1);
    let text = std::fs::read_to_string(&cert).expect("certificate");
    let certificate: serde_json::Value = serde_json::from_str(&text).expect("json");
    let statistics = &certificate["certificate"]["statistics"];
    let cells = statistics["cells"].as_array().expect("cells");
    assert!(!cells.is_empty(), "{statistics}");
    assert!(
        cells.iter().all(|c| c["count"].as_u64() >= Some(10)),
        "{statistics}"
    );
    let kept: u64 = cells.iter().filter_map(|c| c["count"].as_u64()).sum();
    assert!(
        kept > 0 && kept <= 900,
        "{kept} check-ins counted in the cells kept"
    );
    assert_eq!(after["disposal_statistics"], cells.len() as i64);
    assert_eq!(certificate["certificate"]["records"]["check_ins"], 900);

    let trust = dir.join("trust-list.json");
    let verify = |file: &std::path::Path| {
        healthcode(&[
            "dispose",
            "verify",
            path_str(file),
            "--trust",
            path_str(&trust),
            "--data",
            &data,
        ])
    };
    let verified = verify(&cert);
    assert!(verified.status.success(), "{}", stderr(&verified));
    assert!(stdout(&verified).contains("disposal certificate verified"));
    for (from, to) in [
        ("\"check_ins\": 900", "\"check_ins\": 901"),
        ("\"purpose\": ", "\"purpose\":  "),
    ] {
        let forged = dir.join("forged.json");
        std::fs::write(&forged, text.replacen(from, to, 1)).expect("forged");
        let refused = verify(&forged);
        assert_eq!(refused.status.code(), Some(2), "{from} → {to}");
        assert!(
            stderr(&refused).contains("does not verify"),
            "{}",
            stderr(&refused)
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_is_checked_against_the_published_log() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        acts(&app, 1).await;
        let first = app.staff("official-1", Role::Authority).await;
        let second = app.staff("official-2", Role::Authority).await;
        let (_, requested) = app
            .call(
                axum::http::Method::POST,
                "/v1/disposals",
                Some(&first),
                Some(json!({ "purpose": "epidemic-prevention" })),
            )
            .await;
        let id = requested["id"].as_str().expect("id").to_owned();
        let (status, _) = app
            .call(
                axum::http::Method::POST,
                &format!("/v1/disposals/{id}/approve"),
                Some(&second),
                None,
            )
            .await;
        assert_eq!(status, axum::http::StatusCode::OK);
        let text = healthcode_core::disposal::run(&app.state, &id, &mut |_| {})
            .await
            .expect("disposed");
        let base = app.spawn_http().await;
        let dir = temp_dir();
        let cert = dir.join("disposal.json");
        std::fs::write(&cert, &text).expect("certificate");
        let verify = || {
            vec![
                "dispose".to_owned(),
                "verify".to_owned(),
                path_str(&cert).to_owned(),
                "--trust".to_owned(),
                format!("{base}/v1/trust-list"),
                "--url".to_owned(),
                base.clone(),
            ]
        };
        // The log grows after the disposal: the head is still consistent.
        app.staff("gate-9", Role::Checker).await;
        healthcode_core::audit::sign_head(&app.state)
            .await
            .expect("head");
        let verified = run(verify()).await;
        assert!(verified.status.success(), "{}", stderr(&verified));
        // A log rewritten from outside the service no longer holds the head.
        healthcode_tests::audit_tamper::tamper(
            &app,
            healthcode_tests::audit_tamper::Tamper::RewriteHistory,
        )
        .await;
        let refused = run(verify()).await;
        assert_eq!(refused.status.code(), Some(2), "{}", stdout(&refused));
        let _ = std::fs::remove_dir_all(&dir);
        app.cleanup().await;
    }
}
