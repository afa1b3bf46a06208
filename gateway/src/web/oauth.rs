//! Sign-in with GitHub and Google from the browser, each when it is configured: the OAuth
//! authorization-code flow with `state` and PKCE (S256). `/signin/{provider}` sends the browser
//! to the provider's authorize URL with a fresh `state` and code challenge, remembering both
//! secrets in a signed, short-lived `HttpOnly` cookie; `/signin/{provider}/callback` accepts only
//! that `state`, once, exchanges the code with the verifier and signs the person in with the
//! same account rules and audit log as the API's `POST /api/auth/github` and `/google`:
//! GitHub's identity through `oauth::github`, Google's ID token through the API's own verifier
//! (signature, issuer, audience, expiry, verified email).

use std::sync::Arc;

use axum::{
    Extension, Router,
    extract::{Path, Query, State},
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
    oauth::{self, OAuthConfig, OAuthError, VerifiedIdentity, WebFlow, google::GoogleVerifier},
    routes::oauth::signed_in_account,
    state::AppState,
};

/// The provider clients of this application (Google's with its key cache).
#[derive(Debug)]
struct Providers {
    client: reqwest::Client,
    google: GoogleVerifier,
}

pub fn router(state: &AppState) -> Router<AppState> {
    let client = oauth::http_client();
    let providers = Providers {
        google: GoogleVerifier::new(client.clone(), state.config.oauth.clone()),
        client,
    };
    Router::new()
        .route("/signin/{provider}", get(start))
        .route("/signin/{provider}/callback", get(callback))
        .layer(Extension(Arc::new(providers)))
}

/// A provider the browser can sign in with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    GitHub,
    Google,
}

impl Provider {
    /// The configured provider named in the path; `None` (a 404) for others.
    fn configured(name: &str, config: &OAuthConfig) -> Option<Self> {
        let provider = match name {
            "github" => Self::GitHub,
            "google" => Self::Google,
            _ => return None,
        };
        provider.client_id(config).map(|_| provider)
    }

    /// The client id, when the flow is configured (id and secret both set).
    fn client_id(self, config: &OAuthConfig) -> Option<&str> {
        match self {
            Self::GitHub => config.github_credentials().map(|(id, _)| id),
            Self::Google => config.google_web_credentials().map(|(id, _)| id),
        }
    }

    fn authorize_url(self, config: &OAuthConfig) -> &str {
        match self {
            Self::GitHub => config.github_authorize_url(),
            Self::Google => config.google_authorize_url(),
        }
    }

    fn scope(self) -> &'static str {
        match self {
            Self::GitHub => "read:user user:email",
            Self::Google => "openid email profile",
        }
    }

    /// The path segment, and the audit log's method.
    pub fn name(self) -> &'static str {
        match self {
            Self::GitHub => "github",
            Self::Google => "google",
        }
    }

    /// The button's words.
    pub fn label(self) -> &'static str {
        match self {
            Self::GitHub => "Sign in with GitHub",
            Self::Google => "Sign in with Google",
        }
    }
}

/// The providers the sign-in page offers.
pub fn enabled(state: &AppState) -> Vec<Provider> {
    let config = &state.config.oauth;
    [Provider::GitHub, Provider::Google]
        .into_iter()
        .filter(|p| p.client_id(config).is_some())
        .collect()
}

/// Where the provider sends the browser back: this site, as the browser reached it.
fn callback_url(state: &AppState, headers: &HeaderMap, provider: Provider) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    let scheme = if keys(state).secure() {
        "https"
    } else {
        "http"
    };
    format!("{scheme}://{host}/signin/{}/callback", provider.name())
}

/// The PKCE S256 challenge of `verifier`.
pub fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

async fn start(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> WebResult<Response> {
    let config = &state.config.oauth;
    let provider = Provider::configured(&name, config).ok_or(WebError::NotFound)?;
    let client_id = provider.client_id(config).ok_or(WebError::NotFound)?;
    let flow_state = refresh::random_id();
    // 64 hex characters: inside PKCE's 43 to 128, from the OS-seeded RNG.
    let verifier = format!("{}{}", refresh::random_id(), refresh::random_id());
    let query = serde_urlencoded::to_string([
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", &callback_url(&state, &headers, provider)),
        ("scope", provider.scope()),
        ("state", &flow_state),
        ("code_challenge", &challenge(&verifier)),
        ("code_challenge_method", "S256"),
    ])
    .map_err(ApiError::internal)?;
    let cookie = keys(&state).start_flow(&flow_state, &verifier);
    let to = format!("{}?{query}", provider.authorize_url(config));
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to(&to)).into_response())
}

/// The provider's answer: `code` and our `state`, or an `error` when the person declined.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Callback {
    pub code: String,
    pub state: String,
    pub error: Option<String>,
}

async fn callback(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Extension(providers): Extension<Arc<Providers>>,
    headers: HeaderMap,
    Query(answer): Query<Callback>,
) -> WebResult<Response> {
    let provider = Provider::configured(&name, &state.config.oauth).ok_or(WebError::NotFound)?;
    let keys = keys(&state);
    // Only the browser that started this sign-in, and only once: a callback someone else
    // crafted (login CSRF) carries another state, or none.
    let flow = keys.read_flow(&headers);
    let Some((_, verifier)) = flow.filter(|(s, _)| constant_eq(s, &answer.state)) else {
        return Err(WebError::OAuthState);
    };
    if answer.error.is_some() || answer.code.is_empty() {
        return Ok(Redirect::to("/signin").into_response());
    }
    let redirect_uri = callback_url(&state, &headers, provider);
    let web = WebFlow {
        code_verifier: &verifier,
        redirect_uri: &redirect_uri,
    };
    let identity = identify(&state, &providers, provider, &answer.code, web).await;
    let user = match signed_in_account(&state, identity, provider.name()).await {
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

/// The identity behind `code`, as the provider vouches for it.
async fn identify(
    state: &AppState,
    providers: &Providers,
    provider: Provider,
    code: &str,
    web: WebFlow<'_>,
) -> Result<VerifiedIdentity, OAuthError> {
    let config = &state.config.oauth;
    match provider {
        Provider::GitHub => {
            oauth::github::sign_in(&providers.client, config, code, Some(web)).await
        }
        Provider::Google => {
            let id_token =
                oauth::google::exchange_code(&providers.client, config, code, web).await?;
            providers.google.verify(&id_token).await
        }
    }
}
