//! `healthcode audit verify`, run as a regulator would: against a data folder,
//! and from outside against a running service with only its trust list and
//! the head saved last time.

mod common;

use common::{acts, path_str, run, stdout, temp_dir};
use healthcode_store::Backend;
use healthcode_tests::audit_tamper::{Tamper, tamper};
use healthcode_tests::{TestApp, backends};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_monitor_checks_the_log_from_outside_and_finds_history_rewritten() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        acts(&app, 1).await;
        let base = app.spawn_http().await;
        let dir = temp_dir();
        let trust = dir.join("trust.json");
        std::fs::write(
            &trust,
            serde_json::to_string(&*app.state.trust_list()).expect("json"),
        )
        .expect("trust list");
        let saved = dir.join("head.json");
        let verify = || {
            vec![
                "audit".to_owned(),
                "verify".to_owned(),
                "--url".to_owned(),
                base.clone(),
                "--trust".to_owned(),
                path_str(&trust).to_owned(),
                "--since".to_owned(),
                path_str(&saved).to_owned(),
            ]
        };
        let first = run(verify()).await;
        assert!(
            first.status.success(),
            "{}",
            String::from_utf8_lossy(&first.stderr)
        );
        let head: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&saved).expect("saved head"))
                .expect("json");
        let size = head["tree_size"].as_u64().expect("size");
        assert!(size > 0);

        // The log grows: the new head is consistent with the saved one.
        acts(&app, 2).await;
        let second = run(verify()).await;
        assert!(
            second.status.success(),
            "{}",
            String::from_utf8_lossy(&second.stderr)
        );
        assert!(
            stdout(&second).contains("consistent with the saved head"),
            "{}",
            stdout(&second)
        );

        // History rewritten over an altered entry, heads re-rooted (their
        // signatures cannot be remade): refused, naming the head.
        tamper(&app, Tamper::RewriteHistory).await;
        let third = run(verify()).await;
        let err = String::from_utf8_lossy(&third.stderr).into_owned();
        assert!(!third.status.success());
        assert!(err.contains("does not verify"), "{err}");

        // Without --trust, a remote check is refused outright.
        let out = run(vec![
            "audit".into(),
            "verify".into(),
            "--url".into(),
            base.clone(),
        ])
        .await;
        assert!(!out.status.success());
        app.cleanup().await;
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_data_folder_is_checked_and_a_changed_entry_is_named() {
    let app = TestApp::new(Backend::Sqlite).await;
    acts(&app, 1).await;
    let data = path_str(&app.db.dir).to_owned();
    let ok = run(vec![
        "--data".into(),
        data.clone(),
        "audit".into(),
        "verify".into(),
    ])
    .await;
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(
        stdout(&ok).contains("audit log verified"),
        "{}",
        stdout(&ok)
    );
    assert!(stdout(&ok).contains("data.opened"), "{}", stdout(&ok));
    let k = tamper(&app, Tamper::ChangeOne).await;
    let bad = run(vec!["--data".into(), data, "audit".into(), "verify".into()]).await;
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr).into_owned();
    assert!(err.contains(&format!("entry {k} does not match")), "{err}");
    app.cleanup().await;
}
