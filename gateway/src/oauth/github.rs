//! GitHub's web flow: the authorization code is exchanged for an access token with our client
//! id and secret, then `/user` and `/user/emails` say who the person is. Only the primary email,
//! and only when GitHub marks it verified, identifies the account.

use serde::Deserialize;

use super::{OAuthConfig, OAuthError, VerifiedIdentity, WebFlow, split_name};

#[derive(Debug, Deserialize)]
struct TokenResponse {
    access_token: Option<String>,
}

#[derive(Debug, Deserialize)]
struct GithubUser {
    login: String,
    name: Option<String>,
}

#[derive(Debug, Deserialize)]
struct GithubEmail {
    email: String,
    primary: bool,
    verified: bool,
}

/// Exchanges `code` and returns the verified identity behind it.
pub async fn sign_in(
    client: &reqwest::Client,
    config: &OAuthConfig,
    code: &str,
    web: Option<WebFlow<'_>>,
) -> Result<VerifiedIdentity, OAuthError> {
    let (client_id, secret) = config.github_credentials().ok_or_else(|| {
        OAuthError::Unavailable("GitHub sign-in is not configured on this server".into())
    })?;
    let token = exchange(client, config, (client_id, secret), code, web).await?;
    let user: GithubUser = api_get(client, config, "/user", &token).await?;
    let emails: Vec<GithubEmail> = api_get(client, config, "/user/emails", &token).await?;
    let email = emails
        .into_iter()
        .find(|e| e.primary && e.verified)
        .map(|e| e.email.trim().to_lowercase())
        .filter(|e| {
            e.split_once('@')
                .is_some_and(|(l, d)| !l.is_empty() && !d.is_empty())
        })
        .ok_or_else(|| {
            OAuthError::refused("The GitHub account has no verified primary email address")
        })?;
    let (first_name, last_name) = split_name(None, None, user.name.as_deref(), &user.login);
    Ok(VerifiedIdentity {
        email,
        first_name,
        last_name,
    })
}

/// The access token for `code`. GitHub answers 200 with an `error` field for a bad code, so a
/// missing `access_token` is the refusal.
async fn exchange(
    client: &reqwest::Client,
    config: &OAuthConfig,
    (client_id, secret): (&str, &str),
    code: &str,
    web: Option<WebFlow<'_>>,
) -> Result<String, OAuthError> {
    let mut form = vec![
        ("client_id", client_id),
        ("client_secret", secret),
        ("code", code),
    ];
    if let Some(web) = web {
        form.extend([
            ("code_verifier", web.code_verifier),
            ("redirect_uri", web.redirect_uri),
        ]);
    }
    let response = client
        .post(config.github_token_url())
        .header(reqwest::header::ACCEPT, "application/json")
        .form(&form)
        .send()
        .await
        .map_err(|_| unreachable_github())?;
    if response.status().is_server_error() {
        return Err(unreachable_github());
    }
    let body: TokenResponse = response.json().await.map_err(|_| refused_code())?;
    body.access_token
        .filter(|t| !t.is_empty())
        .ok_or_else(refused_code)
}

/// `GET {api}{path}` with the user's token.
async fn api_get<T: serde::de::DeserializeOwned>(
    client: &reqwest::Client,
    config: &OAuthConfig,
    path: &str,
    token: &str,
) -> Result<T, OAuthError> {
    let response = client
        .get(format!("{}{path}", config.github_api_url()))
        .bearer_auth(token)
        .header(reqwest::header::ACCEPT, "application/vnd.github+json")
        .send()
        .await
        .map_err(|_| unreachable_github())?;
    let response = response
        .error_for_status()
        .map_err(|_| OAuthError::refused("GitHub refused the sign-in"))?;
    response.json().await.map_err(|_| unreachable_github())
}

fn refused_code() -> OAuthError {
    OAuthError::refused("Invalid or expired GitHub authorization code")
}

fn unreachable_github() -> OAuthError {
    OAuthError::Unavailable("Could not reach GitHub to complete the sign-in".into())
}
