//! The service's periodic work: reloading keys, policies and risk areas,
//! applying time-based colour transitions and enforcing retention.

use std::time::Duration;

use crate::app::AppState;
use crate::recompute;

/// Runs the periodic work every `key_reload` seconds until the future is
/// dropped. Failures are logged and retried at the next tick.
pub async fn run(state: AppState) {
    let every = Duration::from_secs(state.config().key_reload.max(1));
    let mut tick = tokio::time::interval(every);
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
            Ok(n) => tracing::info!(recomputed = n, "time-based colour transitions applied"),
            Err(e) => tracing::warn!(error = %e, "time-based recomputation failed"),
        }
        if let Err(e) = state.store().purge_expired_sessions(state.now()).await {
            tracing::warn!(error = %e, "expired sessions could not be purged");
        }
        if let Err(e) = state.check_ins().purge_expired(&state).await {
            tracing::warn!(error = %e, "expired check-ins could not be purged");
        }
    }
}
