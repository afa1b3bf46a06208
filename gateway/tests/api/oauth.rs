//! Sign-in with Google and GitHub against stand-in providers on loopback that speak the real
//! protocols: a JWKS document with an RSA key generated here and RS256 ID tokens signed with
//! it; GitHub's token endpoint (form-encoded code exchange with the client secret) and its
//! `/user` and `/user/emails` endpoints. Forged, expired, misaddressed and unverified
//! credentials, and a request with no code, are all refused.

use std::sync::OnceLock;

use axum::{
    Form, Json, Router,
    http::HeaderMap,
    routing::{get, post},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use rsa::{RsaPrivateKey, pkcs1::EncodeRsaPrivateKey, rand_core::OsRng, traits::PublicKeyParts};
use serde_json::{Value, json};
use tokio::net::TcpListener;

use crate::{
    helpers::{Backend, PASSWORD, TestApp, assert_error, spawn_app_with},
    users::database,
};

pub const CLIENT_ID: &str = "moodtracker-test.apps.googleusercontent.com";
const ISSUER: &str = "https://accounts.google.com";
const KID: &str = "stand-in-key-1";
const GH_ID: &str = "gh-client-id";
const GH_SECRET: &str = "gh-client-secret";

/// An RSA key pair, generated once per test binary (2048-bit generation takes a moment).
fn key(which: usize) -> &'static RsaPrivateKey {
    static KEYS: OnceLock<[RsaPrivateKey; 2]> = OnceLock::new();
    let keys = KEYS.get_or_init(|| {
        let new = || RsaPrivateKey::new(&mut OsRng, 2048).expect("generate an RSA key");
        [new(), new()]
    });
    &keys[which]
}

/// Serves `router` on a free loopback port; returns its base URL.
async fn serve(router: Router) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    url
}

/// Google's stand-in: the JWKS document publishing key 0's public half.
pub async fn google_provider() -> String {
    let public = key(0).to_public_key();
    let jwk = json!({
        "kty": "RSA", "alg": "RS256", "use": "sig", "kid": KID,
        "n": URL_SAFE_NO_PAD.encode(public.n().to_bytes_be()),
        "e": URL_SAFE_NO_PAD.encode(public.e().to_bytes_be()),
    });
    let jwks = json!({ "keys": [jwk] });
    serve(Router::new().route("/oauth2/v3/certs", get(move || async move { Json(jwks) }))).await
}

/// An ID token signed with key `which`, with `claims` over the valid defaults.
pub fn id_token(which: usize, overrides: Value) -> String {
    let now = chrono::Utc::now().timestamp();
    let mut claims = json!({
        "iss": ISSUER, "aud": CLIENT_ID, "sub": "1234567890", "iat": now, "exp": now + 600,
        "email": "Grace@Example.com", "email_verified": true, "given_name": "Grace", "family_name": "Hopper",
    });
    claims
        .as_object_mut()
        .unwrap()
        .extend(overrides.as_object().unwrap().clone());
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(KID.to_owned());
    let der = key(which).to_pkcs1_der().unwrap();
    jsonwebtoken::encode(&header, &claims, &EncodingKey::from_rsa_der(der.as_bytes())).unwrap()
}

async fn google_app(backend: Backend) -> Option<TestApp> {
    let provider = google_provider().await;
    let jwks = format!("{provider}/oauth2/v3/certs");
    spawn_app_with(
        backend,
        &[("GOOGLE_CLIENT_ID", CLIENT_ID), ("GOOGLE_JWKS_URL", &jwks)],
    )
    .await
}

async fn sign_in_with_google(app: &TestApp, credential: &str) -> reqwest::Response {
    app.post(
        "/api/auth/google",
        &json!({ "credential": credential }),
        None,
    )
    .await
}

async fn google_verifies_signature_issuer_audience_expiry_and_email(backend: Backend) {
    let Some(app) = google_app(backend).await else {
        return;
    };
    let response = sign_in_with_google(&app, &id_token(0, json!({}))).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        (body["success"].as_bool(), body["user"]["email"].as_str()),
        (Some(true), Some("grace@example.com"))
    );
    assert_eq!(body["user"]["firstName"], "Grace");
    let me = app
        .get("/api/auth/me", Some(body["token"].as_str().unwrap()))
        .await;
    assert_eq!(me.status(), StatusCode::OK, "the token is a normal session");
    let again: Value = sign_in_with_google(&app, &id_token(0, json!({})))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        again["user"]["id"], body["user"]["id"],
        "the same account, not a second one"
    );

    let now = chrono::Utc::now().timestamp();
    let refused = [
        ("forged: signed with another key", id_token(1, json!({}))),
        (
            "expired",
            id_token(0, json!({ "iat": now - 7200, "exp": now - 3600 })),
        ),
        (
            "wrong audience",
            id_token(
                0,
                json!({ "aud": "someone-else.apps.googleusercontent.com" }),
            ),
        ),
        (
            "wrong issuer",
            id_token(0, json!({ "iss": "https://evil.example.com" })),
        ),
    ];
    for (why, token) in refused {
        assert_error(
            sign_in_with_google(&app, &token).await,
            StatusCode::BAD_REQUEST,
            "Invalid Google credential",
        )
        .await;
        eprintln!("refused as expected: {why}");
    }
    let unverified = id_token(
        0,
        json!({ "email": "victim@example.com", "email_verified": false }),
    );
    let response = sign_in_with_google(&app, &unverified).await;
    assert_error(
        response,
        StatusCode::BAD_REQUEST,
        "The Google account's email address is not verified",
    )
    .await;
    let hs256 = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &json!({ "iss": ISSUER, "aud": CLIENT_ID, "exp": now + 600, "email": "x@example.com", "email_verified": true }),
        &EncodingKey::from_secret(b"guessable"),
    )
    .unwrap();
    assert_eq!(
        sign_in_with_google(&app, &hs256).await.status(),
        StatusCode::BAD_REQUEST
    );
    let missing = app
        .post("/api/auth/google", &json!({ "code": "abc" }), None)
        .await;
    assert_error(missing, StatusCode::BAD_REQUEST, "No credential provided").await;

    let pool = database(&app).await;
    let failures: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE event = 'sign_in_failed' AND detail = 'google'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(failures, 6, "every refused credential is audited");
}

#[tokio::test]
async fn google_sign_in_verifies_the_id_token_on_sqlite() {
    google_verifies_signature_issuer_audience_expiry_and_email(Backend::Sqlite).await;
}

#[tokio::test]
async fn google_sign_in_verifies_the_id_token_on_postgres() {
    google_verifies_signature_issuer_audience_expiry_and_email(Backend::Postgres).await;
}

#[tokio::test]
async fn google_links_an_existing_password_account_only_by_a_verified_email() {
    let Some(app) = google_app(Backend::Sqlite).await else {
        return;
    };
    let grace = app.register("grace@example.com").await;
    let body: Value = sign_in_with_google(&app, &id_token(0, json!({})))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["user"]["id"].as_str(), Some(grace.user_id.as_str()));
    assert_eq!(
        app.login("grace@example.com", PASSWORD).await.status(),
        StatusCode::OK,
        "password still works"
    );
}

#[tokio::test]
async fn google_sign_in_is_off_until_configured() {
    let app = crate::helpers::spawn_app(Backend::Sqlite).await.unwrap();
    let response = sign_in_with_google(&app, &id_token(0, json!({}))).await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
}

/// GitHub's stand-in: `good-code` belongs to a user with a verified primary email,
/// `unverified-code` to one whose primary email is unverified; anything else is refused the
/// way GitHub does (200 with an `error`).
async fn github_provider() -> String {
    let token = |Form(form): Form<std::collections::HashMap<String, String>>| async move {
        let ours = form.get("client_id").map(String::as_str) == Some(GH_ID)
            && form.get("client_secret").map(String::as_str) == Some(GH_SECRET);
        let token = match form.get("code").map(String::as_str) {
            Some("good-code") if ours => "gho_good",
            Some("unverified-code") if ours => "gho_unverified",
            _ => return Json(json!({ "error": "bad_verification_code" })),
        };
        Json(json!({ "access_token": token, "token_type": "bearer", "scope": "user:email" }))
    };
    let bearer = |headers: &HeaderMap| {
        headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let user = move |headers: HeaderMap| async move {
        match bearer(&headers).as_deref() {
            Some("Bearer gho_good") => (
                StatusCode::OK,
                Json(json!({ "login": "octocat", "name": "Mona Octocat", "email": null })),
            ),
            Some("Bearer gho_unverified") => (
                StatusCode::OK,
                Json(json!({ "login": "sneaky", "name": null, "email": "victim@example.com" })),
            ),
            _ => (
                StatusCode::UNAUTHORIZED,
                Json(json!({ "message": "Bad credentials" })),
            ),
        }
    };
    let emails = move |headers: HeaderMap| async move {
        match bearer(&headers).as_deref() {
            Some("Bearer gho_good") => (
                StatusCode::OK,
                Json(json!([
                    { "email": "old@example.com", "primary": false, "verified": true, "visibility": null },
                    { "email": "Mona@Example.com", "primary": true, "verified": true, "visibility": "private" },
                ])),
            ),
            Some("Bearer gho_unverified") => (
                StatusCode::OK,
                Json(json!([
                    { "email": "victim@example.com", "primary": true, "verified": false, "visibility": "public" },
                ])),
            ),
            _ => (
                StatusCode::UNAUTHORIZED,
                Json(json!({ "message": "Bad credentials" })),
            ),
        }
    };
    let router = Router::new()
        .route("/login/oauth/access_token", post(token))
        .route("/user", get(user))
        .route("/user/emails", get(emails));
    serve(router).await
}

async fn github_app(backend: Backend, secret: &str) -> Option<TestApp> {
    let provider = github_provider().await;
    let token_url = format!("{provider}/login/oauth/access_token");
    let vars = [
        ("GITHUB_CLIENT_ID", GH_ID),
        ("GITHUB_CLIENT_SECRET", secret),
        ("GITHUB_TOKEN_URL", token_url.as_str()),
        ("GITHUB_API_URL", provider.as_str()),
    ];
    spawn_app_with(backend, &vars).await
}

async fn github_exchanges_the_code_and_trusts_only_a_verified_primary_email(backend: Backend) {
    let Some(app) = github_app(backend, GH_SECRET).await else {
        return;
    };
    let victim = app.register("victim@example.com").await;

    let response = app
        .post(
            "/api/auth/github",
            &json!({ "code": "good-code", "state": "signin" }),
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["user"]["email"], "mona@example.com");
    assert_eq!(
        (
            body["user"]["firstName"].as_str(),
            body["user"]["lastName"].as_str()
        ),
        (Some("Mona"), Some("Octocat"))
    );

    // The original's bypass: a body without a code that names an account.
    let bypass = app
        .post(
            "/api/auth/github",
            &json!({ "email": "victim@example.com", "name": "x", "login": "x" }),
            None,
        )
        .await;
    assert_error(
        bypass,
        StatusCode::BAD_REQUEST,
        "Authorization code is required",
    )
    .await;
    let blank = app
        .post("/api/auth/github", &json!({ "code": "  " }), None)
        .await;
    assert_error(
        blank,
        StatusCode::BAD_REQUEST,
        "Authorization code is required",
    )
    .await;
    let bad = app
        .post(
            "/api/auth/github",
            &json!({ "code": "stolen-or-expired" }),
            None,
        )
        .await;
    assert_error(
        bad,
        StatusCode::BAD_REQUEST,
        "Invalid or expired GitHub authorization code",
    )
    .await;
    let unverified = app
        .post(
            "/api/auth/github",
            &json!({ "code": "unverified-code" }),
            None,
        )
        .await;
    assert_error(
        unverified,
        StatusCode::BAD_REQUEST,
        "The GitHub account has no verified primary email address",
    )
    .await;

    // None of the refusals signed anyone in as the victim or created an account.
    let pool = database(&app).await;
    let logins: Option<String> = sqlx::query_scalar("SELECT last_login FROM users WHERE id = $1")
        .bind(&victim.user_id)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(logins, None);
    let accounts: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(accounts, 2, "the victim and mona");
}

#[tokio::test]
async fn github_sign_in_exchanges_the_code_on_sqlite() {
    github_exchanges_the_code_and_trusts_only_a_verified_primary_email(Backend::Sqlite).await;
}

#[tokio::test]
async fn github_sign_in_exchanges_the_code_on_postgres() {
    github_exchanges_the_code_and_trusts_only_a_verified_primary_email(Backend::Postgres).await;
}

#[tokio::test]
async fn github_refuses_the_code_when_our_client_secret_is_wrong() {
    let Some(app) = github_app(Backend::Sqlite, "not-the-secret").await else {
        return;
    };
    let response = app
        .post("/api/auth/github", &json!({ "code": "good-code" }), None)
        .await;
    assert_error(
        response,
        StatusCode::BAD_REQUEST,
        "Invalid or expired GitHub authorization code",
    )
    .await;
}

#[tokio::test]
async fn an_account_without_a_password_is_deleted_only_after_a_fresh_sign_in() {
    let Some(app) = google_app(Backend::Sqlite).await else {
        return;
    };
    let body: Value = sign_in_with_google(&app, &id_token(0, json!({})))
        .await
        .json()
        .await
        .unwrap();
    let (id, token) = (
        body["user"]["id"].as_str().unwrap(),
        body["token"].as_str().unwrap(),
    );
    // The same account's token, issued an hour ago (signed with the test secret, as the
    // gateway signs its own).
    let now = chrono::Utc::now().timestamp();
    let sid = crate::helpers::claims_of(token)["sid"].clone();
    let claims = json!({ "user_id": id, "email": "grace@example.com", "iat": now - 3600, "exp": now + 3600, "type": "access", "sid": sid });
    let stale = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(crate::helpers::TEST_JWT_SECRET.as_bytes()),
    )
    .unwrap();
    let refused = app
        .send(reqwest::Method::DELETE, "/api/users/me", None, Some(&stale))
        .await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let deleted = app
        .send(reqwest::Method::DELETE, "/api/users/me", None, Some(token))
        .await;
    assert_eq!(deleted.status(), StatusCode::OK);
    assert_eq!(
        crate::users::places_holding(&app, id).await,
        Vec::<String>::new()
    );
}
