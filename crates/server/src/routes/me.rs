//! The citizen's own data: profile, current health code, export, access log,
//! and deleting it all; and an authority's erasure on a written request.

use axum::Json;
use axum::body::Body;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::{HeaderValue, Response, StatusCode, header};
use healthcode_core::AppState;
use healthcode_core::access::{self, AccessLog, AccessLogQuery};
use healthcode_core::codes::{self, CodeResponse};
use healthcode_core::lifecycle::{self, Profile};
use healthcode_core::lifecycle::{
    DeleteAccount, Erased, ErasureRequest, Export, KeepAccount, NamePartsRequest, NameSplit,
};
use healthcode_domain::role::Role;

use crate::auth::Authenticated;
use crate::error::{ApiError, ErrorBody};

#[utoipa::path(get, path = "/v1/me", tag = "citizens",
    responses((status = 200, body = Profile), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn profile(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
) -> Result<Json<Profile>, ApiError> {
    Ok(Json(lifecycle::profile(&state, &caller).await?))
}

/// The citizen's current health code: a short-lived signed payload and its QR.
#[utoipa::path(get, path = "/v1/me/code", tag = "citizens",
    responses((status = 200, body = CodeResponse), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 410, description = "`service.suspended`: the `code-display` service is suspended or retired (`notice` and `since` say why and since when); `person.erased`: the person was erased (a session another server still trusted)", body = ErrorBody),
        (status = 503, description = "`keys.no_signer`: no signing key is active", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn code(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
) -> Result<Response<Body>, ApiError> {
    let code = codes::my_code(&state, &caller).await?;
    let mut response = Response::new(Body::from(code.body.clone()));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// Personal data: never stored by caches on the way.
fn private<T: serde::Serialize>(body: T) -> impl axum::response::IntoResponse {
    ([(header::CACHE_CONTROL, "no-store")], Json(body))
}

/// Everything held about the citizen, in one JSON document.
#[utoipa::path(get, path = "/v1/me/export", tag = "citizens",
    responses((status = 200, body = Export), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 410, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn export(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
) -> Result<impl axum::response::IntoResponse, ApiError> {
    Ok(private(lifecycle::export_me(&state, &caller).await?))
}

/// Who opened the citizen's data, other than the citizen, newest first, a page
/// at a time.
#[utoipa::path(get, path = "/v1/me/access-log", tag = "citizens", params(AccessLogQuery),
    responses((status = 200, body = AccessLog), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn access_log(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    query: Result<Query<AccessLogQuery>, QueryRejection>,
) -> Result<impl axum::response::IntoResponse, ApiError> {
    caller.citizen()?;
    let Query(query) = query?;
    Ok(private(
        access::my_access_log(&state, &caller, &query).await?,
    ))
}

/// Deletes the citizen's account and every datum held about them, for good:
/// their data key is destroyed first, so no copy or backup of the data can be
/// read again. The password is asked for again.
#[utoipa::path(delete, path = "/v1/me", tag = "citizens", request_body = DeleteAccount,
    responses((status = 204, description = "erased"),
        (status = 400, description = "`password.too_long`, or a malformed request", body = ErrorBody),
        (status = 401, description = "`auth.invalid_credentials`: the password is wrong; `auth.required`: no valid session", body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn delete(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    body: Result<Json<DeleteAccount>, JsonRejection>,
) -> Result<StatusCode, ApiError> {
    caller.citizen()?;
    let Json(req) = body?;
    lifecycle::delete_me(&state, &caller, &req).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An authority erases a person on their written request (for people who
/// cannot use a phone); the erasure is recorded with the request's reference.
#[utoipa::path(post, path = "/v1/people/erase", tag = "authority", request_body = ErasureRequest,
    responses((status = 200, body = Erased), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn erase(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    body: Result<Json<ErasureRequest>, JsonRejection>,
) -> Result<Json<Erased>, ApiError> {
    caller.require(&[Role::Authority])?;
    let Json(req) = body?;
    Ok(Json(
        lifecycle::erase_on_request(&state, &caller, &req).await?,
    ))
}

#[utoipa::path(put, path = "/v1/me/keep-account", tag = "citizens", request_body = KeepAccount,
    responses((status = 200, body = KeepAccount), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn keep_account(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    body: Result<Json<KeepAccount>, JsonRejection>,
) -> Result<Json<KeepAccount>, ApiError> {
    let Json(choice) = body?;
    Ok(Json(
        lifecycle::keep_account(&state, &caller, &choice).await?,
    ))
}

/// The surname and given name the citizen's certificates carry: as given or
/// confirmed, else as proposed from the registered name (`confirmed: false`).
#[utoipa::path(get, path = "/v1/me/name-parts", tag = "citizens",
    responses((status = 200, body = NameSplit), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn name_parts(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
) -> Result<Json<NameSplit>, ApiError> {
    Ok(Json(lifecycle::name_parts(&state, &caller).await?))
}

/// The citizen confirms or corrects their surname and given name, as their
/// passport prints them; together they must make up the registered name.
#[utoipa::path(put, path = "/v1/me/name-parts", tag = "citizens", request_body = NamePartsRequest,
    responses((status = 200, body = NameSplit), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn set_name_parts(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    body: Result<Json<NamePartsRequest>, JsonRejection>,
) -> Result<Json<NameSplit>, ApiError> {
    let Json(req) = body?;
    Ok(Json(
        lifecycle::set_name_parts(&state, &caller, &req).await?,
    ))
}
