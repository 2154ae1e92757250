//! The HTTP routes, one module per audience, assembled into one router.

pub(crate) mod audit;
pub(crate) mod cases;
pub(crate) mod certificates;
pub(crate) mod check_ins;
pub(crate) mod citizens;
pub(crate) mod disposals;
pub(crate) mod facts;
pub(crate) mod me;
pub(crate) mod policies;
pub(crate) mod public;
pub(crate) mod services;
pub(crate) mod sessions;
pub(crate) mod tubes;
pub(crate) mod venues;

use axum::Router;
use axum::routing::{get, post, put};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;

use healthcode_core::{AppState, Error};

use crate::error::ApiError;
use crate::{edge, metrics, pages};

/// The whole service: JSON API, pages, OpenAPI, metrics.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/v1/citizens", post(citizens::register))
        .route(
            "/v1/sessions",
            post(sessions::login).delete(sessions::logout),
        )
        .route("/v1/me", get(me::profile).delete(me::delete))
        .route("/v1/me/export", get(me::export))
        .route("/v1/me/access-log", get(me::access_log))
        .route("/v1/me/keep-account", axum::routing::put(me::keep_account))
        .route(
            "/v1/me/name-parts",
            get(me::name_parts).put(me::set_name_parts),
        )
        .route("/v1/people/erase", post(me::erase))
        .route("/v1/me/code", get(me::code))
        .route("/v1/me/certificates/dcc", get(certificates::dcc))
        .route("/v1/me/certificates/shc", get(certificates::shc))
        .route("/.well-known/jwks.json", get(certificates::jwks))
        .route("/v1/me/explanation", get(policies::explanation))
        .route("/v1/me/self-tests", post(facts::self_test))
        .route("/v1/me/declarations", post(facts::declaration))
        .route(
            "/v1/policies",
            get(policies::history).post(policies::propose),
        )
        .route("/v1/policies/proposals", get(policies::proposals))
        .route("/v1/policies/{version}/approve", post(policies::approve))
        .route("/v1/policies/active", get(policies::active))
        .route(
            "/v1/retention",
            get(policies::retention).post(policies::publish_retention),
        )
        .route("/v1/risk-areas", post(policies::declare_risk_area))
        .route(
            "/v1/overrides",
            get(cases::list_overrides).post(cases::request_override),
        )
        .route("/v1/overrides/{id}/approve", post(cases::approve_override))
        .route(
            "/v1/me/appeals",
            get(cases::my_appeals).post(cases::file_appeal),
        )
        .route("/v1/appeals", get(cases::open_appeals))
        .route("/v1/appeals/{id}/resolve", post(cases::resolve_appeal))
        .route("/v1/tubes", post(tubes::open))
        .route("/v1/tubes/{id}", get(tubes::show))
        .route("/v1/tubes/{id}/seal", post(tubes::seal))
        .route("/v1/tubes/{id}/samples", post(tubes::add_sample))
        .route("/v1/results", post(tubes::upload_result))
        .route("/v1/venues", get(venues::list).post(venues::register))
        .route("/v1/venues/{id}/place-code", get(venues::place_code))
        .route("/v1/venues/{id}/counts", get(venues::counts))
        .route("/v1/venues/{id}/checkers", get(venues::checkers))
        .route(
            "/v1/venues/{id}/checkers/{username}",
            put(venues::bind_checker).delete(venues::unbind_checker),
        )
        .route(
            "/v1/me/check-ins",
            get(check_ins::itinerary).post(check_ins::scan_place),
        )
        .route("/v1/check-ins", post(check_ins::scan_code))
        .route("/v1/audit/head", get(audit::head))
        .route("/v1/audit/heads", get(audit::heads).post(audit::sign))
        .route("/v1/audit/entries", get(audit::entries))
        .route("/v1/audit/proof", get(audit::proof))
        .route("/v1/audit/consistency", get(audit::consistency))
        .route("/v1/audit/search", get(audit::search))
        .route("/v1/services", get(services::list))
        .route("/v1/services/closures", post(services::schedule))
        .route(
            "/v1/services/{service}/closure",
            axum::routing::delete(services::cancel),
        )
        .route("/v1/services/history", get(services::history))
        .route(
            "/v1/disposals",
            get(disposals::list).post(disposals::request),
        )
        .route("/v1/disposals/{id}/approve", post(disposals::approve))
        .route(
            "/v1/disposals/{id}/certificate",
            get(disposals::certificate),
        )
        .route("/v1/trust-list", get(public::trust_list))
        .route(
            "/.well-known/healthcode/trust-list.json",
            get(public::trust_list),
        )
        .route("/v1/ping", get(public::ping))
        .route("/healthz", get(public::health))
        .route("/openapi.json", get(crate::openapi::document))
        .route("/metrics", get(metrics::exposition));
    // Trace spans carry method and matched route only: URIs could carry personal data.
    let trace = TraceLayer::new_for_http().make_span_with(|req: &axum::extract::Request| {
        let route = req
            .extensions()
            .get::<axum::extract::MatchedPath>()
            .map_or("unmatched", |p| p.as_str());
        tracing::info_span!("request", method = %req.method(), route)
    });
    api.merge(pages::router(state.clone()))
        .fallback(|| async { ApiError(Error::not_found()) })
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::record,
        ))
        .layer(trace)
        .layer(RequestBodyLimitLayer::new(state.config().max_body_bytes))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            edge::guard,
        ))
        .layer(CatchPanicLayer::custom(|_| {
            ApiError(Error::internal("handler panicked")).into_response_owned()
        }))
        .with_state(state)
}

trait IntoResponseOwned {
    fn into_response_owned(self) -> axum::response::Response;
}

impl IntoResponseOwned for ApiError {
    fn into_response_owned(self) -> axum::response::Response {
        axum::response::IntoResponse::into_response(self)
    }
}
