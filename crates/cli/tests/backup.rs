//! Backups that deletion reaches, with the real binary on SQLite and on
//! PostgreSQL: two people register, the data store is backed up while the
//! service runs, one person deletes their account, the service stops, the
//! backup is restored over the data store (the key store and master key stay
//! the live ones), the service starts again, and the deleted person is gone:
//! no login, their document and phone free, none of their rows, and no byte of
//! their name, document number or phone anywhere; the other person works.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};

use healthcode_domain::identity::make_resident_id;
use healthcode_store::{Backend, StoreConfig};
use healthcode_tests::backends;
use serde_json::{Value, json};

mod common;
use common::{
    HttpClient, Server, call, free_ports, healthcode, http_client, path_str, stdout, temp_dir,
    wait_healthy,
};

const PASSWORD: &str = "a-good-password";

/// A person with every personal field distinctive, to be searched for.
struct Person {
    name: &'static str,
    document: String,
    phone: &'static str,
    address: &'static str,
}

fn alice() -> Person {
    Person {
        name: "司马秋燕",
        document: make_resident_id("350203", jiff::civil::date(1976, 8, 9), 414).expect("id"),
        phone: "13911112222",
        address: "厦门市思明区鹭江道 8 号",
    }
}

fn bob() -> Person {
    Person {
        name: "欧阳志明",
        document: make_resident_id("350102", jiff::civil::date(1983, 2, 2), 515).expect("id"),
        phone: "13933334444",
        address: "福州市鼓楼区五一路 1 号",
    }
}

/// Every clear-text form of a person's name, document number and phone.
fn needles(p: &Person) -> Vec<Vec<u8>> {
    let hex = |s: &str| s.bytes().map(|b| format!("{b:02x}")).collect::<String>();
    [p.name, p.document.as_str(), p.phone, p.address]
        .iter()
        .flat_map(|v| [v.as_bytes().to_vec(), hex(v).into_bytes()])
        .collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Writes the service's configuration: SQLite in `data`, or a schema of the
/// test PostgreSQL server; returns the file and the store.
fn configure(dir: &Path, port: u16, backend: Backend) -> (std::path::PathBuf, StoreConfig) {
    let data = dir.join("data");
    std::fs::create_dir_all(&data).expect("mkdir");
    let (store, lines) = match backend {
        Backend::Sqlite => (StoreConfig::sqlite_in(&data), String::new()),
        Backend::Postgres => {
            let url = std::env::var("HEALTHCODE_TEST_DATABASE_URL").expect("PostgreSQL URL");
            let schema = healthcode_tests::unique("bk");
            let lines = format!("database_url = {url:?}\ndatabase_schema = {schema:?}\n");
            (StoreConfig::postgres(&url, &schema), lines)
        }
    };
    let config = dir.join("healthcode.toml");
    std::fs::write(
        &config,
        format!("data = {data:?}\n{lines}[server]\nlisten = \"127.0.0.1:{port}\"\n"),
    )
    .expect("write config");
    (config, store)
}

fn serve(config: &Path, log: &Path) -> Server {
    Server(
        Command::new(env!("CARGO_BIN_EXE_healthcode"))
            .args(["--config", path_str(config), "serve"])
            .env_remove("HEALTHCODE_TEST_DATABASE_URL")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(log).expect("log file"))
            .spawn()
            .expect("start healthcode serve"),
    )
}

async fn register(client: &HttpClient, base: &str, p: &Person) -> (u16, Value) {
    let body = json!({ "name": p.name, "document_type": "resident_id", "document_number": p.document,
        "phone": p.phone, "password": PASSWORD, "address": p.address });
    call(
        client,
        "POST",
        &format!("{base}/v1/citizens"),
        None,
        Some(body),
    )
    .await
}

async fn login(client: &HttpClient, base: &str, login: Value) -> (u16, Value) {
    call(
        client,
        "POST",
        &format!("{base}/v1/sessions"),
        None,
        Some(login),
    )
    .await
}

async fn token(client: &HttpClient, base: &str, p: &Person) -> String {
    let (status, session) = login(
        client,
        base,
        json!({ "phone": p.phone, "password": PASSWORD }),
    )
    .await;
    assert_eq!(status, 201, "{session}");
    session["token"].as_str().expect("token").to_owned()
}

/// Every byte the store keeps: the files of a SQLite data folder, or every row
/// of both PostgreSQL schemas as text.
async fn stored_bytes(store: &StoreConfig, data: &Path) -> Vec<u8> {
    match store {
        StoreConfig::Sqlite { .. } => {
            let mut all = Vec::new();
            for entry in std::fs::read_dir(data).expect("dir") {
                all.extend(std::fs::read(entry.expect("entry").path()).expect("read"));
            }
            all
        }
        StoreConfig::Postgres {
            url,
            schema,
            keys_schema,
            ..
        } => {
            sqlx::any::install_default_drivers();
            let pool = sqlx::AnyPool::connect(url).await.expect("connect");
            let mut all = Vec::new();
            for s in [schema, keys_schema] {
                let tables: Vec<String> = sqlx::query_scalar(
                    "SELECT table_name::text FROM information_schema.tables WHERE table_schema = $1",
                )
                .bind(s)
                .fetch_all(&pool)
                .await
                .expect("tables");
                assert!(
                    tables.iter().any(|t| t == "people" || t == "data_keys"),
                    "{s}: {tables:?}"
                );
                for table in tables {
                    let rows: Vec<String> =
                        sqlx::query_scalar(&format!("SELECT t::text FROM \"{s}\".\"{table}\" t"))
                            .fetch_all(&pool)
                            .await
                            .expect("rows");
                    for row in rows {
                        all.extend(row.into_bytes());
                    }
                }
            }
            pool.close().await;
            all
        }
    }
}

/// How many people the data store holds.
async fn people(store: &StoreConfig) -> i64 {
    let store = healthcode_store::Store::open(store).await.expect("open");
    let n = store.count_people().await.expect("count");
    store.close().await;
    n
}

#[tokio::test]
async fn a_backup_restored_after_a_deletion_exposes_nothing_of_the_deleted_person() {
    for backend in backends() {
        backup_delete_restore(backend).await;
    }
}

async fn backup_delete_restore(backend: Backend) {
    let dir = temp_dir();
    let [port] = free_ports();
    let (config, store) = configure(&dir, port, backend);
    let data = dir.join("data");
    let base = format!("http://127.0.0.1:{port}");
    let client = http_client();
    let (alice, bob) = (alice(), bob());

    let mut server = serve(&config, &dir.join("first.log"));
    wait_healthy(&client, &base, &mut server).await;
    for p in [&alice, &bob] {
        let (status, body) = register(&client, &base, p).await;
        assert_eq!(status, 201, "{body}");
    }
    let alice_token = token(&client, &base, &alice).await;
    let (status, _) = call(
        &client,
        "POST",
        &format!("{base}/v1/me/self-tests"),
        Some(&alice_token),
        Some(json!({ "positive": false })),
    )
    .await;
    assert_eq!(status, 201);

    // A backup of the data store, taken while the service runs.
    let backup = dir.join(match backend {
        Backend::Sqlite => "backup.db",
        Backend::Postgres => "backup.pgdump",
    });
    let out = healthcode(&[
        "--config",
        path_str(&config),
        "backup",
        "--out",
        path_str(&backup),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mode = std::fs::metadata(&backup)
        .expect("backup")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600, "the backup is readable by its owner only");
    let again = healthcode(&[
        "--config",
        path_str(&config),
        "backup",
        "--out",
        path_str(&backup),
    ]);
    assert_eq!(
        again.status.code(),
        Some(2),
        "an existing file is never overwritten"
    );
    // The key store has its own backups, kept a week.
    let keys = dir.join("key-backups");
    std::fs::create_dir_all(&keys).expect("mkdir");
    std::fs::write(keys.join("keystore-1000.db"), b"an old key backup").expect("old backup");
    let out = healthcode(&[
        "--config",
        path_str(&config),
        "backup",
        "keys",
        "--out",
        path_str(&keys),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout(&out).contains("deleted 1 key-store backups older than 7 days"),
        "{}",
        stdout(&out)
    );
    assert_eq!(std::fs::read_dir(&keys).expect("dir").count(), 1);

    // Alice deletes her account; the service stops.
    let (status, body) = call(
        &client,
        "DELETE",
        &format!("{base}/v1/me"),
        Some(&alice_token),
        Some(json!({ "password": PASSWORD })),
    )
    .await;
    assert_eq!(status, 204, "{body}");
    drop(server);
    assert_eq!(people(&store).await, 1);

    // The backup goes back over the data store: Alice's rows come back with
    // it, and the restore removes them, for her key is gone.
    let out = healthcode(&[
        "--config",
        path_str(&config),
        "restore",
        "--from",
        path_str(&backup),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout(&out).contains("removed 1 people whose data key no longer exists"),
        "{}",
        stdout(&out)
    );
    assert_eq!(people(&store).await, 1);
    let restored = stored_bytes(&store, &data).await;
    for needle in needles(&alice) {
        assert!(
            !contains(&restored, &needle),
            "{backend:?}: a field of the deleted person in clear"
        );
    }

    let mut server = serve(&config, &dir.join("second.log"));
    wait_healthy(&client, &base, &mut server).await;
    // Alice cannot log in, by phone or by document.
    for credentials in [
        json!({ "phone": alice.phone, "password": PASSWORD }),
        json!({ "document_number": alice.document, "password": PASSWORD }),
    ] {
        let (status, _) = login(&client, &base, credentials).await;
        assert_eq!(status, 401, "{backend:?}");
    }
    let (status, _) = call(
        &client,
        "GET",
        &format!("{base}/v1/me"),
        Some(&alice_token),
        None,
    )
    .await;
    assert_eq!(status, 401, "her old session is gone too");
    // Bob works normally.
    let bob_token = token(&client, &base, &bob).await;
    let (status, code) = call(
        &client,
        "GET",
        &format!("{base}/v1/me/code"),
        Some(&bob_token),
        None,
    )
    .await;
    assert_eq!(status, 200, "{code}");
    let (status, export) = call(
        &client,
        "GET",
        &format!("{base}/v1/me/export"),
        Some(&bob_token),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(export["profile"]["name"], bob.name);
    // Nothing finds Alice: her document and phone register anew, as someone new.
    let (status, body) = register(&client, &base, &alice).await;
    assert_eq!(status, 201, "{backend:?}: {body}");
    let fresh = token(&client, &base, &alice).await;
    let (_, export) = call(
        &client,
        "GET",
        &format!("{base}/v1/me/export"),
        Some(&fresh),
        None,
    )
    .await;
    assert_eq!(
        export["facts"],
        json!([]),
        "nothing of the deleted account comes back"
    );
    drop(server);

    if let StoreConfig::Postgres { .. } = &store {
        healthcode_store::Store::open(&store)
            .await
            .expect("open")
            .drop_postgres_schemas(&store)
            .await
            .expect("drop schemas");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn restoring_refuses_a_file_that_is_not_a_backup() {
    let dir = temp_dir();
    let not_a_backup = dir.join("notes.txt");
    std::fs::write(&not_a_backup, "hello").expect("write");
    let out = healthcode(&[
        "--data",
        path_str(&dir.join("data")),
        "restore",
        "--from",
        path_str(&not_a_backup),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let missing = healthcode(&[
        "--data",
        path_str(&dir.join("data")),
        "restore",
        "--from",
        path_str(&dir.join("none.db")),
    ]);
    assert_eq!(missing.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}
