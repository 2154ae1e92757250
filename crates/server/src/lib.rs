//! The healthcode HTTP service: JSON API, web pages, OpenAPI document and metrics.
//!
//! Handlers stay thin: they parse and authorise, call the pure domain for
//! decisions and the store for persistence. The service keeps no state of its
//! own beyond caches, so any number of servers can run behind a load balancer.

pub mod auth;
pub mod certificates;
pub mod check_in_batcher;
pub mod clock;
pub mod codes;
pub mod config;
mod error;
pub mod keyring;
mod metrics;
mod openapi;
mod pages;
pub mod realname;
pub mod recompute;
pub mod registration;
pub mod routes;
pub mod state;
pub mod workbench;

use std::future::Future;
use std::time::Duration;

pub use error::ApiError;
pub use routes::router;
pub use state::AppState;

/// Serves until `shutdown` resolves, then stops accepting connections and lets
/// requests in flight finish. Every `key_reload` seconds it reloads signing keys,
/// policies and risk areas, and recomputes colours whose time has come.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let reload_every = Duration::from_secs(state.config.key_reload.max(1));
    let reloader = {
        let state = state.clone();
        // The reloader logs under the caller's span (a province's, when one
        // process serves several).
        let work = async move {
            let mut tick = tokio::time::interval(reload_every);
            tick.tick().await;
            loop {
                tick.tick().await;
                if let Err(e) = state.reload_keys().await {
                    tracing::warn!(error = %e, "signing keys could not be reloaded");
                }
                if let Err(e) = state.reload_credentials().await {
                    tracing::warn!(error = %e, "DCC and SHC issuer keys could not be reloaded");
                }
                if let Err(e) = state.reload_rules().await {
                    tracing::warn!(error = %e, "policies and risk areas could not be reloaded");
                }
                match recompute::sweep_due(&state).await {
                    Ok(0) => {}
                    Ok(n) => {
                        tracing::info!(recomputed = n, "time-based colour transitions applied")
                    }
                    Err(e) => tracing::warn!(error = e.message, "time-based recomputation failed"),
                }
                if let Err(e) = state.store.purge_expired_sessions(state.now()).await {
                    tracing::warn!(error = %e, "expired sessions could not be purged");
                }
                if let Err(e) = state.check_ins.purge_expired(&state).await {
                    tracing::warn!(error = %e, "expired check-ins could not be purged");
                }
            }
        };
        tokio::spawn(tracing::Instrument::in_current_span(work))
    };
    let app = router(state.clone());
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await;
    reloader.abort();
    state.store.close().await;
    served
}
