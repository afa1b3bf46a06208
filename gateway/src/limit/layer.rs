//! The axum middleware that applies the limiter to every route and writes the rate-limit
//! headers, or the JSON 429.
//!
//! Add it with `Router::layer` (or `route_layer`) so it runs after routing: the policy is chosen
//! by the `MatchedPath`, and unmatched paths share one bucket instead of one per URL. The peer
//! address comes from `ConnectInfo<SocketAddr>`, so serve with
//! `into_make_service_with_connect_info::<SocketAddr>()`.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::{Decision, Limiter, Outcome, Subject, client_ip};

/// Returns the verified user id of a request, or `None` when it carries no valid token. It must
/// verify the signature: an unverified `sub` would let anyone spend someone else's quota.
pub type Identify = Arc<dyn Fn(&HeaderMap) -> Option<String> + Send + Sync>;

/// The middleware's state: the limiter and how to recognise a user.
#[derive(Clone)]
pub struct RateLimit {
    /// The replica's limiter.
    pub limiter: Arc<Limiter>,
    /// Token verification, supplied by the auth module.
    pub identify: Identify,
}

impl std::fmt::Debug for RateLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimit")
            .field("limiter", &self.limiter)
            .finish_non_exhaustive()
    }
}

/// `axum::middleware::from_fn_with_state(rate_limit_state, limit::layer::rate_limit)`.
pub async fn rate_limit(State(state): State<RateLimit>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("(unmatched)", MatchedPath::as_str)
        .to_owned();
    let subject = subject(&state, &request, &route);
    let decision = state
        .limiter
        .check(&subject, request.method(), &route)
        .await;
    match decision {
        Decision::Unlimited => next.run(request).await,
        Decision::Unavailable => unavailable(),
        Decision::Decided { outcome, .. } if !outcome.allowed => too_many(&outcome),
        Decision::Decided { outcome, .. } => {
            let mut response = next.run(request).await;
            write_headers(response.headers_mut(), &outcome);
            response
        }
    }
}

/// The client address on the routes that identify a caller, whatever token is sent; the
/// token's user elsewhere.
fn subject(state: &RateLimit, request: &Request, route: &str) -> Subject {
    if !super::identifies_caller(request.method(), route)
        && let Some(user) = (state.identify)(request.headers())
    {
        return Subject::User(user);
    }
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
    Subject::Client(client_ip(
        peer,
        request.headers(),
        state.limiter.trusted_proxies(),
    ))
}

const LIMIT: HeaderName = HeaderName::from_static("x-ratelimit-limit");
const REMAINING: HeaderName = HeaderName::from_static("x-ratelimit-remaining");
const RESET: HeaderName = HeaderName::from_static("x-ratelimit-reset");

fn write_headers(headers: &mut HeaderMap, outcome: &Outcome) {
    headers.insert(LIMIT, HeaderValue::from(outcome.limit));
    headers.insert(REMAINING, HeaderValue::from(outcome.remaining));
    headers.insert(RESET, HeaderValue::from(ceil_secs(outcome.reset)));
}

fn too_many(outcome: &Outcome) -> Response {
    let retry = ceil_secs(outcome.retry_after).max(1);
    let message = format!("Rate limit exceeded: try again in {retry} seconds");
    let mut response = (StatusCode::TOO_MANY_REQUESTS, envelope(&message)).into_response();
    write_headers(response.headers_mut(), outcome);
    response
        .headers_mut()
        .insert(http::header::RETRY_AFTER, HeaderValue::from(retry));
    response
}

fn unavailable() -> Response {
    let body = envelope("Rate limiting is temporarily unavailable");
    (StatusCode::SERVICE_UNAVAILABLE, body).into_response()
}

/// The contract's error envelope (section 0.3).
fn envelope(message: &str) -> Json<serde_json::Value> {
    Json(serde_json::json!({ "success": false, "error": message, "message": message }))
}

fn ceil_secs(d: Duration) -> u64 {
    d.as_micros().div_ceil(1_000_000) as u64
}
