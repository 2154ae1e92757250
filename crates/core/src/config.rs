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
    /// Mark cookies `Secure`. Unset, they are whenever `public_url` is https;
    /// `false` is refused with an https `public_url` (a session cookie sent in
    /// clear can be stolen on the first plain-HTTP request).
    pub secure_cookies: Option<bool>,
    /// Seconds a client has to send a request's headers before its connection
    /// is closed, so idle or slow-header connections cannot pile up.
    pub header_timeout: u64,
    /// Most connections served at once; beyond this new connections wait in
    /// the listen backlog instead of taking memory and file descriptors.
    pub max_connections: usize,
    /// Bearer token that `GET /metrics` requires; unset, `/metrics` answers 404
    /// (the numbers describe the province's load and are not public).
    pub metrics_token: Option<String>,
    /// How fast logins and registrations may be tried.
    pub rate_limits: RateLimits,
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
            secure_cookies: None,
            header_timeout: 10,
            max_connections: 4096,
            metrics_token: None,
            rate_limits: RateLimits::default(),
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
        let host = self
            .public_url
            .strip_prefix("https://")
            .or_else(|| {
                self.public_url
                    .strip_prefix("http://")
                    .filter(|host| is_loopback(host))
            })
            .unwrap_or_default();
        if host.is_empty()
            || self.public_url.ends_with('/')
            || host.contains(char::is_whitespace)
            || host.contains(['?', '#', '/', '@'])
        {
            return Err(format!(
                "public_url {:?} must be an https:// origin (http:// only on this \
                 machine's loopback) without a trailing slash",
                self.public_url
            ));
        }
        if self.secure_cookies == Some(false) && self.public_url.starts_with("https://") {
            return Err(
                "secure_cookies = false with an https public_url would send the session \
                 cookie in clear; remove the setting"
                    .to_owned(),
            );
        }
        if !(1..=300).contains(&self.header_timeout) {
            return Err("header_timeout must be between 1 and 300 seconds".to_owned());
        }
        if !(1..=1_000_000).contains(&self.max_connections) {
            return Err("max_connections must be between 1 and 1000000".to_owned());
        }
        if self
            .metrics_token
            .as_ref()
            .is_some_and(|token| token.len() < 16)
        {
            return Err("metrics_token must have at least 16 characters".to_owned());
        }
        self.rate_limits.validate()
    }

    /// Whether cookies carry `Secure`: as set, else whenever served over https.
    pub fn secure_cookies(&self) -> bool {
        self.secure_cookies
            .unwrap_or_else(|| self.public_url.starts_with("https://"))
    }
}

/// `localhost` or a loopback address, with or without a port: the only hosts
/// a plain-HTTP `public_url` may name (a developer's own machine).
fn is_loopback(host: &str) -> bool {
    let port_ok = |port: Option<&str>| port.is_none_or(|p| p.parse::<u16>().is_ok());
    let name = match host.strip_prefix('[') {
        Some(bracketed) => match bracketed.split_once(']') {
            Some((ip, "")) => ip,
            Some((ip, tail)) if tail.starts_with(':') && port_ok(tail.get(1..)) => ip,
            _ => return false,
        },
        None => match host.split_once(':') {
            Some((name, port)) if port_ok(Some(port)) => name,
            Some(_) => return false,
            None => host,
        },
    };
    name == "localhost"
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Rates at which password guesses and registrations are accepted: each is a
/// bucket of `burst` attempts that refills one attempt every `every` seconds,
/// so a person who mistypes waits a little and is never locked out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimits {
    /// Logins to one account (known or not: the answer is the same).
    pub login_account: Rate,
    /// Logins from one source address (an IPv6 /64 counts as one).
    pub login_address: Rate,
    /// Registrations from one source address.
    pub register_address: Rate,
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            login_account: Rate {
                burst: 10,
                every: 30,
            },
            login_address: Rate {
                burst: 60,
                every: 2,
            },
            register_address: Rate {
                burst: 10,
                every: 60,
            },
        }
    }
}

impl RateLimits {
    fn validate(&self) -> Result<(), String> {
        for (name, rate) in [
            ("login_account", &self.login_account),
            ("login_address", &self.login_address),
            ("register_address", &self.register_address),
        ] {
            if !(1..=1_000_000).contains(&rate.burst) || !(1..=86_400).contains(&rate.every) {
                return Err(format!(
                    "rate_limits.{name} needs burst 1..=1000000 and every 1..=86400 seconds"
                ));
            }
        }
        Ok(())
    }
}

/// A bucket of `burst` attempts refilled by one every `every` seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rate {
    pub burst: u32,
    pub every: u64,
}
