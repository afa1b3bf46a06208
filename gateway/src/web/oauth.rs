//! Sign-in with GitHub from the browser, when it is configured: the OAuth authorization-code
//! flow with `state` and PKCE (S256). `/signin/github` sends the browser to GitHub's authorize
//! URL with a fresh `state` and code challenge, remembering both secrets in a signed, short-lived
//! `HttpOnly` cookie; `/signin/github/callback` accepts only that `state`, exchanges the code with
//! the verifier (through `oauth::github`, as the API does) and signs the person in with the same
//! account rules and audit log as `POST /api/auth/github`.
//!
//! Google is not offered: the API's Google sign-in verifies an ID token made by Google's own
//! script, which this app's CSP (rightly) does not load.

use std::sync::OnceLock;

use axum::{
    Router,
    extract::{Query, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
    routing::get,
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::{WebError, WebResult, auth, keys, session::constant_eq};
use crate::{
    auth::refresh,
    error::ApiError,
    oauth::{self, github::WebFlow},
    routes::oauth::signed_in_account,
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/signin/github", get(start))
        .route("/signin/github/callback", get(callback))
}

/// Whether the sign-in page offers GitHub.
pub fn github_enabled(state: &AppState) -> bool {
    state.config.oauth.github_credentials().is_some()
}

/// One client for every provider call, built on first use.
fn client() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(oauth::http_client)
}

/// Where GitHub sends the browser back: this site, as the browser reached it.
fn callback_url(state: &AppState, headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    let scheme = if keys(state).secure() {
        "https"
    } else {
        "http"
    };
    format!("{scheme}://{host}/signin/github/callback")
}

/// The PKCE S256 challenge of `verifier`.
pub fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

async fn start(State(state): State<AppState>, headers: HeaderMap) -> WebResult<Response> {
    let config = &state.config.oauth;
    let (client_id, _) = config.github_credentials().ok_or(WebError::NotFound)?;
    let flow_state = refresh::random_id();
    // 64 hex characters: inside PKCE's 43 to 128, from the OS-seeded RNG.
    let verifier = format!("{}{}", refresh::random_id(), refresh::random_id());
    let query = serde_urlencoded::to_string([
        ("client_id", client_id),
        ("redirect_uri", &callback_url(&state, &headers)),
        ("scope", "read:user user:email"),
        ("state", &flow_state),
        ("code_challenge", &challenge(&verifier)),
        ("code_challenge_method", "S256"),
    ])
    .map_err(ApiError::internal)?;
    let cookie = keys(&state).start_flow(&flow_state, &verifier);
    let to = format!("{}?{query}", config.github_authorize_url());
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to(&to)).into_response())
}

/// GitHub's answer: `code` and our `state`, or an `error` when the person declined.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Callback {
    pub code: String,
    pub state: String,
    pub error: Option<String>,
}

async fn callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(answer): Query<Callback>,
) -> WebResult<Response> {
    let keys = keys(&state);
    let flow = keys.read_flow(&headers);
    // Only the browser that started this sign-in, and only once: a callback someone else
    // crafted (login CSRF) carries another state, or none.
    let Some((expected, verifier)) = flow.filter(|(s, _)| constant_eq(s, &answer.state)) else {
        return Err(WebError::OAuthState);
    };
    if answer.error.is_some() || answer.code.is_empty() {
        return Ok(Redirect::to("/signin").into_response());
    }
    debug_assert_eq!(expected, answer.state);
    let web = WebFlow {
        code_verifier: &verifier,
        redirect_uri: &callback_url(&state, &headers),
    };
    let config = &state.config.oauth;
    let identity = oauth::github::sign_in(client(), config, &answer.code, Some(web)).await;
    let user = match signed_in_account(&state, identity, "github").await {
        Ok(user) => user,
        Err(ApiError::BadRequest(message)) => {
            let page = auth::refused_page(&state, &headers, &message);
            return Ok((StatusCode::BAD_REQUEST, page).into_response());
        }
        Err(e) => return Err(e.into()),
    };
    let mut response = auth::signed_in(&state, &user.id).await?;
    response
        .headers_mut()
        .append(header::SET_COOKIE, keys.end_flow());
    Ok(response)
}
