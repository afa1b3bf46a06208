//! The self-assessment, insight, dashboard, account and public-stats routes as one router,
//! and their OpenAPI document (with the Google and GitHub sign-in routes of `routes::oauth`) (merged into the main one in `openapi.rs`).

use axum::Router;
use utoipa::OpenApi;

use crate::{domain, routes, state::AppState};

/// These routes, merged once by `routes::router`.
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(routes::tests::router())
        .merge(routes::insights::router())
        .merge(routes::dashboard::router())
        .merge(routes::stats::router())
        .merge(routes::users::router())
}

#[derive(Debug, OpenApi)]
#[openapi(
    paths(
        routes::tests::list_tests,
        routes::tests::get_test,
        routes::tests::submit_test,
        routes::tests::test_results,
        routes::insights::notification_insights,
        routes::insights::mental_health_insights,
        routes::dashboard::dashboard_stats,
        routes::stats::public_stats,
        routes::users::get_profile,
        routes::users::put_profile,
        routes::users::export,
        routes::users::delete_account,
        routes::oauth::google,
        routes::oauth::github,
    ),
    components(schemas(
        routes::tests::TestSummary,
        routes::tests::SubmitRequest,
        routes::users::DeleteRequest,
        domain::assessments::Answer,
        domain::assessments::TraitScores,
        domain::assessments::CrisisSupport,
        domain::assessments::CrisisResource,
        domain::coping::CopingStrategy,
        domain::insights::Insight,
    ))
)]
pub struct FeaturesDoc;
