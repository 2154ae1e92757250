//! The OpenAPI 3.1 document, generated from the route annotations.

use std::sync::LazyLock;

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
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
        crate::routes::policies::publish,
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
        healthcode_core::policies::PublishedPolicy,
        healthcode_core::retention::RetentionSchedules, healthcode_core::retention::PublishedSchedule, healthcode_core::policies::ExplanationResponse,
        healthcode_core::policies::RiskAreaRequest, healthcode_core::policies::RiskAreaDeclared,
        healthcode_core::cases::OverrideRequest, healthcode_core::cases::OverrideView, healthcode_core::cases::AppealRequest,
        healthcode_core::cases::AppealView, healthcode_core::cases::Resolution,
        healthcode_core::workbench::OpenTube, healthcode_core::workbench::TubeView, healthcode_core::workbench::ResultApplied,
        healthcode_core::workbench::SampleScan, healthcode_core::workbench::SampleAdded,
        healthcode_core::workbench::ResultInput,
        healthcode_core::venues::NewVenue, healthcode_core::venues::VenueView, healthcode_core::venues::VenueCreated,
        healthcode_core::venues::VenueList, healthcode_core::venues::PlaceCodeView, healthcode_core::venues::VenueCounts,
        healthcode_core::venues::DayCountView, healthcode_core::check_ins::PlaceScan, healthcode_core::check_ins::CodeScan,
        healthcode_core::check_ins::CheckInRecorded, healthcode_core::check_ins::CodeScanned,
        healthcode_core::check_ins::ItineraryEntry, healthcode_core::check_ins::Itinerary,
        healthcode_core::certificates::DccCertificate, healthcode_core::certificates::DccCertificates,
        healthcode_core::certificates::ShcCard, healthcode_core::certificates::ShcCards,
        healthcode_core::services::ServiceState, healthcode_core::services::NoticeText,
        healthcode_core::services::ClosureRequest, healthcode_core::services::ClosureHistoryEntry,
        healthcode_core::lifecycle::KeepAccount,
        healthcode_core::disposal::DisposalRequest, healthcode_core::disposal::DisposalView)),
    modifiers(&BearerAuth),
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
