//! The OpenAPI 3.1 document, generated from the route annotations.

use std::sync::LazyLock;

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::codes::CodeResponse;
use crate::error::{ErrorBody, ErrorDetail};
use crate::routes::{LoginRequest, LoginResponse, RegisterRequest, RegisterResponse};

#[derive(OpenApi)]
#[openapi(
    info(title = "healthcode", description = "Privacy-first health codes: registration, dynamic signed codes, offline verification."),
    paths(
        crate::routes::citizens::register,
        crate::routes::sessions::login,
        crate::routes::sessions::logout,
        crate::routes::me::profile,
        crate::routes::me::code,
        crate::routes::certificates::dcc,
        crate::routes::certificates::shc,
        crate::routes::certificates::jwks,
        crate::routes::facts::self_test,
        crate::routes::facts::declaration,
        crate::routes::policies::explanation,
        crate::routes::policies::history,
        crate::routes::policies::active,
        crate::routes::policies::publish,
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
        crate::routes::public::trust_list,
        crate::routes::public::ping,
        crate::routes::public::health,
    ),
    components(schemas(ErrorBody, ErrorDetail, RegisterRequest, RegisterResponse, LoginRequest, LoginResponse, CodeResponse, crate::routes::me::Profile,
        crate::routes::facts::SelfTestRequest, crate::routes::facts::DeclarationRequest, crate::routes::facts::FactRecorded,
        crate::routes::policies::PublishedPolicy, crate::routes::policies::ExplanationResponse,
        crate::routes::policies::RiskAreaRequest, crate::routes::policies::RiskAreaDeclared,
        crate::routes::cases::OverrideRequest, crate::routes::cases::OverrideView, crate::routes::cases::AppealRequest,
        crate::routes::cases::AppealView, crate::routes::cases::Resolution,
        crate::routes::tubes::OpenTube, crate::routes::tubes::TubeView, crate::routes::tubes::ResultApplied,
        crate::routes::tubes::SampleScan, crate::routes::tubes::SampleAdded,
        crate::workbench::ResultInput,
        crate::routes::venues::NewVenue, crate::routes::venues::VenueView, crate::routes::venues::VenueCreated,
        crate::routes::venues::VenueList, crate::routes::venues::PlaceCodeView, crate::routes::venues::VenueCounts,
        crate::routes::venues::DayCountView, crate::routes::check_ins::PlaceScan, crate::routes::check_ins::CodeScan,
        crate::routes::check_ins::CheckInRecorded, crate::routes::check_ins::CodeScanned,
        crate::routes::check_ins::ItineraryEntry, crate::routes::check_ins::Itinerary,
        crate::routes::certificates::DccCertificate, crate::routes::certificates::DccCertificates,
        crate::routes::certificates::ShcCard, crate::routes::certificates::ShcCards)),
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

/// The document as JSON text (built once).
pub fn document() -> &'static str {
    &DOCUMENT
}
