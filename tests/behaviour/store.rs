//! The store and the vault as stored bytes: personal data is never in clear,
//! on SQLite (every file, WAL included) or PostgreSQL (every row of every table).

use std::sync::Arc;

use axum::http::{Method, StatusCode};
use healthcode_domain::identity::make_resident_id;
use healthcode_domain::role::Role;
use healthcode_store::{Backend, StoreConfig};
use healthcode_tests::{TestApp, backends};
use jiff::civil::date;
use serde_json::json;
use sqlx::Row;

/// People whose every personal field is searched for afterwards.
fn people() -> Vec<[String; 5]> {
    vec![
        [
            "欧阳娜娜".into(),
            "resident_id".into(),
            make_resident_id("350102", date(1988, 4, 12), 417).expect("id"),
            "13712345678".into(),
            "福州市鼓楼区五四路 88 号".into(),
        ],
        [
            "Zhang Wei".into(),
            "passport".into(),
            "E98765432".into(),
            "+85291234567".into(),
            "Flat 3, 1 Queen's Road".into(),
        ],
        [
            "陈建华".into(),
            "resident_id".into(),
            make_resident_id("440305", date(1961, 12, 31), 38).expect("id"),
            "15899990000".into(),
            "深圳市南山区科技园".into(),
        ],
    ]
}

async fn register_people(app: &TestApp) {
    for [name, doc_type, number, phone, address] in people() {
        let (status, body) = app
            .call(
                Method::POST,
                "/v1/citizens",
                None,
                Some(json!({
                    "name": name, "document_type": doc_type, "document_number": number,
                    "phone": phone, "password": "a-good-password", "address": address
                })),
            )
            .await;
        assert_eq!(status.as_u16(), 201, "{body}");
        // Log in once so sessions exist too, and fetch a code so statuses are read.
        let token = app
            .login(json!({ "document_number": number, "password": "a-good-password" }))
            .await;
        let (status, _) = app
            .call(Method::GET, "/v1/me/code", Some(&token), None)
            .await;
        assert_eq!(status.as_u16(), 200);
    }
}

/// Every clear-text form of every personal field.
fn needles() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for [name, _, number, phone, address] in people() {
        let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
        for value in [name, number.clone(), number.to_lowercase(), digits, address] {
            out.push((value.clone(), value.clone().into_bytes()));
            out.push((
                format!("hex of {value}"),
                hex(value.as_bytes()).into_bytes(),
            ));
        }
    }
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The justification an official writes for the override of the health
/// scenario: distinctive, so a scan cannot find it by chance.
const JUSTIFICATION: &str = "复查结果待定 case-JX-4471 awaiting CT review";

/// A person with health details: a positive antigen self-test, a fever
/// declaration at 38.7 °C and an override whose justification is
/// [`JUSTIFICATION`], under the 2022 dynamic-zero policy. Returns every
/// clear-text form of those details as the person's explanation shows them.
async fn health_scenario(app: &TestApp) -> Vec<(String, Vec<u8>)> {
    let [_, _, number, phone, _] = people().remove(2);
    let official = app.staff("official-a", Role::Authority).await;
    let second = app.staff("official-b", Role::Authority).await;
    app.activate_dynamic_zero(&official).await;
    let token = app
        .login(json!({ "phone": phone, "password": "a-good-password" }))
        .await;
    let (status, body) = app
        .call(
            Method::POST,
            "/v1/me/self-tests",
            Some(&token),
            Some(json!({ "positive": true })),
        )
        .await;
    assert_eq!(status.as_u16(), 201, "{body}");
    let (status, body) = app
        .call(
            Method::POST,
            "/v1/me/declarations",
            Some(&token),
            Some(json!({ "symptoms": ["fever", "dry_cough"], "temperature_c": 38.7 })),
        )
        .await;
    assert_eq!(status.as_u16(), 201, "{body}");
    let expires = jiff::Timestamp::from_second(app.state.now() + 86_400).expect("time");
    let (status, created) = app
        .call(
            Method::POST,
            "/v1/overrides",
            Some(&official),
            Some(json!({ "document_type": "resident_id", "document_number": number,
                "colour": "red", "justification": JUSTIFICATION, "expires_at": expires.to_string() })),
        )
        .await;
    assert_eq!(status.as_u16(), 201, "{created}");
    let id = created["id"].as_str().expect("id");
    let (status, body) = app
        .call(
            Method::POST,
            &format!("/v1/overrides/{id}/approve"),
            Some(&second),
            None,
        )
        .await;
    assert_eq!(status.as_u16(), 200, "{body}");
    // Shown once, so the code's stored status is read and its reasons opened.
    let (_, code) = app
        .call(Method::GET, "/v1/me/code", Some(&token), None)
        .await;
    assert_eq!(code["colour"], "red", "{code}");
    let mut details = vec![
        (
            "the justification".to_owned(),
            JUSTIFICATION.as_bytes().to_vec(),
        ),
        ("the temperature".to_owned(), b"38.7".to_vec()),
    ];
    for lang in ["en", "zh"] {
        let (_, why) = app
            .call(
                Method::GET,
                &format!("/v1/me/explanation?lang={lang}"),
                Some(&token),
                None,
            )
            .await;
        let reasons = why["reasons"].as_array().expect("reasons");
        assert!(reasons.len() >= 3, "override, self-test and fever: {why}");
        for reason in reasons {
            let message = reason["message"].as_str().expect("message").to_owned();
            details.push((format!("the reason {message:?}"), message.into_bytes()));
        }
    }
    details
}

/// Every file of a SQLite data folder, by name, and all their bytes.
fn folder_bytes(dir: &std::path::Path) -> (Vec<String>, Vec<u8>) {
    let mut files = Vec::new();
    let mut all = Vec::new();
    for entry in std::fs::read_dir(dir).expect("dir") {
        let path = entry.expect("entry").path();
        all.extend_from_slice(&std::fs::read(&path).expect("read"));
        files.push(
            path.file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned(),
        );
    }
    (files, all)
}

/// Health details (a positive self-test, a fever, an official's justification)
/// are sealed under the person's key like their name: no file of a SQLite data
/// folder and no PostgreSQL row holds them in clear, explanations included.
#[tokio::test]
async fn health_details_are_never_stored_in_clear() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        register_people(&app).await;
        let details = health_scenario(&app).await;
        let stored = match backend {
            Backend::Sqlite => {
                let (files, all) = folder_bytes(&app.db.dir);
                assert!(files.iter().any(|f| f.ends_with("-wal")), "{files:?}");
                all
            }
            Backend::Postgres => postgres_rows(&app).await.into_bytes(),
        };
        assert!(
            contains(&stored, b"positive-self-test"),
            "the scan must read the stored rows"
        );
        for (what, needle) in details {
            assert!(
                !contains(&stored, &needle),
                "{backend:?}: {what} found in clear"
            );
        }
        app.cleanup().await;
    }
}

/// The databases, their WAL and shared-memory files and the master key are
/// readable by their owner only.
#[tokio::test]
async fn every_file_of_the_data_folder_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let app = TestApp::new(Backend::Sqlite).await;
    register_people(&app).await;
    let mut seen = Vec::new();
    for entry in std::fs::read_dir(&app.db.dir).expect("dir") {
        let path = entry.expect("entry").path();
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777;
        let name = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        assert_eq!(mode, 0o600, "{name} has mode {mode:o}");
        seen.push(name);
    }
    for expected in [
        "healthcode.db",
        "healthcode.db-wal",
        "healthcode.db-shm",
        "keystore.db",
        "master.key",
    ] {
        assert!(seen.iter().any(|n| n == expected), "{expected} in {seen:?}");
    }
    app.cleanup().await;
}

#[tokio::test]
async fn sqlite_files_hold_no_personal_data_in_clear() {
    let app = TestApp::new(Backend::Sqlite).await;
    register_people(&app).await;

    let scan = |when: &str| {
        let mut files = Vec::new();
        let mut all = Vec::new();
        for entry in std::fs::read_dir(&app.db.dir).expect("dir") {
            let path = entry.expect("entry").path();
            let bytes = std::fs::read(&path).expect("read");
            files.push(
                path.file_name()
                    .expect("name")
                    .to_string_lossy()
                    .into_owned(),
            );
            all.extend_from_slice(&bytes);
        }
        for (what, needle) in needles() {
            assert!(
                !contains(&all, &needle),
                "{what} found in clear in the database files ({when})"
            );
        }
        (files, all)
    };
    // While the databases are open, recent writes sit in the WAL files.
    let (files, all) = scan("while open");
    assert!(
        files.iter().any(|f| f.ends_with("-wal")),
        "WAL files are part of the scan: {files:?}"
    );
    // The scan sees stored text: the non-personal document type is there in clear.
    assert!(
        contains(&all, b"resident_id"),
        "the scan must read the stored rows"
    );
    assert!(contains(&all, b"passport"));

    app.state.store().close().await;
    scan("after checkpoint");
    app.cleanup().await;
}

#[tokio::test]
async fn postgres_tables_hold_no_personal_data_in_clear() {
    if !backends().contains(&Backend::Postgres) {
        return;
    }
    let app = TestApp::new(Backend::Postgres).await;
    register_people(&app).await;
    let everything = postgres_rows(&app).await;
    let rows_seen = everything.lines().count();
    assert!(
        rows_seen >= 3 * 4,
        "people, accounts, sessions, statuses and keys were read ({rows_seen} rows)"
    );
    assert!(
        everything.contains("resident_id"),
        "the scan must read the stored rows"
    );
    for (what, needle) in needles() {
        assert!(
            !contains(everything.as_bytes(), &needle),
            "{what} found in clear in a PostgreSQL table"
        );
    }
    app.cleanup().await;
}

/// Every row of every table of a PostgreSQL store (data and key store) as text,
/// one row a line.
async fn postgres_rows(app: &TestApp) -> String {
    let StoreConfig::Postgres {
        url,
        schema,
        keys_schema,
        ..
    } = &app.db.config
    else {
        panic!("a PostgreSQL store")
    };
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(url).await.expect("connect");
    let mut everything = String::new();
    for s in [schema, keys_schema] {
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = $1",
        )
        .bind(s)
        .fetch_all(&pool)
        .await
        .expect("tables");
        assert!(!tables.is_empty(), "schema {s} has tables");
        for table in tables {
            let rows = sqlx::query(&format!("SELECT t::text AS row FROM \"{s}\".\"{table}\" t"))
                .fetch_all(&pool)
                .await
                .expect("rows");
            for row in rows {
                let text: String = row.try_get("row").expect("row text");
                everything.push_str(&text.replace('\n', " "));
                everything.push('\n');
            }
        }
    }
    pool.close().await;
    everything
}

/// The key store and the data are separate databases; a failed registration
/// leaves no data key behind, and a person's data is readable only with their key.
#[tokio::test]
async fn data_keys_live_apart_and_failed_registrations_leave_none() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        register_people(&app).await;
        let [_, doc_type, number, _, _] = people().remove(0);
        // Same document, new phone: refused after the key was written, so the key is removed again.
        let (status, _) = app
            .call(
                Method::POST,
                "/v1/citizens",
                None,
                Some(json!({ "name": "欧阳娜娜", "document_type": doc_type, "document_number": number, "phone": "13000000000", "password": "a-good-password" })),
            )
            .await;
        assert_eq!(status.as_u16(), 409);
        let (data_keys, people_rows) = count_keys_and_people(&app).await;
        assert_eq!(
            (data_keys, people_rows),
            (3, 3),
            "{backend:?}: one key per person, no orphan"
        );
        app.cleanup().await;
    }
}

/// Twenty registrations at once, each person twice, so that the key store's
/// transactions (the keys written, and removed again when the person is
/// refused) run side by side: each person is registered once and refused once,
/// none fails, and no key is left without its person, on every store.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registrations_at_once_leave_one_key_per_person() {
    for backend in backends() {
        let app = Arc::new(TestApp::new(backend).await);
        let tasks: Vec<_> = (0..20_u16)
            .map(|n| {
                let app = app.clone();
                let i = n % 10;
                tokio::spawn(async move {
                    let number = make_resident_id("350102", date(1990, 1, 1), 300 + i).expect("id");
                    let body = json!({ "name": "林小红", "document_type": "resident_id",
                        "document_number": number, "phone": format!("1370000{i:04}"),
                        "password": "a-good-password" });
                    app.call(Method::POST, "/v1/citizens", None, Some(body))
                        .await
                })
            })
            .collect();
        let (mut created, mut refused) = (0, 0);
        for task in tasks {
            let (status, body) = task.await.expect("task");
            match status {
                StatusCode::CREATED => created += 1,
                StatusCode::CONFLICT => refused += 1,
                other => panic!("{backend:?}: {other} {body}"),
            }
        }
        assert_eq!((created, refused), (10, 10), "{backend:?}");
        assert_eq!(
            count_keys_and_people(&app).await,
            (10, 10),
            "{backend:?}: one key per person, no orphan"
        );
        let app = Arc::try_unwrap(app).ok().expect("no other owner");
        app.cleanup().await;
    }
}

async fn count_keys_and_people(app: &TestApp) -> (i64, i64) {
    sqlx::any::install_default_drivers();
    let (keys_url, data_url) = match &app.db.config {
        StoreConfig::Sqlite { data, keys } => {
            (format!("sqlite://{keys}"), format!("sqlite://{data}"))
        }
        StoreConfig::Postgres {
            url,
            schema,
            keys_schema,
            ..
        } => (
            format!(
                "{url}{}options=-c%20search_path%3D{keys_schema}",
                if url.contains('?') { "&" } else { "?" }
            ),
            format!(
                "{url}{}options=-c%20search_path%3D{schema}",
                if url.contains('?') { "&" } else { "?" }
            ),
        ),
    };
    let count = |url: String, sql: &'static str| async move {
        let pool = sqlx::AnyPool::connect(&url).await.expect("connect");
        let n: i64 = sqlx::query_scalar(sql)
            .fetch_one(&pool)
            .await
            .expect("count");
        pool.close().await;
        n
    };
    let keys = count(keys_url.clone(), "SELECT COUNT(*) FROM data_keys").await;
    let people = count(data_url.clone(), "SELECT COUNT(*) FROM people").await;
    // The data database has no key table and the key store no people table.
    let pool = sqlx::AnyPool::connect(&data_url).await.expect("connect");
    assert!(
        sqlx::query("SELECT 1 FROM data_keys")
            .fetch_optional(&pool)
            .await
            .is_err(),
        "no data keys beside the data"
    );
    pool.close().await;
    (keys, people)
}
