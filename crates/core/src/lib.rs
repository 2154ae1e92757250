//! The application core of healthcode: every service of the platform, apart
//! from HTTP.
//!
//! Routes, pages and the command line parse their input, authorise the caller
//! and call one service here; services return [`Error`], whose [`ErrorCode`]
//! is the stable code of the public contract. Domain decisions come from the
//! pure `healthcode-domain` crate, persistence from `healthcode-store`, time
//! from the injected [`clock::Clock`]. The state keeps no data of its own
//! beyond caches and snapshots, so any number of servers can run behind a load
//! balancer.

pub mod access;
pub mod accounts;
pub mod actor;
mod app;
pub mod audit;
pub mod cases;
pub mod certificates;
pub mod check_ins;
pub mod clock;
pub mod codes;
pub mod config;
pub mod disposal;
mod error;
pub mod facts;
pub mod ids;
pub mod import;
pub mod jobs;
pub mod keyring;
pub mod lifecycle;
pub mod limits;
pub mod metrics;
pub mod people;
pub mod policies;
pub mod realname;
pub mod recompute;
pub mod registration;
pub mod retention;
pub mod rules;
mod schema;
pub mod secrets;
pub mod services;
pub mod sessions;
pub mod venues;
pub mod workbench;

pub use actor::Caller;
pub use app::{AppState, StartError};
pub use error::{Error, ErrorCode, Suspension};
