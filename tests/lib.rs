//! Test harness shared by the behaviour tests: throwaway stores on every
//! backend the environment offers, and the service around them with a clock
//! the test controls.
//!
//! SQLite always runs. PostgreSQL runs when `HEALTHCODE_TEST_DATABASE_URL` is
//! set; under CI (`CI=true`) its absence is a failure, not a skip, because a
//! backend nobody tested is a backend that does not work. Every store lives in
//! its own folder or schema, so tests run in parallel and repeatedly.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use healthcode_core::clock::ManualClock;
use healthcode_core::config::ServerConfig;
use healthcode_core::realname::LocalVerifier;
use healthcode_core::secrets::{MasterKey, Secrets};
use healthcode_core::{AppState, keyring};
use healthcode_store::{Backend, Store, StoreConfig};
use serde_json::Value;
use tower::ServiceExt;

/// The password of the citizens [`TestApp::citizen`] registers.
pub const PASSWORD: &str = "a-good-password";

/// A registered citizen with a live session.
pub struct TestCitizen {
    pub person_id: String,
    pub token: String,
    pub document: String,
    pub phone: String,
}

/// 2026-11-27T00:00:00Z, the start of every test clock.
pub const T0: i64 = 1_795_737_600;

/// The shipped 2022 policy as a new version taking effect at `effective_from`.
pub fn dynamic_zero(version: &str, effective_from: i64) -> Value {
    let shipped = healthcode_domain::policy::SHIPPED_POLICIES[0].1;
    let mut doc: Value = serde_json::from_str(shipped).expect("shipped policy");
    doc["version"] = Value::String(version.to_owned());
    doc["effective_from"] = Value::String(
        jiff::Timestamp::from_second(effective_from)
            .expect("time")
            .to_string(),
    );
    doc
}

/// The backends to run a story against.
pub fn backends() -> Vec<Backend> {
    let mut all = vec![Backend::Sqlite];
    match std::env::var("HEALTHCODE_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => all.push(Backend::Postgres),
        _ if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!(
                "CI=true but HEALTHCODE_TEST_DATABASE_URL is not set: PostgreSQL tests must run in CI"
            )
        }
        _ => eprintln!("HEALTHCODE_TEST_DATABASE_URL is not set: skipping PostgreSQL"),
    }
    all
}

/// A unique name for a throwaway folder or schema.
pub fn unique(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let nanos = healthcode_core::clock::Clock::now(&healthcode_core::clock::SystemClock)
        .subsec_nanosecond();
    format!("{prefix}_{}_{n}_{nanos}", std::process::id())
}

/// A store that removes itself when dropped... as far as a sync drop can: the
/// SQLite folder is deleted; PostgreSQL schemas are dropped by [`TestStore::cleanup`].
pub struct TestStore {
    pub store: Store,
    pub config: StoreConfig,
    pub dir: PathBuf,
}

impl TestStore {
    /// A fresh, migrated store on `backend`.
    pub async fn new(backend: Backend) -> TestStore {
        let dir = std::env::temp_dir().join(unique("hc_test"));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let config = match backend {
            Backend::Sqlite => StoreConfig::sqlite_in(&dir),
            Backend::Postgres => {
                let url = std::env::var("HEALTHCODE_TEST_DATABASE_URL")
                    .expect("HEALTHCODE_TEST_DATABASE_URL");
                StoreConfig::postgres(&url, &unique("t"))
            }
        };
        let store = Store::open(&config).await.expect("open test store");
        TestStore { store, config, dir }
    }

    /// Connections that bypass the store, for tests that look at raw rows:
    /// `(url, statement to run first, PostgreSQL schema)` for the data store
    /// and for the key store.
    pub fn raw_connections(&self) -> Vec<(String, Option<String>, Option<String>)> {
        sqlx::any::install_default_drivers();
        match &self.config {
            StoreConfig::Sqlite { data, keys } => vec![
                (format!("sqlite://{data}"), None, None),
                (format!("sqlite://{keys}"), None, None),
            ],
            StoreConfig::Postgres {
                url,
                schema,
                keys_schema,
                ..
            } => [schema, keys_schema]
                .into_iter()
                .map(|s| {
                    (
                        url.clone(),
                        Some(format!("SET search_path TO \"{s}\"")),
                        Some(s.clone()),
                    )
                })
                .collect(),
        }
    }

    /// A connection to the data store that bypasses the store (with the
    /// PostgreSQL schema set), for tests that tamper with raw rows.
    pub async fn raw_data(&self) -> sqlx::AnyConnection {
        let (url, setup, _) = self
            .raw_connections()
            .into_iter()
            .next()
            .expect("a data store");
        raw_connect(&url, setup.as_deref()).await
    }

    /// Drops PostgreSQL schemas and removes the SQLite folder.
    pub async fn cleanup(self) {
        if self.store.backend() == Backend::Postgres {
            self.store
                .drop_postgres_schemas(&self.config)
                .await
                .expect("drop test schemas");
        } else {
            self.store.close().await;
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Connects to a store's database around the store (`setup` run first).
pub async fn raw_connect(url: &str, setup: Option<&str>) -> sqlx::AnyConnection {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(url).await.expect("connect");
    if let Some(setup) = setup {
        sqlx::Executor::execute(&mut conn, setup)
            .await
            .expect("setup");
    }
    conn
}

/// The raw connections of a SQLite data folder (`--data DIR`): its data and
/// key stores, as [`TestStore::raw_connections`] gives them.
pub fn sqlite_connections(dir: &std::path::Path) -> Vec<(String, Option<String>, Option<String>)> {
    ["healthcode.db", "keystore.db"]
        .into_iter()
        .map(|file| (format!("sqlite://{}", dir.join(file).display()), None, None))
        .collect()
}

/// Every table of a database (PostgreSQL: of `schema`, partitions left out)
/// with each of its columns, from the database's own catalogue, so a table
/// added later is covered too.
pub async fn columns(
    conn: &mut sqlx::AnyConnection,
    schema: Option<&str>,
) -> Vec<(String, String)> {
    match schema {
        None => {
            let names: Vec<String> = sqlx::query_scalar(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
                 AND name NOT LIKE '_sqlx%'",
            )
            .fetch_all(&mut *conn)
            .await
            .expect("tables");
            let mut out = Vec::new();
            for name in names {
                let columns: Vec<String> =
                    sqlx::query_scalar(&format!("SELECT name FROM pragma_table_info('{name}')"))
                        .fetch_all(&mut *conn)
                        .await
                        .expect("columns");
                out.extend(columns.into_iter().map(|c| (name.clone(), c)));
            }
            out
        }
        Some(schema) => sqlx::query_as(
            "SELECT c.table_name::text, c.column_name::text FROM information_schema.columns c \
             JOIN information_schema.tables t ON t.table_schema = c.table_schema \
               AND t.table_name = c.table_name \
             WHERE c.table_schema = $1 AND t.table_type = 'BASE TABLE' \
               AND c.table_name NOT LIKE '_sqlx%' \
               AND NOT EXISTS (SELECT 1 FROM pg_inherits i JOIN pg_class k ON k.oid = i.inhrelid \
                               WHERE k.relname = c.table_name)",
        )
        .bind(schema)
        .fetch_all(&mut *conn)
        .await
        .expect("columns"),
    }
}

/// How many rows every table of the data and key stores holds, and, for
/// every table with a `purpose` column, how many of its rows are tagged `purpose`.
pub async fn table_counts(
    connections: Vec<(String, Option<String>, Option<String>)>,
    purpose: &str,
) -> (
    std::collections::BTreeMap<String, i64>,
    std::collections::BTreeMap<String, i64>,
) {
    use sqlx::Connection;
    let mut counts = std::collections::BTreeMap::new();
    let mut tagged = std::collections::BTreeMap::new();
    for (url, setup, schema) in connections {
        let mut conn = raw_connect(&url, setup.as_deref()).await;
        let columns = columns(&mut conn, schema.as_deref()).await;
        for (table, column) in &columns {
            if !counts.contains_key(table) {
                let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM \"{table}\""))
                    .fetch_one(&mut conn)
                    .await
                    .expect("count");
                counts.insert(table.clone(), n);
            }
            if column == "purpose" {
                let n: i64 = sqlx::query_scalar(&format!(
                    "SELECT COUNT(*) FROM \"{table}\" WHERE purpose = $1"
                ))
                .bind(purpose)
                .fetch_one(&mut conn)
                .await
                .expect("count");
                tagged.insert(table.clone(), n);
            }
        }
        conn.close().await.expect("close");
    }
    (counts, tagged)
}

/// The token the test service's `/metrics` takes.
pub const METRICS_TOKEN: &str = "metrics-scraper-token-for-tests";

/// The service on a test store, with a manual clock starting at [`T0`].
pub struct TestApp {
    pub db: TestStore,
    pub state: AppState,
    pub clock: ManualClock,
    pub router: Router,
}

impl TestApp {
    /// The service with the default configuration, its `/metrics` taking
    /// [`METRICS_TOKEN`].
    pub async fn new(backend: Backend) -> TestApp {
        let config = ServerConfig {
            metrics_token: Some(METRICS_TOKEN.to_owned()),
            ..ServerConfig::default()
        };
        Self::with_config(backend, config).await
    }

    pub async fn with_config(backend: Backend, config: ServerConfig) -> TestApp {
        Self::build(backend, config, T0).await
    }

    /// The service with its clock starting at `start` (Unix seconds); a browser
    /// test wants the real time, since the page compares with its own clock.
    pub async fn build(backend: Backend, config: ServerConfig, start: i64) -> TestApp {
        let db = TestStore::new(backend).await;
        let master_path = db.dir.join("master.key");
        let master = MasterKey::load_or_create(&master_path).expect("master key");
        let clock = ManualClock::at(start);
        let secrets = Secrets::new(&master).expect("secrets");
        keyring::ensure_signer(&db.store, &secrets, start, config.code_lifetime)
            .await
            .expect("signing key");
        let state = AppState::new(
            db.store.clone(),
            &master,
            config,
            Arc::new(clock.clone()),
            Arc::new(LocalVerifier),
        )
        .await
        .expect("state");
        healthcode_core::retention::prepare_partitions(&state)
            .await
            .expect("day partitions");
        let router = healthcode_server::router(state.clone());
        TestApp {
            db,
            state,
            clock,
            router,
        }
    }

    /// Sends one request through the whole router (middleware included).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let request = match body {
            Some(json) => request
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(json.to_string())),
            None => request.body(Body::empty()),
        }
        .expect("request");
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("response");
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 16 * 1024 * 1024)
            .await
            .expect("body");
        let value = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        (status, value)
    }

    /// A vaccination as the national vaccination registry's import records it,
    /// now by the app's clock (there is no API route for vaccinations).
    pub fn registry_vaccination(
        &self,
        id: &str,
        product: &str,
        (dose, of): (u8, u8),
        date: jiff::civil::Date,
    ) -> healthcode_domain::facts::Fact {
        use healthcode_domain::facts::{Fact, Provenance, SourceKind, Vaccination};
        Fact::Vaccination(Vaccination {
            id: id.to_owned(),
            product: product.to_owned(),
            dose,
            of,
            date,
            provenance: Provenance::epidemic(
                SourceKind::Import,
                "registry",
                jiff::Timestamp::from_second(self.state.now()).expect("time"),
            ),
        })
    }

    /// Imports [`TestApp::registry_vaccination`] for a person, as
    /// `healthcode import` does; panics unless it succeeds.
    pub async fn import_vaccination(
        &self,
        person_id: &str,
        id: &str,
        product: &str,
        doses: (u8, u8),
        date: jiff::civil::Date,
    ) {
        let fact = self.registry_vaccination(id, product, doses, date);
        healthcode_core::facts::import(&self.state, person_id, &fact, None)
            .await
            .expect("vaccination");
    }

    /// Registers a citizen through the API; panics unless it succeeds.
    pub async fn register(
        &self,
        name: &str,
        document_type: &str,
        number: &str,
        phone: &str,
        password: &str,
    ) {
        let (status, body) = self
            .call(
                Method::POST,
                "/v1/citizens",
                None,
                Some(serde_json::json!({
                    "name": name, "document_type": document_type, "document_number": number,
                    "phone": phone, "password": password
                })),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "registration failed: {body}");
    }

    /// Registers a citizen holding a resident ID of `division` (born on `born`,
    /// serial `seq`) with `phone` and [`PASSWORD`], and logs them in.
    pub async fn citizen(
        &self,
        name: &str,
        division: &str,
        born: jiff::civil::Date,
        seq: u16,
        phone: &str,
    ) -> TestCitizen {
        let document =
            healthcode_domain::identity::make_resident_id(division, born, seq).expect("id");
        self.register(name, "resident_id", &document, phone, PASSWORD)
            .await;
        let token = self
            .login(serde_json::json!({ "phone": phone, "password": PASSWORD }))
            .await;
        TestCitizen {
            person_id: self.person_of(&token).await,
            token,
            document,
            phone: phone.to_owned(),
        }
    }

    /// Logs in with a JSON body; returns the token.
    pub async fn login(&self, credentials: Value) -> String {
        let (status, body) = self
            .call(Method::POST, "/v1/sessions", None, Some(credentials))
            .await;
        assert_eq!(status, StatusCode::CREATED, "login failed: {body}");
        body["token"].as_str().expect("token").to_owned()
    }

    /// The person a citizen's session token belongs to.
    pub async fn person_of(&self, token: &str) -> String {
        self.state
            .session(&healthcode_core::sessions::token_hash(token))
            .await
            .expect("session")
            .expect("live")
            .person_id
            .expect("a citizen")
    }

    /// Creates a staff account with `role` and logs it in; returns the token.
    pub async fn staff(&self, username: &str, role: healthcode_domain::role::Role) -> String {
        let password = "a-good-password";
        healthcode_core::accounts::create_staff(
            self.state.store(),
            role,
            username,
            password,
            self.state.now(),
        )
        .await
        .expect("staff account");
        self.login(serde_json::json!({ "username": username, "password": password }))
            .await
    }

    /// The venue's owner (by its token) binds the checker account `checker`
    /// to the venue, so that it may record check-ins there.
    pub async fn bind_checker(&self, owner_token: &str, venue_id: &str, checker: &str) {
        let (status, body) = self
            .call(
                Method::PUT,
                &format!("/v1/venues/{venue_id}/checkers/{checker}"),
                Some(owner_token),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "binding a checker: {body}");
    }

    /// A unit of work for an operator at the test clock's time, for writing
    /// straight to the store what no route writes.
    pub async fn unit(&self) -> healthcode_store::Unit {
        self.state
            .store()
            .begin(healthcode_domain::actor::Actor::Operator, self.state.now())
            .await
            .expect("a unit of work")
    }

    /// Scans a person into a tube as the workbench does, straight in the store.
    pub async fn add_sample(
        &self,
        tube: &str,
        person_id: &str,
        at: i64,
    ) -> healthcode_store::AddSample {
        let mut unit = self.unit().await;
        let added = unit.add_sample(tube, person_id, at).await.expect("add");
        unit.commit().await.expect("commit");
        added
    }

    /// Every table of the data and key stores that holds rows naming
    /// `person_id` (in a `person_id` column, or `people.id`), with how many:
    /// empty once the person is erased, but for the record that they were
    /// (`erasures`, which holds nothing personal). Tables are found from the
    /// databases' own catalogues, so a table added later is covered too.
    pub async fn rows_naming(&self, person_id: &str) -> Vec<(String, i64)> {
        use sqlx::Connection;
        let mut found = Vec::new();
        for (url, setup, schema) in self.db.raw_connections() {
            let mut conn = raw_connect(&url, setup.as_deref()).await;
            let tables = columns(&mut conn, schema.as_deref()).await;
            for (table, column) in tables {
                let names_person = (column == "person_id" && table != "erasures")
                    || (table == "people" && column == "id");
                if !names_person {
                    continue;
                }
                let n: i64 = sqlx::query_scalar(&format!(
                    "SELECT COUNT(*) FROM \"{table}\" WHERE \"{column}\" = $1"
                ))
                .bind(person_id)
                .fetch_one(&mut conn)
                .await
                .expect("count");
                if n > 0 {
                    found.push((table, n));
                }
            }
            conn.close().await.expect("close");
        }
        found
    }

    /// Publishes the shipped 2022 dynamic-zero policy as a new version taking
    /// effect a minute from now (proposed by `authority_token`, approved by a
    /// second authority), and moves the clock past it.
    pub async fn activate_dynamic_zero(&self, authority_token: &str) {
        let doc = dynamic_zero("test-dynamic-zero", self.state.now() + 60);
        self.publish_policy(authority_token, doc).await;
        self.clock.advance(60);
    }

    /// Publishes a policy document as authorities do: `authority_token`
    /// proposes it and a second authority approves it. Returns the published
    /// policy.
    pub async fn publish_policy(&self, authority_token: &str, document: Value) -> Value {
        let version = document["version"].as_str().expect("a version").to_owned();
        let (status, body) = self
            .call(
                Method::POST,
                "/v1/policies",
                Some(authority_token),
                Some(document),
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "proposing a policy: {body}");
        let second = self
            .staff(
                &unique("approver"),
                healthcode_domain::role::Role::Authority,
            )
            .await;
        let (status, body) = self
            .call(
                Method::POST,
                &format!("/v1/policies/{version}/approve"),
                Some(&second),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "approving a policy: {body}");
        body
    }

    /// Serves the router on a loopback port through the service's own listener
    /// (for browsers, load and connection tests); returns the base URL.
    pub async fn spawn_http(&self) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let router = self.router.clone();
        let limits = healthcode_server::listener::limits_of(self.state.config());
        tokio::spawn(healthcode_server::serve_router(
            listener,
            router,
            limits,
            std::future::pending(),
        ));
        format!("http://{addr}")
    }

    pub async fn cleanup(self) {
        self.db.cleanup().await;
    }
}

/// Writes a small folder in the EU value-set format (`{"valueSetId", "valueSetValues"}`)
/// holding real codes of the EU sets: those the PL-1.2.1 test vectors and healthcode's own
/// certificates use, apart from the codes the vectors expect to be refused (RAT device
/// 9999, country XY, manufacturer ORG-99999999). Not the EU's full sets, which the test
/// data does not carry.
pub fn write_value_sets(dir: &std::path::Path) {
    let sets: [(&str, &[&str]); 8] = [
        ("disease-agent-targeted.json", &["840539006"]),
        ("vaccine-prophylaxis.json", &["J07BX03", "1119349007"]),
        (
            "vaccine-medicinal-product.json",
            &["EU/1/20/1528", "EU/1/20/1525", "EU/1/21/1529", "CoronaVac"],
        ),
        (
            "vaccine-mah-manf.json",
            &["ORG-100030215", "ORG-100001417", "Sinovac-Biotech"],
        ),
        ("country-2-codes.json", &["PL", "DE", "CN"]),
        ("test-manf.json", &["1232"]),
        ("test-result.json", &["260415000", "260373001"]),
        ("test-type.json", &["LP6464-4", "LP217198-3"]),
    ];
    std::fs::create_dir_all(dir).expect("mkdir");
    for (name, codes) in sets {
        let values: serde_json::Map<String, Value> = codes
            .iter()
            .map(|c| ((*c).to_owned(), serde_json::json!({ "active": true })))
            .collect();
        let doc = serde_json::json!({ "valueSetId": name, "valueSetValues": values });
        std::fs::write(dir.join(name), doc.to_string()).expect("write");
    }
}

/// Tampering with the stored audit log, as an attacker with the database
/// would: for the tests that check it is found, from the store and from
/// outside.
pub mod audit_tamper {
    use healthcode_domain::audit::merkle::{self, Hash, Perfect};

    use crate::TestApp;

    /// How an attacker with the database alters the log.
    #[derive(Debug, Clone, Copy)]
    pub enum Tamper {
        ChangeOne,
        RemoveOne,
        ReorderTwo,
        /// Alters an entry and rebuilds the whole tree over the altered entries
        /// (every node, every head's root), as one who cannot sign would.
        RewriteHistory,
    }

    async fn stored_entries(conn: &mut sqlx::AnyConnection) -> Vec<(i64, Vec<u8>)> {
        use sqlx::Row;
        sqlx::query("SELECT seq, entry FROM audit_entries ORDER BY seq")
            .fetch_all(conn)
            .await
            .expect("entries")
            .iter()
            .map(|r| (r.get("seq"), r.get("entry")))
            .collect()
    }

    async fn set_entry(conn: &mut sqlx::AnyConnection, seq: i64, bytes: &[u8]) {
        sqlx::query("UPDATE audit_entries SET entry = $1 WHERE seq = $2")
            .bind(bytes.to_vec())
            .bind(seq)
            .execute(conn)
            .await
            .expect("update");
    }

    /// Tampers with `app`'s log as `how` says; returns the index of the entry
    /// it altered (the first check-in scan's).
    pub async fn tamper(app: &TestApp, how: Tamper) -> u64 {
        let mut conn = app.db.raw_data().await;
        let entries = stored_entries(&mut conn).await;
        // The first opening of data: the checker's scan.
        let (k, bytes) = entries
            .iter()
            .find(|(_, b)| String::from_utf8_lossy(b).contains("\"check_in\""))
            .cloned()
            .expect("a check-in entry");
        let altered = String::from_utf8(bytes.clone())
            .expect("utf-8")
            .replace("\"check_in\"", "\"recompute\"")
            .into_bytes();
        match how {
            Tamper::ChangeOne => set_entry(&mut conn, k, &altered).await,
            Tamper::RemoveOne => {
                sqlx::query("DELETE FROM audit_entries WHERE seq = $1")
                    .bind(k)
                    .execute(&mut conn)
                    .await
                    .expect("delete");
            }
            Tamper::ReorderTwo => {
                let next = entries
                    .iter()
                    .find(|(s, _)| *s == k + 1)
                    .expect("next")
                    .1
                    .clone();
                set_entry(&mut conn, k, &next).await;
                set_entry(&mut conn, k + 1, &bytes).await;
            }
            Tamper::RewriteHistory => {
                set_entry(&mut conn, k, &altered).await;
                sqlx::query("DELETE FROM audit_nodes")
                    .execute(&mut conn)
                    .await
                    .expect("delete nodes");
                let mut nodes = std::collections::HashMap::new();
                for (seq, b) in stored_entries(&mut conn).await {
                    let seq = seq as u64;
                    let leaf = Perfect {
                        level: 0,
                        index: seq,
                    };
                    nodes.insert(leaf, merkle::leaf_hash(&b));
                    for (parent, left, right) in merkle::completed_by(seq) {
                        let h = merkle::node_hash(&nodes[&left], &nodes[&right]);
                        nodes.insert(parent, h);
                    }
                }
                for (node, hash) in &nodes {
                    sqlx::query("INSERT INTO audit_nodes (level, idx, hash) VALUES ($1, $2, $3)")
                        .bind(i32::from(node.level))
                        .bind(node.index as i64)
                        .bind(hash.to_vec())
                        .execute(&mut conn)
                        .await
                        .expect("insert node");
                }
                let sizes: Vec<i64> = sqlx::query_scalar("SELECT size FROM audit_heads")
                    .fetch_all(&mut conn)
                    .await
                    .expect("heads");
                for size in sizes {
                    let frontier = merkle::frontier(size as u64);
                    let hashes: Vec<Hash> = frontier.iter().map(|p| nodes[p]).collect();
                    sqlx::query("UPDATE audit_heads SET root = $1 WHERE size = $2")
                        .bind(merkle::root_from_frontier(&hashes).to_vec())
                        .bind(size)
                        .execute(&mut conn)
                        .await
                        .expect("rewrite head");
                }
            }
        }
        k as u64
    }
}
