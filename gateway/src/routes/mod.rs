//! Every HTTP route, one router per module, merged here in one place.
//!
//! To add a module: `pub mod x;` below and `.merge(x::router())` in [`router`]. A module's
//! `router()` returns `Router<AppState>`; its handlers take `State<AppState>` and, when they
//! need the caller, [`crate::auth::AuthUser`].

pub mod auth;
pub mod dashboard;
pub mod explain;
pub mod features;
pub mod health;
pub mod history;
pub mod import;
pub mod insights;
pub mod journal;
pub mod oauth;
pub mod owner;
pub mod predict;
pub mod profile;
pub mod stats;
pub mod tests;
pub mod users;
pub mod wire;

use axum::Router;
use tower_http::timeout::TimeoutLayer;

use crate::state::AppState;

/// The API: every module's routes, each request bounded by `REQUEST_TIMEOUT_SECS` (408),
/// except the CSV analysis and the journal import, bounded by `CSV_TIMEOUT_SECS`.
pub fn router(state: &AppState) -> Router<AppState> {
    let config = &state.config;
    let timed = |router: Router<AppState>, limit| {
        router.layer(TimeoutLayer::with_status_code(
            http::StatusCode::REQUEST_TIMEOUT,
            limit,
        ))
    };
    let api = Router::new()
        .merge(auth::router())
        .merge(journal::router())
        .merge(history::router())
        .merge(import::export_router())
        .merge(predict::router())
        .merge(explain::router())
        .merge(features::router())
        .merge(oauth::router(config))
        .merge(crate::openapi::router())
        .merge(health::router());
    let uploads = predict::csv_router(config).merge(import::router());
    timed(api, config.request_timeout).merge(timed(uploads, config.csv_timeout))
}
