//! The service's periodic work: reloading keys, policies and risk areas,
//! applying time-based colour transitions and enforcing retention.

use std::time::Duration;

use healthcode_store::StoreError;

use crate::actor::job;
use crate::app::AppState;
use crate::error::Error;
use crate::recompute;

/// How often the itinerary retention runs (seconds).
const PURGE_EVERY: i64 = 300;

/// Deletes check-ins older than the itinerary retention; returns how many.
pub async fn purge_expired_check_ins(state: &AppState) -> Result<u64, StoreError> {
    state
        .store()
        .purge_check_ins_before(state.now() - state.config().check_in_retention)
        .await
}

/// Deletes sessions that have expired; returns how many.
pub async fn purge_expired_sessions(state: &AppState) -> Result<u64, Error> {
    let mut unit = state.begin(job("sessions")).await?;
    let purged = unit.purge_expired_sessions().await?;
    unit.commit().await?;
    Ok(purged)
}

/// Runs the periodic work every `key_reload` seconds until the future is
/// dropped. Failures are logged and retried at the next tick.
pub async fn run(state: AppState) {
    let every = Duration::from_secs(state.config().key_reload.max(1));
    let mut tick = tokio::time::interval(every);
    let mut last_purge = i64::MIN;
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
        match crate::lifecycle::finish_pending_erasures(&state).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(finished = n, "erasures left half-done were finished"),
            Err(e) => tracing::warn!(error = %e, "pending erasures could not be finished"),
        }
        match recompute::sweep_due(&state).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(recomputed = n, "time-based colour transitions applied"),
            Err(e) => tracing::warn!(error = %e, "time-based recomputation failed"),
        }
        if let Err(e) = purge_expired_sessions(&state).await {
            tracing::warn!(error = %e, "expired sessions could not be purged");
        }
        if state.now().saturating_sub(last_purge) >= PURGE_EVERY {
            last_purge = state.now();
            if let Err(e) = purge_expired_check_ins(&state).await {
                tracing::warn!(error = %e, "expired check-ins could not be purged");
            }
        }
    }
}
