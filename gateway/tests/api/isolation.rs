//! One user can neither see nor touch another's entries: another's entry is a 404, exactly as
//! a missing one, and is left unchanged.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Backend, spawn_app};

#[tokio::test]
async fn one_user_cannot_see_or_touch_another_users_entries() {
    // No inference: the entry is saved pending, which is all this test needs.
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let alice = app.register("alice@example.com").await;
    let mallory = app.register("mallory@example.com").await;
    let created: Value = app
        .post(
            "/api/journal/entries",
            &json!({ "text": "private thoughts" }),
            Some(&alice.token),
        )
        .await
        .json()
        .await
        .unwrap();
    let path = format!("/api/journal/entries/{}", created["entry"]["id"]);

    let read = app.get(&path, Some(&mallory.token)).await;
    assert_eq!(read.status(), StatusCode::NOT_FOUND);
    let edit = app
        .patch(&path, &json!({ "text": "defaced" }), Some(&mallory.token))
        .await;
    assert_eq!(edit.status(), StatusCode::NOT_FOUND);
    let delete = app.delete(&path, Some(&mallory.token)).await;
    assert_eq!(delete.status(), StatusCode::NOT_FOUND);
    let list: Value = app
        .get_json("/api/journal/entries", Some(&mallory.token))
        .await;
    assert_eq!(list["total"], 0);

    let mine: Value = app.get_json(&path, Some(&alice.token)).await;
    assert_eq!(mine["entry"]["text"], "private thoughts", "untouched");
}

#[tokio::test]
async fn journal_routes_require_a_token() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    for path in [
        "/api/journal/entries",
        "/api/journal/analytics",
        "/api/journal/entries/1",
        "/api/auth/me",
    ] {
        let response = app.get(path, None).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{path}");
    }
}
