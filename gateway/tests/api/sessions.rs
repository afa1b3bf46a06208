//! Sessions end when they should, and only then: signing out and a reused refresh token end
//! the access tokens of the session too, and two tabs refreshing at once both stay signed in.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Backend, Session, TestApp, session, spawn_app, spawn_app_with};

async fn me(app: &TestApp, token: &str) -> StatusCode {
    app.get("/api/auth/me", Some(token)).await.status()
}

async fn refreshed(app: &TestApp, refresh_token: &str) -> Session {
    let response = app.refresh(refresh_token).await;
    assert_eq!(response.status(), StatusCode::OK);
    session(response.json().await.unwrap())
}

async fn signing_out_ends_the_access_token(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let s = app.register("out@example.com").await;
    let other = session(
        app.login("out@example.com", crate::helpers::PASSWORD)
            .await
            .json()
            .await
            .unwrap(),
    );
    assert_eq!(me(&app, &s.token).await, StatusCode::OK);
    let body = json!({ "refresh_token": s.refresh_token });
    let out = app.post("/api/auth/logout", &body, Some(&s.token)).await;
    assert_eq!(out.status(), StatusCode::OK);
    assert_eq!(me(&app, &s.token).await, StatusCode::UNAUTHORIZED);
    let entries = app.get("/api/journal/entries", Some(&s.token)).await;
    assert_eq!(entries.status(), StatusCode::UNAUTHORIZED);
    // Another session of the same user (another device) is not signed out.
    assert_eq!(me(&app, &other.token).await, StatusCode::OK);
}

#[tokio::test]
async fn signing_out_ends_the_access_token_on_sqlite() {
    signing_out_ends_the_access_token(Backend::Sqlite).await;
}

#[tokio::test]
async fn signing_out_ends_the_access_token_on_postgres() {
    signing_out_ends_the_access_token(Backend::Postgres).await;
}

async fn a_reused_refresh_token_ends_the_sessions_access_tokens(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let first = app.register("reuse@example.com").await;
    let second = refreshed(&app, &first.refresh_token).await;
    assert_eq!(me(&app, &second.token).await, StatusCode::OK);
    // The test harness sets no grace: a replay is a reuse at once.
    let replay = app.refresh(&first.refresh_token).await;
    assert_eq!(replay.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(me(&app, &second.token).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me(&app, &first.token).await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_reused_refresh_token_ends_the_sessions_access_tokens_on_sqlite() {
    a_reused_refresh_token_ends_the_sessions_access_tokens(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_reused_refresh_token_ends_the_sessions_access_tokens_on_postgres() {
    a_reused_refresh_token_ends_the_sessions_access_tokens(Backend::Postgres).await;
}

#[tokio::test]
async fn access_tokens_live_fifteen_minutes_by_default() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let body: Value = app
        .post(
            "/api/auth/register",
            &json!({ "firstName": "T", "email": "ttl@example.com", "password": "correct horse" }),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["expires_in"], 900);
    let claims = crate::helpers::claims_of(body["token"].as_str().unwrap());
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        900
    );
}

async fn two_tabs_refreshing_at_once_both_stay_signed_in(backend: Backend) {
    let Some(app) = spawn_app_with(backend, &[("REFRESH_GRACE_SECS", "10")]).await else {
        return;
    };
    let first = app.register("tabs@example.com").await;
    let (a, b) = tokio::join!(
        app.refresh(&first.refresh_token),
        app.refresh(&first.refresh_token)
    );
    assert_eq!((a.status(), b.status()), (StatusCode::OK, StatusCode::OK));
    let (a, b) = (
        session(a.json().await.unwrap()),
        session(b.json().await.unwrap()),
    );
    assert_eq!(
        a.refresh_token, b.refresh_token,
        "the same new refresh token"
    );
    assert_eq!(me(&app, &a.token).await, StatusCode::OK);
    assert_eq!(me(&app, &b.token).await, StatusCode::OK);
    let third = refreshed(&app, &a.refresh_token).await;
    assert_eq!(me(&app, &third.token).await, StatusCode::OK);
}

#[tokio::test]
async fn two_tabs_refreshing_at_once_both_stay_signed_in_on_sqlite() {
    two_tabs_refreshing_at_once_both_stay_signed_in(Backend::Sqlite).await;
}

#[tokio::test]
async fn two_tabs_refreshing_at_once_both_stay_signed_in_on_postgres() {
    two_tabs_refreshing_at_once_both_stay_signed_in(Backend::Postgres).await;
}

#[tokio::test]
async fn a_replay_after_the_grace_is_still_a_reuse() {
    let app = spawn_app_with(Backend::Sqlite, &[("REFRESH_GRACE_SECS", "1")])
        .await
        .unwrap();
    let first = app.register("late@example.com").await;
    let second = refreshed(&app, &first.refresh_token).await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let replay = app.refresh(&first.refresh_token).await;
    assert_eq!(replay.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.refresh(&second.refresh_token).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(me(&app, &second.token).await, StatusCode::UNAUTHORIZED);
}
