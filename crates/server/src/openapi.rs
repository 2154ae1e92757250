//! The OpenAPI 3.1 document, generated from the route annotations.

use std::sync::LazyLock;

use utoipa::openapi::path::{HttpMethod, Operation};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi};

use healthcode_core::codes::CodeResponse;
use healthcode_core::registration::{RegisterRequest, RegisterResponse};
use healthcode_core::sessions::{LoginRequest, LoginResponse};

use crate::error::{ErrorBody, ErrorCodeSchema, ErrorDetail};

#[derive(OpenApi)]
#[openapi(
    info(title = "healthcode", description = "Privacy-first health codes: registration, dynamic signed codes, offline verification."),
    paths(
        crate::routes::citizens::register,
        crate::routes::sessions::login,
        crate::routes::sessions::logout,
        crate::routes::me::profile,
        crate::routes::me::code,
        crate::routes::me::export,
        crate::routes::me::access_log,
        crate::routes::me::delete,
        crate::routes::me::erase,
        crate::routes::certificates::dcc,
        crate::routes::certificates::shc,
        crate::routes::certificates::jwks,
        crate::routes::facts::self_test,
        crate::routes::facts::declaration,
        crate::routes::policies::explanation,
        crate::routes::policies::history,
        crate::routes::policies::active,
        crate::routes::policies::propose,
        crate::routes::policies::proposals,
        crate::routes::policies::approve,
        crate::routes::policies::retention,
        crate::routes::policies::publish_retention,
        crate::routes::policies::declare_risk_area,
        crate::routes::cases::request_override,
        crate::routes::cases::approve_override,
        crate::routes::cases::list_overrides,
        crate::routes::cases::file_appeal,
        crate::routes::cases::my_appeals,
        crate::routes::cases::open_appeals,
        crate::routes::cases::resolve_appeal,
        crate::routes::tubes::open,
        crate::routes::tubes::show,
        crate::routes::tubes::seal,
        crate::routes::tubes::add_sample,
        crate::routes::tubes::upload_result,
        crate::routes::venues::register,
        crate::routes::venues::list,
        crate::routes::venues::place_code,
        crate::routes::venues::counts,
        crate::routes::venues::checkers,
        crate::routes::venues::bind_checker,
        crate::routes::venues::unbind_checker,
        crate::routes::check_ins::scan_place,
        crate::routes::check_ins::scan_code,
        crate::routes::check_ins::itinerary,
        crate::routes::audit::head,
        crate::routes::audit::sign,
        crate::routes::audit::heads,
        crate::routes::audit::entries,
        crate::routes::audit::proof,
        crate::routes::audit::consistency,
        crate::routes::audit::search,
        crate::routes::me::keep_account,
        crate::routes::me::name_parts,
        crate::routes::me::set_name_parts,
        crate::routes::disposals::request,
        crate::routes::disposals::approve,
        crate::routes::disposals::list,
        crate::routes::disposals::certificate,
        crate::routes::services::list,
        crate::routes::services::schedule,
        crate::routes::services::cancel,
        crate::routes::services::history,
        crate::routes::public::trust_list,
        crate::routes::public::ping,
        crate::routes::public::health,
    ),
    components(schemas(ErrorBody, ErrorDetail, ErrorCodeSchema, RegisterRequest, RegisterResponse, LoginRequest, LoginResponse, CodeResponse,
        healthcode_core::lifecycle::Profile, healthcode_core::lifecycle::DeleteAccount,
        healthcode_core::lifecycle::ErasureRequest, healthcode_core::lifecycle::Erased,
        healthcode_core::lifecycle::Export, healthcode_core::lifecycle::ExportedProfile,
        healthcode_core::lifecycle::ExportedStatus, healthcode_core::lifecycle::ExportedFact,
        healthcode_core::lifecycle::ExportedCheckIn, healthcode_core::lifecycle::ExportedOverride,
        healthcode_core::lifecycle::ExportedSample, healthcode_core::lifecycle::ExportedSession,
        healthcode_core::access::AccessLog, healthcode_core::access::AccessEntry,
        healthcode_core::audit::SignedTreeHead, healthcode_core::audit::Heads, healthcode_core::audit::Entries,
        healthcode_core::audit::ServedEntry, healthcode_core::audit::InclusionProof,
        healthcode_core::audit::ConsistencyProof, healthcode_core::audit::SearchPage,
        healthcode_core::facts::SelfTestRequest, healthcode_core::facts::DeclarationRequest, healthcode_core::facts::FactRecorded,
        healthcode_core::policies::PublishedPolicy, healthcode_core::policies::ProposedPolicy,
        healthcode_core::retention::RetentionSchedules, healthcode_core::retention::PublishedSchedule, healthcode_core::policies::ExplanationResponse,
        healthcode_core::policies::RiskAreaRequest, healthcode_core::policies::RiskAreaDeclared,
        healthcode_core::cases::OverrideRequest, healthcode_core::cases::OverrideView, healthcode_core::cases::AppealRequest,
        healthcode_core::cases::AppealView, healthcode_core::cases::Resolution,
        healthcode_core::workbench::OpenTube, healthcode_core::workbench::TubeView, healthcode_core::workbench::ResultApplied,
        healthcode_core::workbench::SampleScan, healthcode_core::workbench::SampleAdded,
        healthcode_core::workbench::ResultInput,
        healthcode_core::venues::NewVenue, healthcode_core::venues::VenueView, healthcode_core::venues::VenueCreated,
        healthcode_core::venues::VenueList, healthcode_core::venues::PlaceCodeView, healthcode_core::venues::VenueCounts,
        healthcode_core::venues::DayCountView, healthcode_core::venues::VenueCheckers,
        healthcode_core::venues::BoundChecker, healthcode_core::check_ins::PlaceScan, healthcode_core::check_ins::CodeScan,
        healthcode_core::check_ins::CheckInRecorded, healthcode_core::check_ins::CodeScanned,
        healthcode_core::check_ins::ItineraryEntry, healthcode_core::check_ins::Itinerary,
        healthcode_core::certificates::DccCertificate, healthcode_core::certificates::DccCertificates,
        healthcode_core::certificates::DccNotIssued,
        healthcode_core::certificates::ShcCard, healthcode_core::certificates::ShcCards,
        healthcode_core::services::ServiceState, healthcode_core::services::NoticeText,
        healthcode_core::services::ClosureRequest, healthcode_core::services::ClosureHistoryEntry,
        healthcode_core::lifecycle::KeepAccount, healthcode_core::lifecycle::NameSplit, healthcode_core::lifecycle::NamePartsRequest,
        healthcode_core::disposal::DisposalRequest, healthcode_core::disposal::DisposalView)),
    modifiers(&BearerAuth, &ErrorResponses),
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(components) = openapi.components.as_mut() {
            components.add_security_scheme(
                "bearer",
                SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
            );
        }
    }
}

/// Adds to every operation the error answers that do not depend on the route:
/// those of the edge layer ([`crate::edge`]: a malformed request, the time
/// limit, bounds on the body, the request line and the headers, the refusal of
/// cross-site writes), of the JSON body extractor (wrong content type, a field
/// missing or mistyped), of authentication, and an internal error. An answer
/// the route documents itself is kept, and given this description if it has
/// none. Each is `ErrorBody`.
///
/// Not listed: 405 (it answers a method the path does not have, that is, an
/// operation the document does not describe) and 429 (only logins and
/// registrations are rate-limited; they document it themselves).
struct ErrorResponses;

impl ErrorResponses {
    /// Every operation: the request line, headers, body size and time limit.
    const ALWAYS: [(&'static str, &'static str); 6] = [
        (
            "400",
            "`request.invalid`, `request.invalid_json` or `request.invalid_query`: the request is malformed",
        ),
        ("408", "`request.timeout`: the request took too long"),
        ("413", "`request.too_large`: the body is too large"),
        ("414", "`request.uri_too_long`: the address is too long"),
        (
            "431",
            "`request.headers_too_large`: the request headers are too large",
        ),
        ("500", "`internal`: an internal error; it has been logged"),
    ];
    /// Operations that need a session.
    const UNAUTHORIZED: (&'static str, &'static str) = (
        "401",
        "`auth.required`: no session token, or one that is unknown, expired or ended",
    );
    /// Operations that need a session of some roles.
    const FORBIDDEN: (&'static str, &'static str) = (
        "403",
        "`auth.forbidden`: this account may not do this (or another code naming why)",
    );
    /// Operations that change state: a page of another site may not.
    const CROSS_SITE: (&'static str, &'static str) = (
        "403",
        "`request.cross_site`: a page of another site may not change anything here",
    );
    /// Both.
    const FORBIDDEN_OR_CROSS_SITE: (&'static str, &'static str) = (
        "403",
        "`auth.forbidden`: this account may not do this (or another code naming why); `request.cross_site`: a page of another site may not change anything here",
    );
    /// The citizen's own operations: a session another server still trusts
    /// (for `session_recheck` seconds) may outlive its person's erasure.
    const ERASED: (&'static str, &'static str) = (
        "410",
        "`person.erased`: the person was erased (a session another server still trusted)",
    );
    /// What the other error statuses mean, for the routes that document one
    /// without saying more; the body's code says which case it is.
    const OTHERS: [(&'static str, &'static str); 4] = [
        ("404", "`not_found`, or a code naming what does not exist"),
        (
            "409",
            "the request conflicts with the resource's state (the code says how)",
        ),
        ("422", "a value is invalid (the code says which)"),
        ("503", "the service cannot answer now; try again later"),
    ];
    /// Operations with a JSON body.
    const BODY: [(&'static str, &'static str); 2] = [
        (
            "415",
            "`request.content_type`: the body must be JSON (`Content-Type: application/json`)",
        ),
        (
            "422",
            "`request.invalid_field`: a field of the body is missing or has the wrong type (or a code naming the invalid value)",
        ),
    ];

    fn add(path: &str, method: &HttpMethod, operation: &mut Operation) {
        let secured = operation.security.as_ref().is_some_and(|s| !s.is_empty());
        let changes_state = !matches!(
            method,
            HttpMethod::Get | HttpMethod::Head | HttpMethod::Options
        );
        let mut statuses: Vec<(&str, &str)> = Self::ALWAYS.to_vec();
        if secured {
            statuses.push(Self::UNAUTHORIZED);
        }
        match (secured, changes_state) {
            (true, true) => statuses.push(Self::FORBIDDEN_OR_CROSS_SITE),
            (true, false) => statuses.push(Self::FORBIDDEN),
            (false, true) => statuses.push(Self::CROSS_SITE),
            (false, false) => {}
        }
        if operation.request_body.is_some() {
            statuses.extend(Self::BODY);
        }
        if secured && (path == "/v1/me" || path.starts_with("/v1/me/")) {
            statuses.push(Self::ERASED);
        }
        for (status, description) in statuses {
            let responses = &mut operation.responses.responses;
            match responses.get_mut(status) {
                Some(RefOr::T(response)) => {
                    if response.description.is_empty() {
                        response.description = description.to_owned();
                    }
                }
                Some(RefOr::Ref(_)) => {}
                None => {
                    let body = ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("ErrorBody")))
                        .build();
                    let response = ResponseBuilder::new()
                        .description(description)
                        .content("application/json", body)
                        .build();
                    responses.insert(status.to_owned(), RefOr::T(response));
                }
            }
        }
        // The route's own errors that it left undescribed.
        for (status, response) in &mut operation.responses.responses {
            if let RefOr::T(response) = response
                && response.description.is_empty()
                && let Some(description) = Self::OTHERS
                    .iter()
                    .find_map(|(s, d)| (s == status).then_some(*d))
            {
                response.description = (*description).to_owned();
            }
        }
    }
}

impl Modify for ErrorResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            for (method, operation) in [
                (HttpMethod::Get, item.get.as_mut()),
                (HttpMethod::Put, item.put.as_mut()),
                (HttpMethod::Post, item.post.as_mut()),
                (HttpMethod::Delete, item.delete.as_mut()),
                (HttpMethod::Patch, item.patch.as_mut()),
            ] {
                if let Some(operation) = operation {
                    Self::add(path, &method, operation);
                }
            }
        }
    }
}

static DOCUMENT: LazyLock<String> = LazyLock::new(|| {
    ApiDoc::openapi()
        .to_pretty_json()
        .unwrap_or_else(|_| "{}".to_owned())
});

/// `GET /openapi.json`: the OpenAPI 3.1 description of this API (built once).
pub async fn document() -> impl axum::response::IntoResponse {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        DOCUMENT.as_str(),
    )
}
