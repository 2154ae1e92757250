//! The healthcode HTTP service: JSON API, web pages, OpenAPI document and metrics.
//!
//! This crate is the HTTP adapter of the application core
//! ([`healthcode_core`]): handlers parse the request, authorise the caller,
//! call one service and map its error to a status ([`error::status_of`]).

pub mod auth;
mod edge;
mod error;
pub mod listener;
mod metrics;
mod openapi;
mod pages;
pub mod routes;

use std::future::Future;

use healthcode_core::AppState;

pub use error::{ApiError, status_of};
pub use listener::{ConnectionLimits, serve_router};
pub use routes::router;

/// Serves until `shutdown` resolves, then stops accepting connections and lets
/// requests in flight finish. The service's periodic jobs run meanwhile.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // The jobs log under the caller's span (a province's, when one process
    // serves several).
    let jobs = tokio::spawn(tracing::Instrument::in_current_span(
        healthcode_core::jobs::run(state.clone()),
    ));
    let app = router(state.clone());
    let limits = listener::limits_of(state.config());
    let served = serve_router(listener, app, limits, shutdown).await;
    jobs.abort();
    state.store().close().await;
    served
}
