//! What every service shares: the store, the gateway to people's data, the
//! keys, the clock and
//! the small caches that keep the code-display path off the database.
//!
//! Everything is behind private fields: services reach the store, the keys and
//! the snapshots through the accessors below, and the snapshots (keys, trust
//! list, policies, risk areas) are rebuilt when they are reloaded, never per
//! request.

use std::sync::{Arc, RwLock};

use healthcode_credentials::trust::{KeyStatus, ShcIssuerKeys, TrustList, TrustedKey};
use healthcode_domain::actor::Actor;
use healthcode_domain::facts::RiskArea;
use healthcode_domain::policy::PolicySet;
use healthcode_domain::retention::{Category, ScheduleSet};
use healthcode_domain::services::ServiceSchedule;
use healthcode_store::{SessionRecord, Store, Unit};
use quick_cache::sync::Cache;

use crate::certificates::issuers::{CredentialIssuers, CredentialKeyError};
use crate::check_ins::writer::CheckIns;
use crate::clock::Clock;
use crate::codes::issued::IssuedCode;
use crate::config::ServerConfig;
use crate::error::Error;
use crate::keyring::{IssuerIdentity, Keyring, KeyringError};
use crate::limits::Limits;
use crate::metrics::Metrics;
use crate::people::Gateway;
use crate::realname::RealNameVerifier;
use crate::rules::{
    LoadError, load_policies, load_risk_areas, load_schedules, load_service_schedule,
};
use crate::secrets::{MasterKey, SecretError, Secrets};

/// Sessions and codes kept in memory per server; bounded so a flood of distinct
/// tokens cannot exhaust memory.
const CACHE_ENTRIES: usize = 1_000_000;

/// Shared state of the service. Cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

/// The contents of [`AppState`].
struct Inner {
    store: Store,
    people: Gateway,
    secrets: Secrets,
    config: ServerConfig,
    issuer: IssuerIdentity,
    /// Issuers of the international formats (EU DCC, SMART Health Cards), as
    /// last loaded; reloaded with the signing keys.
    credentials: RwLock<Arc<CredentialIssuers>>,
    /// The trust list as published, rebuilt whenever keys are reloaded.
    trust_list: RwLock<Arc<TrustList>>,
    clock: Arc<dyn Clock>,
    verifier: Arc<dyn RealNameVerifier>,
    policies: RwLock<Arc<PolicySet>>,
    risk_areas: RwLock<Arc<Vec<RiskArea>>>,
    /// The published retention schedules.
    retention: RwLock<Arc<ScheduleSet>>,
    /// The services' standing closures.
    services: RwLock<Arc<ServiceSchedule>>,
    metrics: Metrics,
    keyring: RwLock<Arc<Keyring>>,
    password_slots: tokio::sync::Semaphore,
    /// Rate limits on logins and registrations.
    limits: Limits,
    sessions: Cache<[u8; 32], CachedSession>,
    codes: Cache<String, Arc<IssuedCode>>,
    /// The check-in writer (group commit) and the venue and place-code caches.
    check_ins: CheckIns,
}

fn snapshot<T>(lock: &RwLock<Arc<T>>) -> Arc<T> {
    match lock.read() {
        Ok(guard) => guard.clone(),
        Err(poisoned) => poisoned.into_inner().clone(),
    }
}

fn replace<T>(lock: &RwLock<Arc<T>>, value: T) {
    let value = Arc::new(value);
    match lock.write() {
        Ok(mut guard) => *guard = value,
        Err(poisoned) => *poisoned.into_inner() = value,
    }
}

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Secrets(#[from] SecretError),
    #[error(transparent)]
    Keys(#[from] KeyringError),
    #[error(transparent)]
    Rules(#[from] LoadError),
    #[error(transparent)]
    Credentials(#[from] CredentialKeyError),
}

/// All cores but one (at least one) may hash passwords at the same time.
fn password_workers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().saturating_sub(1).max(1))
}

#[derive(Clone)]
struct CachedSession {
    record: SessionRecord,
    checked_at: i64,
}

impl AppState {
    /// Builds the state and loads the signing keys; generates the DCC and SMART
    /// Health Cards issuer keys on first start (see [`CredentialIssuers`]).
    pub async fn new(
        store: Store,
        master: &MasterKey,
        config: ServerConfig,
        clock: Arc<dyn Clock>,
        verifier: Arc<dyn RealNameVerifier>,
    ) -> Result<AppState, StartError> {
        let now = clock.now().as_second();
        let people = Gateway::new(master)?;
        let secrets = Secrets::new(master)?;
        let keyring = Keyring::load(&store, &secrets).await?;
        let policies = load_policies(&store, now).await?;
        let risk_areas = load_risk_areas(&store).await?;
        let retention = load_schedules(&store, now).await?;
        let services = load_service_schedule(&store).await?;
        let credentials =
            CredentialIssuers::load_or_generate(&store, &secrets, &config, now).await?;
        let issuer = IssuerIdentity {
            code: config.issuer.clone(),
            name: config.issuer_name.clone(),
        };
        let trust_list = published_trust_list(&keyring, &credentials, &issuer, now);
        let check_ins = CheckIns::start(store.clone(), &config);
        Ok(AppState(Arc::new(Inner {
            check_ins,
            credentials: RwLock::new(Arc::new(credentials)),
            trust_list: RwLock::new(Arc::new(trust_list)),
            store,
            people,
            secrets,
            issuer,
            clock,
            verifier,
            policies: RwLock::new(Arc::new(policies)),
            risk_areas: RwLock::new(Arc::new(risk_areas)),
            retention: RwLock::new(Arc::new(retention)),
            services: RwLock::new(Arc::new(services)),
            metrics: Metrics::new(),
            keyring: RwLock::new(Arc::new(keyring)),
            password_slots: tokio::sync::Semaphore::new(password_workers()),
            limits: Limits::new(&config.rate_limits),
            sessions: Cache::new(CACHE_ENTRIES),
            codes: Cache::new(CACHE_ENTRIES),
            config,
        })))
    }

    /// The store: the data and the key store.
    pub fn store(&self) -> &Store {
        &self.0.store
    }

    /// The one gateway to people's data.
    pub fn people(&self) -> &Gateway {
        &self.0.people
    }

    /// Seals and opens the issuer's signing keys.
    pub fn secrets(&self) -> &Secrets {
        &self.0.secrets
    }

    /// The service's settings.
    pub fn config(&self) -> &ServerConfig {
        &self.0.config
    }

    /// Who issues this service's codes.
    pub fn issuer(&self) -> &IssuerIdentity {
        &self.0.issuer
    }

    /// The clock every service reads the time from.
    pub fn clock(&self) -> &dyn Clock {
        self.0.clock.as_ref()
    }

    /// The current time in Unix seconds.
    pub fn now(&self) -> i64 {
        self.0.clock.now().as_second()
    }

    /// Opens a unit of work for `actor` at the current time.
    pub async fn begin(&self, actor: Actor) -> Result<Unit, Error> {
        Ok(self.0.store.begin(actor, self.now()).await?)
    }

    pub(crate) fn verifier(&self) -> &dyn RealNameVerifier {
        self.0.verifier.as_ref()
    }

    /// The service's metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.0.metrics
    }

    /// The check-in writer and its caches.
    pub(crate) fn check_ins(&self) -> &CheckIns {
        &self.0.check_ins
    }

    /// Signed codes kept for `code_reuse` seconds.
    pub(crate) fn codes(&self) -> &Cache<String, Arc<IssuedCode>> {
        &self.0.codes
    }

    /// The keys as last loaded.
    pub fn keyring(&self) -> Arc<Keyring> {
        snapshot(&self.0.keyring)
    }

    /// Reloads the keys from the database (after a rotation, or periodically)
    /// and republishes the trust list.
    pub async fn reload_keys(&self) -> Result<(), KeyringError> {
        replace(
            &self.0.keyring,
            Keyring::load(&self.0.store, &self.0.secrets).await?,
        );
        self.republish_trust_list();
        Ok(())
    }

    /// The issuers of the international formats as last loaded.
    pub fn credentials(&self) -> Arc<CredentialIssuers> {
        snapshot(&self.0.credentials)
    }

    /// Reloads the DCC and SMART Health Cards keys (after a rotation, or
    /// periodically, with the signing keys) and republishes the trust list.
    pub async fn reload_credentials(&self) -> Result<(), CredentialKeyError> {
        let loaded = CredentialIssuers::load_or_generate(
            &self.0.store,
            &self.0.secrets,
            &self.0.config,
            self.now(),
        )
        .await?;
        replace(&self.0.credentials, loaded);
        self.republish_trust_list();
        Ok(())
    }

    fn republish_trust_list(&self) {
        let list = published_trust_list(
            &self.keyring(),
            &self.credentials(),
            &self.0.issuer,
            self.now(),
        );
        replace(&self.0.trust_list, list);
    }

    /// The published policies as last loaded.
    pub fn policies(&self) -> Arc<PolicySet> {
        snapshot(&self.0.policies)
    }

    /// The declared risk areas as last loaded.
    pub fn risk_areas(&self) -> Arc<Vec<RiskArea>> {
        snapshot(&self.0.risk_areas)
    }

    /// The published retention schedules as last loaded.
    pub fn retention(&self) -> Arc<ScheduleSet> {
        snapshot(&self.0.retention)
    }

    /// The services' schedule as last loaded.
    pub fn services(&self) -> Arc<ServiceSchedule> {
        snapshot(&self.0.services)
    }

    /// How long data of `category` is kept under the schedule in force now,
    /// in seconds.
    pub fn retention_period(&self, category: Category) -> i64 {
        self.retention()
            .active_at(self.0.clock.now())
            .period(category)
    }

    /// Reloads policies, risk areas, retention schedules and the services'
    /// schedule (after a publication, or periodically, so that what one server
    /// publishes reaches the others).
    pub async fn reload_rules(&self) -> Result<(), LoadError> {
        replace(
            &self.0.policies,
            load_policies(&self.0.store, self.now()).await?,
        );
        replace(&self.0.risk_areas, load_risk_areas(&self.0.store).await?);
        replace(
            &self.0.retention,
            load_schedules(&self.0.store, self.now()).await?,
        );
        replace(
            &self.0.services,
            load_service_schedule(&self.0.store).await?,
        );
        Ok(())
    }

    /// The trust list as last published: the code-signing keys, the DCC signer
    /// certificate and the SMART Health Cards issuer, so one download lets a
    /// verifier check every format this service issues. Rebuilt when keys are
    /// reloaded; each key carries its own validity, which verifiers check
    /// against their own clock.
    pub fn trust_list(&self) -> Arc<TrustList> {
        snapshot(&self.0.trust_list)
    }

    /// The live session with this token hash, from memory if checked recently.
    pub async fn session(&self, token_hash: &[u8; 32]) -> Result<Option<SessionRecord>, Error> {
        let now = self.now();
        if let Some(cached) = self.0.sessions.get(token_hash)
            && now - cached.checked_at < self.0.config.session_recheck
            && cached.record.expires_at > now
        {
            return Ok(Some(cached.record));
        }
        let found = self.0.store.session(token_hash, now).await?;
        match &found {
            Some(record) => self.0.sessions.insert(
                *token_hash,
                CachedSession {
                    record: record.clone(),
                    checked_at: now,
                },
            ),
            None => {
                self.0.sessions.remove(token_hash);
            }
        }
        Ok(found)
    }

    /// The rate limits on logins and registrations.
    pub(crate) fn limits(&self) -> &Limits {
        &self.0.limits
    }

    /// Runs password hashing (Argon2, tens of milliseconds of CPU) on a blocking
    /// thread, with at most [`password_workers`] jobs at once, so a flood of
    /// logins queues instead of taking every core from code display.
    pub async fn password_work<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Error> {
        let _slot = self
            .0
            .password_slots
            .acquire()
            .await
            .map_err(Error::internal)?;
        tokio::task::spawn_blocking(job)
            .await
            .map_err(Error::internal)
    }

    /// Forgets a person's cached code, so the next request signs a new one
    /// (after a colour change on this server).
    pub(crate) fn forget_code(&self, person_id: &str) {
        self.0.codes.remove(person_id);
    }

    /// Forgets a session on this server (after logout).
    pub fn forget_session(&self, token_hash: &[u8; 32]) {
        self.0.sessions.remove(token_hash);
    }
}

/// The trust list of the keys as loaded, at `now`.
fn published_trust_list(
    keyring: &Keyring,
    credentials: &CredentialIssuers,
    issuer: &IssuerIdentity,
    now: i64,
) -> TrustList {
    let mut list = keyring.trust_list(issuer, now);
    list.dcc_signers = credentials.dcc_signers();
    list.shc_issuer = Some(ShcIssuerKeys {
        iss: credentials.shc.iss().to_owned(),
        jwks: credentials.shc_jwks(),
    });
    let audit = credentials.audit.public_key();
    list.audit_keys = vec![TrustedKey::from_public(
        &audit,
        KeyStatus::Active,
        credentials.audit_since,
        None,
        None,
    )];
    // Rotated-out audit keys stay, retired: the heads they signed still verify.
    list.audit_keys
        .extend(credentials.retired_audit_keys().filter_map(|k| {
            let public: [u8; 32] = k.public_part.as_slice().try_into().ok()?;
            Some(TrustedKey::from_public(
                &public,
                KeyStatus::Retired,
                0,
                Some(k.retired_at),
                Some(k.verify_until),
            ))
        }));
    list
}
