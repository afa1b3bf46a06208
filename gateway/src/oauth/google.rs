//! Google ID tokens: RS256 signatures checked against the keys Google publishes (a JWKS
//! document), with the issuer, the audience (our client id) and the expiry enforced, and the
//! email accepted only when Google says it is verified.
//!
//! Keys are cached; a token signed with a key id we do not know triggers one refetch (Google
//! rotates keys), at most once a minute so forged key ids cannot make us hammer the endpoint.

use std::time::{Duration, Instant};

use jsonwebtoken::{Algorithm, DecodingKey, Validation, jwk::JwkSet};
use serde::Deserialize;
use tokio::sync::Mutex;

use super::{OAuthConfig, OAuthError, VerifiedIdentity, WebFlow, split_name};

/// How long fetched keys are trusted before a refetch.
const KEYS_TTL: Duration = Duration::from_secs(3600);
/// The least time between two fetches triggered by unknown key ids.
const REFETCH_AFTER: Duration = Duration::from_secs(60);
/// Allowed clock difference with Google, in seconds.
const LEEWAY_SECS: u64 = 30;

/// The claims we read from an ID token.
#[derive(Debug, Deserialize)]
struct IdClaims {
    email: Option<String>,
    /// A boolean, though older tokens carried the string "true".
    #[serde(default)]
    email_verified: serde_json::Value,
    given_name: Option<String>,
    family_name: Option<String>,
    name: Option<String>,
}

/// The verifier for one client id, with its key cache.
#[derive(Debug)]
pub struct GoogleVerifier {
    client: reqwest::Client,
    config: OAuthConfig,
    keys: Mutex<Option<(JwkSet, Instant)>>,
}

impl GoogleVerifier {
    pub fn new(client: reqwest::Client, config: OAuthConfig) -> Self {
        Self {
            client,
            config,
            keys: Mutex::new(None),
        }
    }

    /// The verified identity in `credential` (an ID token).
    pub async fn verify(&self, credential: &str) -> Result<VerifiedIdentity, OAuthError> {
        let client_id = self.config.google_client_id().ok_or_else(|| {
            OAuthError::Unavailable("Google sign-in is not configured on this server".into())
        })?;
        let header = jsonwebtoken::decode_header(credential).map_err(|_| invalid())?;
        if header.alg != Algorithm::RS256 {
            return Err(invalid());
        }
        let kid = header.kid.ok_or_else(invalid)?;
        let key = self.key(&kid).await?;
        let claims =
            jsonwebtoken::decode::<IdClaims>(credential, &key, &self.validation(client_id))
                .map_err(|_| invalid())?
                .claims;
        identity(claims)
    }

    fn validation(&self, client_id: &str) -> Validation {
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_audience(&[client_id]);
        validation.set_issuer(&self.config.google_issuers());
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = LEEWAY_SECS;
        validation
    }

    /// The decoding key for `kid`, from the cache or a fresh fetch.
    async fn key(&self, kid: &str) -> Result<DecodingKey, OAuthError> {
        let mut cache = self.keys.lock().await;
        let age = cache.as_ref().map(|(_, fetched)| fetched.elapsed());
        let known = cache.as_ref().and_then(|(set, _)| set.find(kid).cloned());
        let refetch = match (&known, age) {
            (_, None) => true,
            (Some(_), Some(age)) => age > KEYS_TTL,
            (None, Some(age)) => age > REFETCH_AFTER,
        };
        if refetch {
            *cache = Some((self.fetch().await?, Instant::now()));
        }
        let jwk = cache
            .as_ref()
            .and_then(|(set, _)| set.find(kid))
            .ok_or_else(invalid)?;
        DecodingKey::from_jwk(jwk).map_err(|_| invalid())
    }

    async fn fetch(&self) -> Result<JwkSet, OAuthError> {
        let unavailable =
            |_| OAuthError::Unavailable("Could not reach Google to verify the sign-in".into());
        let response = self
            .client
            .get(self.config.google_jwks_url())
            .send()
            .await
            .map_err(unavailable)?;
        let response = response.error_for_status().map_err(unavailable)?;
        response.json::<JwkSet>().await.map_err(unavailable)
    }
}

/// The token endpoint's answer; only the ID token is read.
#[derive(Debug, Deserialize)]
struct TokenResponse {
    id_token: Option<String>,
}

/// The ID token for an authorization `code` of the browser flow (the web app's sign-in),
/// exchanged with our client secret and the PKCE verifier; verify it with
/// [`GoogleVerifier::verify`], as the API's sign-in does.
pub async fn exchange_code(
    client: &reqwest::Client,
    config: &OAuthConfig,
    code: &str,
    web: WebFlow<'_>,
) -> Result<String, OAuthError> {
    let (client_id, secret) = config.google_web_credentials().ok_or_else(|| {
        OAuthError::Unavailable("Google sign-in is not configured on this server".into())
    })?;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("client_id", client_id),
        ("client_secret", secret),
        ("redirect_uri", web.redirect_uri),
        ("code_verifier", web.code_verifier),
    ];
    let unreachable =
        || OAuthError::Unavailable("Could not reach Google to complete the sign-in".into());
    let response = client
        .post(config.google_token_url())
        .form(&form)
        .send()
        .await
        .map_err(|_| unreachable())?;
    if response.status().is_server_error() {
        return Err(unreachable());
    }
    // A refused code is a 400 with an `error` field: no ID token either way.
    let body: Option<TokenResponse> = response.json().await.ok();
    body.and_then(|b| b.id_token)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| OAuthError::refused("Invalid or expired Google authorization code"))
}

fn invalid() -> OAuthError {
    OAuthError::refused("Invalid Google credential")
}

/// The identity in verified claims: a present, well-formed and verified email.
fn identity(claims: IdClaims) -> Result<VerifiedIdentity, OAuthError> {
    let email = claims
        .email
        .map(|e| e.trim().to_lowercase())
        .unwrap_or_default();
    let (local, domain) = email.split_once('@').unwrap_or_default();
    if local.is_empty() || domain.is_empty() {
        return Err(OAuthError::refused(
            "The Google account has no usable email address",
        ));
    }
    let verified = matches!(&claims.email_verified, serde_json::Value::Bool(true))
        || claims.email_verified.as_str() == Some("true");
    if !verified {
        return Err(OAuthError::refused(
            "The Google account's email address is not verified",
        ));
    }
    let (first_name, last_name) = split_name(
        claims.given_name.as_deref(),
        claims.family_name.as_deref(),
        claims.name.as_deref(),
        local,
    );
    Ok(VerifiedIdentity {
        email,
        first_name,
        last_name,
    })
}
