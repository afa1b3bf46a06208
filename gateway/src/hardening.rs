//! Cross-cutting HTTP protections around the whole API: request ids, CORS, security headers,
//! the body limit, the JSON error envelope on every error (404, 405, 408, 413 included) and
//! the logging of server errors inside the request span.

use std::time::Duration;

use axum::{
    Router,
    body::Body,
    extract::{DefaultBodyLimit, Request},
    http::{HeaderName, HeaderValue, Method, StatusCode, header},
    middleware::{self, Next},
    response::Response,
};
use tower_http::{
    cors::{AllowOrigin, CorsLayer},
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    set_header::SetResponseHeaderLayer,
    trace::TraceLayer,
};

use crate::{
    config::{Config, Environment},
    error::{ErrorDetail, envelope},
};

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Wraps `router` in the protections, outermost first: request id, tracing, draining unread
/// bodies, CORS, security headers, error envelope and error logging, the body limit. (The CORS layer answers every
/// `OPTIONS`, preflight or not, without auth, as the original did.)
pub fn harden(router: Router, config: &Config) -> Router {
    let router = router
        .fallback(not_found)
        .layer(middleware::from_fn(crate::extract::refuse_nul_in_url))
        .layer(DefaultBodyLimit::max(config.body_limit_bytes))
        .layer(middleware::from_fn(log_server_errors))
        .layer(middleware::from_fn(json_errors));
    // The web app's pages get HTML error pages instead of the envelope (API paths keep it).
    let router = match config.web_enabled {
        true => router.layer(middleware::from_fn(crate::web::html_errors)),
        false => router,
    };
    let router = security_headers(router, config);
    router
        .layer(cors(config))
        .layer(middleware::from_fn(crate::drain::drain_unread_body))
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}

/// The span of one request, carrying its id, so every log line inside can be correlated.
fn request_span(request: &Request<Body>) -> tracing::Span {
    let id = request
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    tracing::info_span!("request", method = %request.method(), uri = %request.uri().path(), request_id = %id)
}

/// The contract's CORS: the configured origins (or any, outside production, with `*`), the
/// frontend's methods and headers (`User-ID` included: the frontend sends it and the browser
/// would block those requests at preflight without it).
fn cors(config: &Config) -> CorsLayer {
    let layer = CorsLayer::new()
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
            Method::OPTIONS,
        ])
        .allow_headers([
            header::CONTENT_TYPE,
            header::AUTHORIZATION,
            HeaderName::from_static("user-id"),
            HeaderName::from_static("x-requested-with"),
        ])
        .expose_headers([
            REQUEST_ID,
            header::RETRY_AFTER,
            HeaderName::from_static("x-ratelimit-limit"),
            HeaderName::from_static("x-ratelimit-remaining"),
            HeaderName::from_static("x-ratelimit-reset"),
        ])
        .max_age(Duration::from_secs(600));
    if config.cors_allows_any_origin() {
        // Credentials cannot be combined with a wildcard origin (browsers refuse it).
        return layer.allow_origin(AllowOrigin::any());
    }
    let origins = config
        .cors_origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok());
    layer
        .allow_origin(AllowOrigin::list(origins))
        .allow_credentials(true)
}

fn security_headers(router: Router, config: &Config) -> Router {
    if !config.security_headers {
        return router;
    }
    let mut headers = vec![
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "strict-origin-when-cross-origin"),
        // 'self' and inline styles: enough for the Swagger UI at /api/docs; JSON needs nothing.
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; \
             script-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
        ),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
    ];
    if config.environment == Environment::Production {
        headers.push((
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=63072000; includeSubDomains",
        ));
    }
    headers.into_iter().fold(router, |router, (name, value)| {
        router.layer(SetResponseHeaderLayer::if_not_present(
            name,
            HeaderValue::from_static(value),
        ))
    })
}

/// 404 for every unknown path, in the envelope.
async fn not_found() -> Response {
    envelope(StatusCode::NOT_FOUND, "Not found")
}

/// Logs the detail of a server error (which the client never sees), inside the request span.
async fn log_server_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    if let Some(ErrorDetail(detail)) = response.extensions().get::<ErrorDetail>() {
        tracing::error!(status = response.status().as_u16(), error = %detail, "request failed");
    }
    response
}

/// Rewrites any error response that is not already JSON (axum's 405, tower-http's 408 and 413,
/// path rejections) into the envelope, keeping its status and headers such as `Allow`; the web
/// app's HTML error pages are left as they are.
async fn json_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let is_json_or_page = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| {
            v.as_bytes().starts_with(b"application/json") || v.as_bytes().starts_with(b"text/html")
        });
    if !(status.is_client_error() || status.is_server_error()) || is_json_or_page {
        return response;
    }
    let (mut parts, _) = response.into_parts();
    let fresh = envelope(status, default_message(status));
    let (fresh_parts, body) = fresh.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.extend(fresh_parts.headers);
    Response::from_parts(parts, body)
}

fn default_message(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => "Bad request",
        StatusCode::UNAUTHORIZED => "Unauthorized",
        StatusCode::FORBIDDEN => "Forbidden",
        StatusCode::NOT_FOUND => "Not found",
        StatusCode::METHOD_NOT_ALLOWED => "Method not allowed",
        StatusCode::REQUEST_TIMEOUT => "Request timed out",
        StatusCode::PAYLOAD_TOO_LARGE => "Request body too large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "Unsupported media type",
        StatusCode::TOO_MANY_REQUESTS => "Rate limit exceeded",
        StatusCode::SERVICE_UNAVAILABLE => "Service unavailable",
        _ if status.is_client_error() => "Request failed",
        _ => "Internal server error",
    }
}
