//! The web app: server-rendered pages at `/` for a person keeping a journal, compiled into the
//! gateway (`WEB_ENABLED`, default true; false serves the API alone, unchanged).
//!
//! Every page works with JavaScript off: forms post, the server redirects (Post/Redirect/Get)
//! or answers the form again with its errors. `static/app.js` only adds niceties (live
//! analysis while typing, chart tooltips). Templates are maud (`html!`, checked at compile
//! time, escaping every interpolated string); static files are embedded with `include_str!`.
//!
//! The pages call the API's own handler functions and store queries with the signed-in
//! person as [`crate::auth::AuthUser`], so validation, scoring, ownership and audit rules are
//! the API's, never a copy. Their errors ([`crate::ApiError`]) become HTML pages here
//! ([`WebError`]).
//!
//! - [`session`]: the session cookie (bound to a refresh-token family) and CSRF tokens;
//!   [`extract`]: the extractors that check them.
//! - [`layout`]: the page frame, navigation, form fields and error pages.
//! - one module per journey: [`auth`], [`journal`], [`dashboard`] (+ [`charts`]),
//!   [`assessments`], [`analyze`], [`account`]; [`oauth`] (sign-in with GitHub and Google).

pub mod account;
pub mod analyze;
pub mod assessments;
pub mod auth;
pub mod charts;
pub mod dashboard;
pub mod extract;
pub mod journal;
pub mod layout;
pub mod oauth;
pub mod session;

use axum::{
    Router,
    extract::{Path, Request},
    http::{HeaderValue, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
    routing::get,
};
use tower_http::{compression::CompressionLayer, set_header::SetResponseHeaderLayer};

use crate::{error::ApiError, state::AppState};

pub use extract::{CsrfForm, MaybeWebUser, PreForm, WebUser};
pub use session::SessionKeys;

/// The pages' policy: nothing inline (no `unsafe-inline`, no `unsafe-eval`), nothing from
/// another origin; the SVG charts are inline markup styled by classes and presentation
/// attributes, which `style-src` does not govern.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

const CSS: &str = include_str!("static/app.css");
const JS: &str = include_str!("static/app.js");
const ICON: &str = include_str!("static/icon.svg");

/// The web app's routes; empty when `WEB_ENABLED=false`.
pub fn router(state: &AppState) -> Router<AppState> {
    if !state.config.web_enabled {
        return Router::new();
    }
    let pages = Router::new()
        .route("/", get(home))
        .merge(auth::router())
        .merge(oauth::router(state))
        .merge(journal::router())
        .merge(dashboard::router())
        .merge(assessments::router())
        .merge(analyze::router(state))
        .merge(account::router())
        // A person's pages must never sit in a shared cache, nor in the history after sign-out.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ));
    pages
        .route("/static/{file}", get(asset))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ))
        .layer(CompressionLayer::new())
}

/// The session and CSRF keys of this configuration.
pub fn keys(state: &AppState) -> SessionKeys {
    SessionKeys::new(&state.config)
}

/// `/`: the journal when signed in, else the welcome page.
async fn home(user: MaybeWebUser) -> Response {
    match user.0 {
        Some(_) => Redirect::to("/journal").into_response(),
        None => layout::welcome().into_response(),
    }
}

/// The embedded stylesheet and script. Their names carry no hash, so browsers revalidate
/// after an hour rather than keep a stale copy across an upgrade for a year.
async fn asset(Path(file): Path<String>) -> Response {
    let (body, kind) = match file.as_str() {
        "app.css" => (CSS, "text/css; charset=utf-8"),
        "app.js" => (JS, "text/javascript; charset=utf-8"),
        "icon.svg" => (ICON, "image/svg+xml"),
        _ => return WebError::NotFound.into_response(),
    };
    let headers = [
        (header::CONTENT_TYPE, kind),
        (header::CACHE_CONTROL, "public, max-age=3600"),
    ];
    (headers, body).into_response()
}

/// Why a page could not be answered, as the person will see it.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// 303 to `/signin`: no live session.
    #[error("sign in first")]
    SignIn,
    /// 403: a form without this session's CSRF token; nothing was changed.
    #[error("the form's security token is missing or wrong")]
    Csrf,
    /// 403: a provider's callback without the `state` this browser's sign-in started with.
    #[error("the sign-in's state does not match")]
    OAuthState,
    /// 400: a form body that does not parse.
    #[error("the form could not be read")]
    BadForm,
    /// 404: no such page, or not this person's.
    #[error("not found")]
    NotFound,
    /// The API's answer: its status, and its message for client errors.
    #[error(transparent)]
    Api(#[from] ApiError),
}

impl From<sqlx::Error> for WebError {
    fn from(e: sqlx::Error) -> Self {
        Self::Api(e.into())
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let (status, message) = match &self {
            Self::SignIn => return Redirect::to("/signin").into_response(),
            Self::Csrf => (
                StatusCode::FORBIDDEN,
                "This form's security token is missing or out of date, so nothing was changed. \
                 Go back, reload the page and try again."
                    .to_owned(),
            ),
            Self::OAuthState => (
                StatusCode::FORBIDDEN,
                "This sign-in did not start here or has expired, so nobody was signed in. \
                 Please start again from the sign-in page."
                    .to_owned(),
            ),
            Self::BadForm => (
                StatusCode::BAD_REQUEST,
                "The form could not be read.".to_owned(),
            ),
            Self::NotFound => (StatusCode::NOT_FOUND, "There is nothing here.".to_owned()),
            Self::Api(e) => (e.status(), layout::api_message(e)),
        };
        let mut response = (status, layout::error_page(status, &message)).into_response();
        if let Self::Api(ApiError::TooManyRequests { retry_after_secs }) = self {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
        }
        response
    }
}

/// A page's result.
pub type WebResult<T> = Result<T, WebError>;

/// Turns the JSON errors that layers answer on web paths (the rate limiter's 429, the router's
/// 404 and 405, the body limit's 413) into HTML pages with the same status and headers.
/// `hardening` puts it outside its JSON error envelope when the web app is on.
pub async fn html_errors(request: Request, next: Next) -> Response {
    let web_path = is_page_path(request.uri().path());
    let response = next.run(request).await;
    let status = response.status();
    if !web_path || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !is_json {
        return response;
    }
    let (mut parts, _) = response.into_parts();
    let page = (
        status,
        layout::error_page(status, layout::status_message(status)),
    );
    let (page_parts, body) = page.into_response().into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.extend(page_parts.headers);
    parts.headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    Response::from_parts(parts, body)
}

/// Whether `path` is the web app's, not the API's or a probe's.
fn is_page_path(path: &str) -> bool {
    !(path == "/api"
        || path.starts_with("/api/")
        || matches!(path, "/livez" | "/readyz" | "/metrics"))
}

/// An API handler's typed answer as the JSON the API sends, for pages that render its fields
/// by their wire names.
pub fn as_json<T: serde::Serialize>(answer: &T) -> WebResult<serde_json::Value> {
    serde_json::to_value(answer).map_err(|e| ApiError::internal(e).into())
}

/// The JSON body of an API handler's answer, for pages that render it.
pub async fn body_json<T: serde::de::DeserializeOwned>(answer: impl IntoResponse) -> WebResult<T> {
    let body = answer.into_response().into_body();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .map_err(ApiError::internal)?;
    serde_json::from_slice(&bytes).map_err(|e| ApiError::internal(e).into())
}
