//! Access tokens that must be refused: tampered, expired, `alg: none`, signed with another
//! secret, or not an access token; and the contract's 401 messages.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{EncodingKey, Header, encode};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Backend, TEST_JWT_SECRET, assert_error, spawn_app};

const INVALID: &str = "Invalid or expired token";

fn claims(user_id: &str, exp_offset: i64, kind: &str) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({ "user_id": user_id, "email": "t@example.com", "iat": now, "exp": now + exp_offset, "type": kind })
}

fn sign(claims: &Value, secret: &str) -> String {
    encode(
        &Header::default(),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

#[tokio::test]
async fn rejects_tampered_expired_unsigned_and_foreign_tokens() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let user = app.register("tokens@example.com").await;

    // Tampered: the payload claims another user, the signature is the original one.
    let mut parts: Vec<String> = user.token.split('.').map(str::to_owned).collect();
    parts[1] = URL_SAFE_NO_PAD.encode(claims("someone-else", 3600, "access").to_string());
    let tampered = parts.join(".");

    let expired = sign(&claims(&user.user_id, -3600, "access"), TEST_JWT_SECRET);
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims(&user.user_id, 3600, "access").to_string());
    let unsigned = format!("{header}.{payload}.");
    let foreign = sign(
        &claims(&user.user_id, 3600, "access"),
        "another-secret-of-sufficient-length-0123",
    );
    let refresh_typed = sign(&claims(&user.user_id, 3600, "refresh"), TEST_JWT_SECRET);

    for (name, token) in [
        ("tampered", tampered),
        ("expired", expired),
        ("alg none", unsigned),
        ("foreign secret", foreign),
        ("wrong type", refresh_typed),
    ] {
        let response = app.get("/api/journal/entries", Some(&token)).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{name}");
        assert_error(response, StatusCode::UNAUTHORIZED, INVALID).await;
    }
    let valid = app.get("/api/journal/entries", Some(&user.token)).await;
    assert_eq!(
        valid.status(),
        StatusCode::OK,
        "the genuine token still works"
    );
}

#[tokio::test]
async fn a_missing_or_malformed_header_gets_the_contract_messages() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let missing = app.get("/api/journal/entries", None).await;
    assert_error(
        missing,
        StatusCode::UNAUTHORIZED,
        "Authorization header missing",
    )
    .await;
    let malformed = app
        .client
        .get(app.url("/api/journal/entries"))
        .header("Authorization", "Token abc")
        .send()
        .await
        .unwrap();
    let message = "Invalid authorization header format. Use: Bearer <token>";
    assert_error(malformed, StatusCode::UNAUTHORIZED, message).await;
}
