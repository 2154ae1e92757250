//! The sampling workbench (collectors open tubes) and laboratories (results per tube).

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use healthcode_domain::role::Role;
use healthcode_store::AddSample;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;
use crate::workbench::{self, Applied, ResultInput};

/// A tube to open.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenTube {
    /// The tube's barcode.
    pub tube_id: String,
    /// 1 for an individual sample, or the pool size (at most `max_pool`, 20 by default).
    pub capacity: i64,
}

/// A tube as the workbench and laboratory see it: counts, never people.
#[derive(Serialize, ToSchema)]
pub struct TubeView {
    pub tube_id: String,
    pub capacity: i64,
    pub samples: usize,
    pub sealed: bool,
    pub outcome: Option<String>,
}

#[utoipa::path(post, path = "/v1/tubes", tag = "workbench", request_body = OpenTube,
    responses((status = 201, body = TubeView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn open(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Json<OpenTube>, JsonRejection>,
) -> Result<(StatusCode, Json<TubeView>), ApiError> {
    caller.require(&[Role::Collector])?;
    let Json(req) = body?;
    let tube_id = req.tube_id.trim();
    if tube_id.is_empty()
        || tube_id.len() > 64
        || !tube_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "tube.id",
            "tube_id must be 1 to 64 letters, digits, '-' or '_'",
        ));
    }
    if req.capacity < 1 || req.capacity > state.config.max_pool {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "tube.capacity",
            format!("capacity must be 1 to {}", state.config.max_pool),
        ));
    }
    state
        .store
        .open_tube(tube_id, req.capacity, &caller.account_id, state.now())
        .await
        .map_err(|e| match e {
            healthcode_store::StoreError::Conflict(_) => ApiError::new(
                StatusCode::CONFLICT,
                "tube.exists",
                "a tube with this id exists",
            ),
            other => other.into(),
        })?;
    Ok((
        StatusCode::CREATED,
        Json(TubeView {
            tube_id: tube_id.to_owned(),
            capacity: req.capacity,
            samples: 0,
            sealed: false,
            outcome: None,
        }),
    ))
}

#[utoipa::path(get, path = "/v1/tubes/{id}", tag = "workbench",
    params(("id" = String, Path, description = "the tube")),
    responses((status = 200, body = TubeView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<TubeView>, ApiError> {
    caller.require(&[Role::Collector, Role::Lab])?;
    let tube = state
        .store
        .tube(&id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(TubeView {
        tube_id: tube.id,
        capacity: tube.capacity,
        samples: tube.members.len(),
        sealed: tube.sealed_at.is_some(),
        outcome: tube.outcome,
    }))
}

#[utoipa::path(post, path = "/v1/tubes/{id}/seal", tag = "workbench",
    params(("id" = String, Path, description = "the tube")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn seal(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    caller.require(&[Role::Collector])?;
    if state.store.seal_tube(&id, state.now()).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::new(
            StatusCode::CONFLICT,
            "tube.not_open",
            "no open tube with this id",
        ))
    }
}

/// What a result upload did.
#[derive(Serialize, ToSchema)]
pub struct ResultApplied {
    /// `new` or `repeat` (the same result was uploaded before).
    pub status: String,
    /// How many people's records it updated.
    pub members: usize,
}

#[utoipa::path(post, path = "/v1/results", tag = "laboratory", request_body = ResultInput,
    responses((status = 200, body = ResultApplied), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn upload_result(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Json<ResultInput>, JsonRejection>,
) -> Result<Json<ResultApplied>, ApiError> {
    caller.require(&[Role::Lab])?;
    let Json(input) = body?;
    let result = input
        .validate(state.now(), state.config.clock_skew)
        .map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.code, e.message))?;
    let applied = workbench::apply(&state, &result, &caller.account_id).await?;
    Ok(Json(match applied {
        Applied::New { members } => ResultApplied {
            status: "new".to_owned(),
            members,
        },
        Applied::Repeat => ResultApplied {
            status: "repeat".to_owned(),
            members: 0,
        },
    }))
}

/// A personal code scanned at the workbench.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SampleScan {
    pub personal_code: String,
}

/// A sample added to a tube: what the collector's screen shows.
#[derive(Serialize, ToSchema)]
pub struct SampleAdded {
    pub tube_id: String,
    /// Samples in the tube now, and its capacity.
    pub samples: usize,
    pub capacity: i64,
    /// The masked name from the code, to compare with the person in front of the collector.
    pub masked_name: String,
    /// True when this person was already in the tube (a repeated scan).
    pub repeat: bool,
}

#[utoipa::path(post, path = "/v1/tubes/{id}/samples", tag = "workbench", request_body = SampleScan,
    params(("id" = String, Path, description = "the tube")),
    responses((status = 201, body = SampleAdded), (status = 200, description = "already in the tube", body = SampleAdded),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn add_sample(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Result<Json<SampleScan>, JsonRejection>,
) -> Result<(StatusCode, Json<SampleAdded>), ApiError> {
    caller.require(&[Role::Collector])?;
    let Json(scan) = body?;
    let (verified, person_id) =
        crate::routes::check_ins::scanned_person(&state, &scan.personal_code)?;
    if state.store.code_inputs(&person_id).await?.is_none() {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "person.not_found",
            "the code's holder is not registered",
        ));
    }
    let outcome = state.store.add_sample(&id, &person_id, state.now()).await?;
    let conflict =
        |code: &'static str, message: &str| ApiError::new(StatusCode::CONFLICT, code, message);
    let status = match outcome {
        AddSample::Added => StatusCode::CREATED,
        AddSample::AlreadyIn => StatusCode::OK,
        AddSample::Full => return Err(conflict("tube.full", "the tube is full; open a new one")),
        AddSample::Sealed => return Err(conflict("tube.sealed", "the tube is sealed")),
        AddSample::NoSuchTube => {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "tube.not_found",
                "no tube with this id",
            ));
        }
    };
    let tube = state
        .store
        .tube(&id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok((
        status,
        Json(SampleAdded {
            tube_id: tube.id,
            samples: tube.members.len(),
            capacity: tube.capacity,
            masked_name: verified.claims.masked_name,
            repeat: outcome == AddSample::AlreadyIn,
        }),
    ))
}
