//! What every request handler shares: the store, the vault, the keys, the clock
//! and the small caches that keep the code-display path off the database.

use std::ops::Deref;
use std::sync::{Arc, RwLock};

use healthcode_credentials::trust::{ShcIssuerKeys, TrustList};
use healthcode_domain::facts::RiskArea;
use healthcode_domain::policy::PolicySet;
use healthcode_store::vault::Vault;
use healthcode_store::{SessionRecord, Store};
use quick_cache::sync::Cache;

use crate::certificates::{CredentialIssuers, CredentialKeyError};
use crate::clock::Clock;
use crate::codes::IssuedCode;
use crate::config::ServerConfig;
use crate::error::ApiError;
use crate::keyring::{IssuerIdentity, Keyring, KeyringError};
use crate::metrics::Metrics;
use crate::realname::RealNameVerifier;
use crate::recompute::{LoadError, load_policies, load_risk_areas};

/// Sessions and codes kept in memory per server; bounded so a flood of distinct
/// tokens cannot exhaust memory.
const CACHE_ENTRIES: usize = 1_000_000;

/// Shared state of the service. Cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

/// The contents of [`AppState`].
pub struct Inner {
    pub store: Store,
    pub vault: Vault,
    pub config: ServerConfig,
    pub issuer: IssuerIdentity,
    /// Issuers of the international formats (EU DCC, SMART Health Cards), as
    /// last loaded; reloaded with the signing keys.
    credentials: RwLock<Arc<CredentialIssuers>>,
    pub clock: Arc<dyn Clock>,
    pub verifier: Arc<dyn RealNameVerifier>,
    policies: RwLock<Arc<PolicySet>>,
    risk_areas: RwLock<Arc<Vec<RiskArea>>>,
    pub metrics: Metrics,
    keyring: RwLock<Arc<Keyring>>,
    password_slots: tokio::sync::Semaphore,
    sessions: Cache<[u8; 32], CachedSession>,
    pub(crate) codes: Cache<String, Arc<IssuedCode>>,
    /// The check-in writer (group commit) and the venue and place-code caches.
    pub check_ins: crate::check_in_batcher::CheckIns,
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

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    /// Builds the state and loads the signing keys; generates the DCC and SMART
    /// Health Cards issuer keys on first start (see [`CredentialIssuers`]).
    pub async fn new(
        store: Store,
        vault: Vault,
        config: ServerConfig,
        clock: Arc<dyn Clock>,
        verifier: Arc<dyn RealNameVerifier>,
    ) -> Result<AppState, StartError> {
        let keyring = Keyring::load(&store, &vault).await?;
        let policies = load_policies(&store, clock.now().as_second()).await?;
        let risk_areas = load_risk_areas(&store).await?;
        let credentials =
            CredentialIssuers::load_or_generate(&store, &vault, &config, clock.now().as_second())
                .await?;
        let issuer = IssuerIdentity {
            code: config.issuer.clone(),
            name: config.issuer_name.clone(),
        };
        let check_ins = crate::check_in_batcher::CheckIns::start(store.clone(), &config);
        Ok(AppState(Arc::new(Inner {
            check_ins,
            credentials: RwLock::new(Arc::new(credentials)),
            store,
            vault,
            issuer,
            clock,
            verifier,
            policies: RwLock::new(Arc::new(policies)),
            risk_areas: RwLock::new(Arc::new(risk_areas)),
            metrics: Metrics::new(),
            keyring: RwLock::new(Arc::new(keyring)),
            password_slots: tokio::sync::Semaphore::new(password_workers()),
            sessions: Cache::new(CACHE_ENTRIES),
            codes: Cache::new(CACHE_ENTRIES),
            config,
        })))
    }

    /// The current time in Unix seconds.
    pub fn now(&self) -> i64 {
        self.clock.now().as_second()
    }

    /// The keys as last loaded.
    pub fn keyring(&self) -> Arc<Keyring> {
        snapshot(&self.keyring)
    }

    /// Reloads the keys from the database (after a rotation, or periodically).
    pub async fn reload_keys(&self) -> Result<(), KeyringError> {
        replace(
            &self.keyring,
            Keyring::load(&self.store, &self.vault).await?,
        );
        Ok(())
    }

    /// The issuers of the international formats as last loaded.
    pub fn credentials(&self) -> Arc<CredentialIssuers> {
        snapshot(&self.credentials)
    }

    /// Reloads the DCC and SMART Health Cards keys (after a rotation, or
    /// periodically, with the signing keys).
    pub async fn reload_credentials(&self) -> Result<(), CredentialKeyError> {
        let loaded =
            CredentialIssuers::load_or_generate(&self.store, &self.vault, &self.config, self.now())
                .await?;
        replace(&self.credentials, loaded);
        Ok(())
    }

    /// The published policies as last loaded.
    pub fn policies(&self) -> Arc<PolicySet> {
        snapshot(&self.policies)
    }

    /// The declared risk areas as last loaded.
    pub fn risk_areas(&self) -> Arc<Vec<RiskArea>> {
        snapshot(&self.risk_areas)
    }

    /// Reloads policies and risk areas (after a publication, or periodically, so
    /// that what one server publishes reaches the others).
    pub async fn reload_rules(&self) -> Result<(), LoadError> {
        replace(
            &self.policies,
            load_policies(&self.store, self.now()).await?,
        );
        replace(&self.risk_areas, load_risk_areas(&self.store).await?);
        Ok(())
    }

    /// The trust list as of now: the code-signing keys, the DCC signer
    /// certificate and the SMART Health Cards issuer, so one download lets a
    /// verifier check every format this service issues.
    pub fn trust_list(&self) -> TrustList {
        let mut list = self.keyring().trust_list(&self.issuer, self.now());
        let credentials = self.credentials();
        list.dcc_signers = credentials.dcc_signers();
        list.shc_issuer = Some(ShcIssuerKeys {
            iss: credentials.shc.iss().to_owned(),
            jwks: credentials.shc_jwks(),
        });
        list
    }

    /// The live session with this token hash, from memory if checked recently.
    pub async fn session(&self, token_hash: &[u8; 32]) -> Result<Option<SessionRecord>, ApiError> {
        let now = self.now();
        if let Some(cached) = self.sessions.get(token_hash)
            && now - cached.checked_at < self.config.session_recheck
            && cached.record.expires_at > now
        {
            return Ok(Some(cached.record));
        }
        let found = self.store.session(token_hash, now).await?;
        match &found {
            Some(record) => self.sessions.insert(
                *token_hash,
                CachedSession {
                    record: record.clone(),
                    checked_at: now,
                },
            ),
            None => {
                self.sessions.remove(token_hash);
            }
        }
        Ok(found)
    }

    /// Runs password hashing (Argon2, tens of milliseconds of CPU) on a blocking
    /// thread, with at most [`password_workers`] jobs at once, so a flood of
    /// logins queues instead of taking every core from code display.
    pub async fn password_work<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, ApiError> {
        let _slot = self
            .password_slots
            .acquire()
            .await
            .map_err(ApiError::internal)?;
        tokio::task::spawn_blocking(job)
            .await
            .map_err(ApiError::internal)
    }

    /// Forgets a session on this server (after logout).
    pub fn forget_session(&self, token_hash: &[u8; 32]) {
        self.sessions.remove(token_hash);
    }
}
