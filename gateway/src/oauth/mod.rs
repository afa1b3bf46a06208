//! Sign-in with Google (an ID token verified against Google's published keys) and GitHub (an
//! authorization code exchanged with the client secret), as pure clients of the providers.
//!
//! Provider endpoints are configuration, so tests point them at stand-in providers on
//! loopback that speak the same protocols. Both flows end in a [`VerifiedIdentity`]: an email
//! the provider itself says is verified, which is the only thing ever used to find or link an
//! account.

pub mod github;
pub mod google;

use std::{fmt, time::Duration};

use serde::Deserialize;

/// Google's published signing keys.
const GOOGLE_JWKS_URL: &str = "https://www.googleapis.com/oauth2/v3/certs";
/// The two spellings of Google's issuer that its ID tokens carry.
const GOOGLE_ISSUERS: &str = "accounts.google.com,https://accounts.google.com";
/// Google's authorization-code flow, for the web app's browser sign-in.
const GOOGLE_AUTHORIZE_URL: &str = "https://accounts.google.com/o/oauth2/v2/auth";
const GOOGLE_TOKEN_URL: &str = "https://oauth2.googleapis.com/token";
const GITHUB_TOKEN_URL: &str = "https://github.com/login/oauth/access_token";
const GITHUB_AUTHORIZE_URL: &str = "https://github.com/login/oauth/authorize";
const GITHUB_API_URL: &str = "https://api.github.com";
/// Bound on every provider call, so a slow provider cannot hold a request open.
const PROVIDER_TIMEOUT: Duration = Duration::from_secs(10);

/// The OAuth variables (`GOOGLE_CLIENT_ID`, `GOOGLE_JWKS_URL`, `GOOGLE_ISSUERS`, and for the web
/// app's browser sign-in `GOOGLE_CLIENT_SECRET`, `GOOGLE_AUTHORIZE_URL`, `GOOGLE_TOKEN_URL`;
/// `GITHUB_CLIENT_ID`, `GITHUB_CLIENT_SECRET`, `GITHUB_TOKEN_URL`, `GITHUB_API_URL`,
/// `GITHUB_AUTHORIZE_URL`: where the web app sends a browser to sign in), embedded in
/// the gateway's `Config`. A provider without its client id (and GitHub without its secret)
/// is off: its route answers 503.
#[derive(Clone, Default, Deserialize, PartialEq, Eq)]
pub struct OAuthConfig {
    google_client_id: Option<String>,
    google_jwks_url: Option<String>,
    /// Comma-separated.
    google_issuers: Option<String>,
    google_client_secret: Option<String>,
    google_authorize_url: Option<String>,
    google_token_url: Option<String>,
    github_client_id: Option<String>,
    github_client_secret: Option<String>,
    github_token_url: Option<String>,
    github_api_url: Option<String>,
    github_authorize_url: Option<String>,
}

impl fmt::Debug for OAuthConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthConfig")
            .field("google_client_id", &self.google_client_id)
            .field("google_jwks_url", &self.google_jwks_url())
            .field("google_issuers", &self.google_issuers())
            .field(
                "google_client_secret",
                &self.google_client_secret.as_ref().map(|_| "[redacted]"),
            )
            .field("google_authorize_url", &self.google_authorize_url())
            .field("google_token_url", &self.google_token_url())
            .field("github_client_id", &self.github_client_id)
            .field(
                "github_client_secret",
                &self.github_client_secret.as_ref().map(|_| "[redacted]"),
            )
            .field("github_token_url", &self.github_token_url())
            .field("github_api_url", &self.github_api_url())
            .field("github_authorize_url", &self.github_authorize_url())
            .finish()
    }
}

/// A set, non-blank value.
fn set(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

impl OAuthConfig {
    pub fn google_client_id(&self) -> Option<&str> {
        set(&self.google_client_id)
    }
    pub fn google_jwks_url(&self) -> &str {
        set(&self.google_jwks_url).unwrap_or(GOOGLE_JWKS_URL)
    }
    pub fn google_issuers(&self) -> Vec<String> {
        let list = set(&self.google_issuers).unwrap_or(GOOGLE_ISSUERS);
        list.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    }
    /// Google's client id and secret for the browser's authorization-code flow, when both are
    /// set (the API's ID-token sign-in needs only the id).
    pub fn google_web_credentials(&self) -> Option<(&str, &str)> {
        Some((
            set(&self.google_client_id)?,
            set(&self.google_client_secret)?,
        ))
    }
    pub fn google_authorize_url(&self) -> &str {
        set(&self.google_authorize_url).unwrap_or(GOOGLE_AUTHORIZE_URL)
    }
    pub fn google_token_url(&self) -> &str {
        set(&self.google_token_url).unwrap_or(GOOGLE_TOKEN_URL)
    }
    /// Client id and secret, when both are set.
    pub fn github_credentials(&self) -> Option<(&str, &str)> {
        Some((
            set(&self.github_client_id)?,
            set(&self.github_client_secret)?,
        ))
    }
    pub fn github_token_url(&self) -> &str {
        set(&self.github_token_url).unwrap_or(GITHUB_TOKEN_URL)
    }
    pub fn github_authorize_url(&self) -> &str {
        set(&self.github_authorize_url).unwrap_or(GITHUB_AUTHORIZE_URL)
    }
    pub fn github_api_url(&self) -> &str {
        set(&self.github_api_url)
            .unwrap_or(GITHUB_API_URL)
            .trim_end_matches('/')
    }
}

/// What a browser's authorization-code flow adds to the code exchange (the web app's
/// sign-in): the PKCE verifier whose challenge went to the authorize URL, and the redirect URI
/// used there.
#[derive(Debug, Clone, Copy)]
pub struct WebFlow<'a> {
    pub code_verifier: &'a str,
    pub redirect_uri: &'a str,
}

/// What a provider vouches for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedIdentity {
    /// Lower-cased, and verified by the provider.
    pub email: String,
    pub first_name: String,
    pub last_name: String,
}

/// Why a sign-in with a provider failed. `Refused` is the person's credential (400);
/// `Unavailable` is the provider or our configuration (503). Messages never carry a token.
#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    Unavailable(String),
}

impl OAuthError {
    fn refused(msg: impl Into<String>) -> Self {
        Self::Refused(msg.into())
    }
}

/// One HTTP client for both providers, with a bounded timeout.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(PROVIDER_TIMEOUT)
        .user_agent(concat!("moodtracker-gateway/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("a client with rustls and a timeout always builds")
}

/// First name and last name from given/family names, else a full name split at its first space.
fn split_name(
    given: Option<&str>,
    family: Option<&str>,
    full: Option<&str>,
    fallback: &str,
) -> (String, String) {
    let given = given.map(str::trim).unwrap_or_default();
    if !given.is_empty() {
        return (
            given.to_owned(),
            family.map(str::trim).unwrap_or_default().to_owned(),
        );
    }
    let full = full
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or(fallback);
    let (first, last) = full.split_once(' ').unwrap_or((full, ""));
    (first.to_owned(), last.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use crate::Config;

    fn config(vars: &[(&str, &str)]) -> Config {
        let vars = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned()));
        Config::from_iter(vars.chain([("APP_ENV".to_owned(), "testing".to_owned())])).unwrap()
    }

    #[test]
    fn reads_the_provider_variables_beside_the_typed_ones() {
        let config = config(&[
            ("PORT", "5999"),
            ("GOOGLE_CLIENT_ID", "client-1"),
            ("GOOGLE_ISSUERS", "https://issuer.test, other"),
            ("GITHUB_CLIENT_ID", "gh"),
            ("GITHUB_CLIENT_SECRET", "gh-secret-value"),
            ("GITHUB_API_URL", "http://127.0.0.1:9/"),
        ]);
        assert_eq!(config.listen.port(), 5999);
        assert_eq!(config.oauth.google_client_id(), Some("client-1"));
        assert_eq!(
            config.oauth.google_issuers(),
            ["https://issuer.test", "other"]
        );
        assert_eq!(
            config.oauth.github_credentials(),
            Some(("gh", "gh-secret-value"))
        );
        assert_eq!(config.oauth.github_api_url(), "http://127.0.0.1:9");
        assert!(
            !format!("{config:?}").contains("gh-secret-value"),
            "the secret is redacted"
        );
    }

    #[test]
    fn providers_are_off_until_configured() {
        let config = config(&[("GITHUB_CLIENT_ID", "gh")]);
        assert_eq!(config.oauth.google_client_id(), None);
        assert_eq!(
            config.oauth.github_credentials(),
            None,
            "an id without its secret is off"
        );
        assert_eq!(
            config.oauth.google_jwks_url(),
            "https://www.googleapis.com/oauth2/v3/certs"
        );
    }
}
