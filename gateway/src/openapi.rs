//! The OpenAPI document (`GET /api/openapi.json`) and Swagger UI (`/api/docs`), served from
//! assets compiled into the binary (utoipa-swagger-ui's `vendored` feature), so the docs work
//! offline and the build downloads nothing.

use axum::Router;
use utoipa::{
    Modify, OpenApi,
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
};
use utoipa_swagger_ui::SwaggerUi;

use crate::{domain, error::ErrorBody, routes, state::AppState};

mod responses;

#[derive(Debug, OpenApi)]
#[openapi(
    info(title = "moodtracker API", description = "Journal, sentiment predictions and self-assessments."),
    paths(
        routes::auth::register, routes::auth::login, routes::auth::refresh_tokens,
        routes::auth::logout, routes::auth::me,
        routes::journal::list_entries, routes::journal::create_entry, routes::journal::get_entry,
        routes::journal::update_entry, routes::journal::delete_entry,
        routes::journal::journal_analytics,
        routes::predict::predict_roberta, routes::predict::predict_lstm,
        routes::predict::predict_both, routes::predict::analyze_csv,
        routes::explain::explain_text, routes::explain::explain_entry,
        routes::health::health,
    ),
    components(schemas(
        ErrorBody,
        domain::sentiment::SentimentResult, domain::sentiment::Scores, domain::sentiment::Sentiment,
        domain::analytics::Analytics, routes::auth::RegisterRequest, routes::auth::LoginRequest,
        routes::auth::RefreshRequest, routes::auth::UserView,
        routes::explain::ExplainRequest, routes::explain::ModelChoice,
        routes::explain::ExplainResponse, routes::explain::EntryExplanationResponse,
        routes::explain::Explanations, routes::explain::ModelExplanationView,
        routes::explain::WordAttributionView,
    )),
    modifiers(&BearerAuth),
)]
pub struct ApiDoc;

/// Declares the `bearer` scheme the protected paths refer to.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let scheme = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .bearer_format("JWT")
            .build();
        components.add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

/// `/api/docs` (Swagger UI) and `/api/openapi.json`. Other modules' paths can be added with
/// `ApiDoc::openapi().merge(...)` here.
pub fn router() -> Router<AppState> {
    Router::new().merge(SwaggerUi::new("/api/docs").url("/api/openapi.json", document()))
}

/// The whole document: this module's paths, the feature routes' (`routes::features`) and the
/// history routes' (`routes::history`), with the statuses every route shares
/// ([`responses::add_common_responses`]).
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi()
        .merge_from(routes::features::FeaturesDoc::openapi())
        .merge_from(routes::history::HistoryDoc::openapi());
    routes::history::document_calendar_years(&mut doc);
    responses::add_common_responses(&mut doc);
    doc
}
