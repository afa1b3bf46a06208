//! Sign-in with GitHub and Google from the browser: the authorization-code flow with `state`
//! and PKCE, against stand-in providers (Google's keys and ID tokens are the API tests' own).

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use reqwest::StatusCode;

use super::Browser;
use crate::helpers::{Backend, spawn_app, spawn_app_with};

/// A stand-in GitHub: the token endpoint (recording every exchange's form), `/user` and
/// `/user/emails`; its authorize page is played by the test itself.
async fn github_stand_in(seen: Arc<Mutex<Vec<HashMap<String, String>>>>) -> String {
    use axum::{
        Form, Json, Router,
        routing::{get, post},
    };
    use serde_json::json;
    let token = move |Form(form): Form<HashMap<String, String>>| {
        let seen = seen.clone();
        async move {
            let good = form.get("code").map(String::as_str) == Some("good-code")
                && form.get("client_secret").map(String::as_str) == Some("gh-secret");
            seen.lock().unwrap().push(form);
            match good {
                true => Json(json!({ "access_token": "gho_good", "token_type": "bearer" })),
                false => Json(json!({ "error": "bad_verification_code" })),
            }
        }
    };
    let router = Router::new()
        .route("/login/oauth/access_token", post(token))
        .route(
            "/user",
            get(|| async { Json(json!({ "login": "octocat", "name": "Mona Octocat" })) }),
        )
        .route(
            "/user/emails",
            get(|| async {
                Json(json!([{ "email": "Mona@Example.com", "primary": true, "verified": true }]))
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    url
}

#[tokio::test]
async fn github_sign_in_runs_the_code_flow_with_state_and_pkce() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let provider = github_stand_in(seen.clone()).await;
    let (token_url, authorize_url) = (
        format!("{provider}/login/oauth/access_token"),
        format!("{provider}/login/oauth/authorize"),
    );
    let vars = [
        ("GITHUB_CLIENT_ID", "gh-id"),
        ("GITHUB_CLIENT_SECRET", "gh-secret"),
        ("GITHUB_TOKEN_URL", token_url.as_str()),
        ("GITHUB_API_URL", provider.as_str()),
        ("GITHUB_AUTHORIZE_URL", authorize_url.as_str()),
    ];
    let app = spawn_app_with(Backend::Sqlite, &vars).await.unwrap();
    let mut browser = Browser::new(&app);
    assert!(
        browser
            .get("/signin")
            .await
            .body
            .contains("href=\"/signin/github\""),
        "the button shows when configured"
    );

    let start = browser.get("/signin/github").await;
    assert_eq!(start.status, StatusCode::SEE_OTHER);
    let to = reqwest::Url::parse(start.location.as_deref().unwrap()).unwrap();
    assert!(to.as_str().starts_with(&authorize_url));
    let query: HashMap<String, String> = to.query_pairs().into_owned().collect();
    assert_eq!(query["client_id"], "gh-id");
    assert_eq!(query["code_challenge_method"], "S256");
    assert!(query["redirect_uri"].ends_with("/signin/github/callback"));
    let (state, challenge) = (query["state"].clone(), query["code_challenge"].clone());

    // A callback crafted elsewhere (another state) signs nobody in and spends no code.
    let forged = browser
        .get("/signin/github/callback?code=good-code&state=someone-elses")
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(!browser.cookies.contains_key("mt_session") && seen.lock().unwrap().is_empty());

    let back = browser
        .get(&format!(
            "/signin/github/callback?code=good-code&state={state}"
        ))
        .await;
    assert!(back.redirected_to("/journal"), "{back:?}");
    assert!(
        browser.cookies.contains_key("mt_session") && !browser.cookies.contains_key("mt_oauth")
    );
    let exchange = seen.lock().unwrap()[0].clone();
    let verifier = &exchange["code_verifier"];
    use base64::Engine;
    use sha2::Digest;
    let expected = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(verifier.as_bytes()));
    assert_eq!(
        expected, challenge,
        "the exchange proves the verifier behind the challenge"
    );
    assert_eq!(exchange["redirect_uri"], query["redirect_uri"]);
    assert!(
        browser
            .get("/profile")
            .await
            .body
            .contains("mona@example.com")
    );

    let replay = browser
        .get(&format!(
            "/signin/github/callback?code=good-code&state={state}"
        ))
        .await;
    assert_eq!(
        replay.status,
        StatusCode::FORBIDDEN,
        "a callback works once"
    );

    // No password to confirm with: the fresh sign-in does, as the API's rule says.
    let account = browser.get("/account").await;
    assert!(
        !account.body.contains("id=\"password\""),
        "no password field"
    );
    assert!(account.body.contains("sign-in from the last 10 minutes"));
    let deleted = browser
        .post("/account/delete", &[("csrf_token", &account.csrf())])
        .await;
    assert!(deleted.redirected_to("/"), "{deleted:?}");

    let plain = spawn_app(Backend::Sqlite).await.unwrap();
    let mut other = Browser::new(&plain);
    assert!(
        !other.get("/signin").await.body.contains("/signin/github"),
        "no button when not configured"
    );
    assert_eq!(
        other.get("/signin/github").await.status,
        StatusCode::NOT_FOUND
    );
}

/// A stand-in for Google's token endpoint: records each exchange and answers a good code with
/// an ID token signed by the API tests' stand-in key.
async fn google_token_stand_in(seen: Arc<Mutex<Vec<HashMap<String, String>>>>) -> String {
    use axum::{Form, Json, Router, http::StatusCode as Status, routing::post};
    use serde_json::json;
    let token = move |Form(form): Form<HashMap<String, String>>| {
        let seen = seen.clone();
        async move {
            let good = form.get("code").map(String::as_str) == Some("good-code")
                && form.get("client_secret").map(String::as_str) == Some("google-secret")
                && form.get("grant_type").map(String::as_str) == Some("authorization_code");
            seen.lock().unwrap().push(form);
            match good {
                true => (
                    Status::OK,
                    Json(json!({ "id_token": crate::oauth::id_token(0, json!({})) })),
                ),
                false => (
                    Status::BAD_REQUEST,
                    Json(json!({ "error": "invalid_grant" })),
                ),
            }
        }
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let router = Router::new().route("/token", post(token));
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    url
}

#[tokio::test]
async fn google_sign_in_runs_the_code_flow_and_verifies_the_id_token() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let jwks = format!("{}/oauth2/v3/certs", crate::oauth::google_provider().await);
    let token_url = format!("{}/token", google_token_stand_in(seen.clone()).await);
    let vars = [
        ("GOOGLE_CLIENT_ID", crate::oauth::CLIENT_ID),
        ("GOOGLE_CLIENT_SECRET", "google-secret"),
        ("GOOGLE_JWKS_URL", jwks.as_str()),
        ("GOOGLE_TOKEN_URL", token_url.as_str()),
        ("GOOGLE_AUTHORIZE_URL", "https://accounts.example/auth"),
    ];
    let app = spawn_app_with(Backend::Sqlite, &vars).await.unwrap();
    let mut browser = Browser::new(&app);
    let signin = browser.get("/signin").await;
    assert!(
        signin.body.contains("href=\"/signin/google\"") && !signin.body.contains("/signin/github")
    );

    let start = browser.get("/signin/google").await;
    let to = reqwest::Url::parse(start.location.as_deref().unwrap()).unwrap();
    assert!(to.as_str().starts_with("https://accounts.example/auth?"));
    let query: HashMap<String, String> = to.query_pairs().into_owned().collect();
    assert_eq!(
        (
            query["response_type"].as_str(),
            query["code_challenge_method"].as_str()
        ),
        ("code", "S256")
    );
    assert!(query["scope"].contains("openid") && query["scope"].contains("email"));
    let (state, challenge) = (query["state"].clone(), query["code_challenge"].clone());

    let forged = browser
        .get("/signin/google/callback?code=good-code&state=forged")
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let refused = {
        let mut other = Browser::new(&app);
        let start = other.get("/signin/google").await;
        let to = reqwest::Url::parse(start.location.as_deref().unwrap()).unwrap();
        let state: String = to
            .query_pairs()
            .find(|(k, _)| k == "state")
            .unwrap()
            .1
            .into_owned();
        other
            .get(&format!(
                "/signin/google/callback?code=bad-code&state={state}"
            ))
            .await
    };
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "a refused code");
    assert!(
        refused
            .body
            .contains("Invalid or expired Google authorization code")
    );

    let back = browser
        .get(&format!(
            "/signin/google/callback?code=good-code&state={state}"
        ))
        .await;
    assert!(back.redirected_to("/journal"), "{back:?}");
    let exchange = seen.lock().unwrap().last().unwrap().clone();
    assert_eq!(oauth_challenge(&exchange["code_verifier"]), challenge);
    assert_eq!(exchange["redirect_uri"], query["redirect_uri"]);
    assert!(
        browser
            .get("/profile")
            .await
            .body
            .contains("grace@example.com"),
        "the ID token's verified email"
    );
}

fn oauth_challenge(verifier: &str) -> String {
    use base64::Engine;
    use sha2::Digest;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(verifier.as_bytes()))
}
