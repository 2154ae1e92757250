//! Settings of the HTTP service. Loaded by the binary from TOML and
//! `HEALTHCODE_*` variables; every field has a safe default.

use std::net::SocketAddr;

use serde::{Deserialize, Serialize};

/// How the service behaves. Durations are in seconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// The issuing province's 6-digit GB/T 2260 code.
    pub issuer: String,
    /// The issuer's display name.
    pub issuer_name: String,
    /// How long a code stays valid: a screenshot stops working after this.
    pub code_lifetime: i64,
    /// How long the same signed code may be handed out again before a new one is
    /// signed; keeps the display path cheap at peak. Must be well below `code_lifetime`.
    pub code_reuse: i64,
    /// How long a login session lasts.
    pub session_lifetime: i64,
    /// How long a server trusts a session it has looked up before asking the
    /// database again; a logout on another server takes effect within this time.
    pub session_recheck: i64,
    /// How often signing keys are reloaded from the database (picks up rotations).
    pub key_reload: u64,
    /// Clock skew allowed when verifying codes.
    pub clock_skew: i64,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Requests taking longer than this are answered 408.
    pub request_timeout: u64,
    /// Mark cookies `Secure` (set when served over HTTPS, as in production).
    pub secure_cookies: bool,
    /// The largest pool of samples in one tube (10 or 20 in practice).
    pub max_pool: i64,
    /// Most check-ins written in one transaction by the check-in writer (group
    /// commit); 1 commits every check-in on its own, for comparison.
    pub check_in_batch: usize,
    /// Check-ins waiting for the writer; beyond this a check-in is refused at
    /// once with 503 `check_in.busy` instead of queueing without bound.
    pub check_in_queue: usize,
    /// On SQLite, fsync every check-in commit (`synchronous = FULL`), so an
    /// acknowledged check-in survives power loss, not only a crash of the
    /// process. PostgreSQL always flushes its WAL at commit.
    pub check_in_fsync: bool,
    /// The public HTTPS origin of this service, without a trailing slash (e.g.
    /// `https://code.fujian.example`). SMART Health Cards name it as their `iss`,
    /// and verifiers fetch `{public_url}/.well-known/jwks.json`, so it must be the
    /// address the world reaches this service at.
    pub public_url: String,
    /// How often the issuer signs a new head of the audit log, in seconds
    /// (when it has grown; at least daily even if it has not).
    pub audit_head_every: i64,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            issuer: "350000".to_owned(),
            issuer_name: "福建省 Fujian Province".to_owned(),
            code_lifetime: 180,
            code_reuse: 15,
            session_lifetime: 12 * 3600,
            session_recheck: 30,
            key_reload: 30,
            clock_skew: 30,
            max_body_bytes: 64 * 1024,
            request_timeout: 15,
            secure_cookies: false,
            max_pool: 20,
            check_in_batch: 512,
            check_in_queue: 8192,
            check_in_fsync: true,
            public_url: "https://localhost".to_owned(),
            audit_head_every: 300,
        }
    }
}

impl ServerConfig {
    /// Rejects settings that would make codes unsafe or the service unusable.
    pub fn validate(&self) -> Result<(), String> {
        if self.issuer.len() != 6 || !self.issuer.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "issuer {:?} must be a 6-digit GB/T 2260 code",
                self.issuer
            ));
        }
        if !(30..=3600).contains(&self.code_lifetime) {
            return Err("code_lifetime must be between 30 and 3600 seconds".to_owned());
        }
        if self.code_reuse < 0 || self.code_reuse * 4 > self.code_lifetime {
            return Err("code_reuse must be at most a quarter of code_lifetime".to_owned());
        }
        if self.session_lifetime < 60 || self.session_recheck < 0 || self.session_recheck > 300 {
            return Err(
                "session_lifetime must be at least 60 s and session_recheck 0..=300 s".to_owned(),
            );
        }
        if !(10..=86_400).contains(&self.audit_head_every) {
            return Err("audit_head_every must be between 10 and 86400 seconds".to_owned());
        }
        if !(1..=50).contains(&self.max_pool) {
            return Err("max_pool must be between 1 and 50".to_owned());
        }
        if self.max_body_bytes < 1024 {
            return Err("max_body_bytes must be at least 1024".to_owned());
        }
        if !(1..=4096).contains(&self.check_in_batch)
            || !(1..=1_000_000).contains(&self.check_in_queue)
        {
            return Err(
                "check_in_batch must be 1..=4096 and check_in_queue 1..=1000000".to_owned(),
            );
        }
        let host = self.public_url.strip_prefix("https://").unwrap_or_default();
        if host.is_empty()
            || self.public_url.ends_with('/')
            || host.contains(char::is_whitespace)
            || host.contains(['?', '#'])
        {
            return Err(format!(
                "public_url {:?} must be an https:// origin without a trailing slash",
                self.public_url
            ));
        }
        Ok(())
    }
}
