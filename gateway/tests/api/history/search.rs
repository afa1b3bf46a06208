//! Search: every word, any case, word stems, best match first; in step with edits and deletes;
//! only the caller's entries.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::post_entry;
use crate::helpers::{Backend, TestApp, assert_error, spawn_app};

async fn texts(app: &TestApp, token: &str, q: &str) -> Vec<String> {
    let body = app
        .get_json(&format!("/api/journal/entries?q={q}"), Some(token))
        .await;
    let entries = body["entries"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"));
    assert_eq!(body["total"], entries.len(), "{body}");
    entries
        .iter()
        .map(|e| e["text"].as_str().unwrap().to_owned())
        .collect()
}

async fn search_ranks_matches_and_follows_edits_and_deletes(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let user = app.register("search@example.com").await;
    let t = &user.token;
    let mut ids = Vec::new();
    for text in [
        "I went running in the park with friends after a long week at the office",
        "Running late for work again",
        "A quiet day reading",
        "The park was lovely: park benches, park views",
    ] {
        ids.push(post_entry(&app, &user, json!({ "text": text })).await["id"].clone());
    }
    assert_eq!(
        texts(&app, t, "PARK").await,
        [
            "The park was lovely: park benches, park views",
            "I went running in the park with friends after a long week at the office",
        ]
    );
    // Stems: "runs" finds "running"; every word must match.
    assert_eq!(texts(&app, t, "runs").await.len(), 2);
    assert_eq!(
        texts(&app, t, "park%20friends").await,
        ["I went running in the park with friends after a long week at the office"]
    );
    assert!(texts(&app, t, "holiday").await.is_empty());

    let edited = app
        .patch(
            &format!("/api/journal/entries/{}", ids[2]),
            &json!({ "text": "A quiet day in the park" }),
            Some(t),
        )
        .await;
    assert_eq!(edited.status(), StatusCode::OK);
    assert_eq!(texts(&app, t, "park").await.len(), 3);
    assert!(
        texts(&app, t, "reading").await.is_empty(),
        "the old text is no longer found"
    );
    let deleted = app
        .delete(&format!("/api/journal/entries/{}", ids[3]), Some(t))
        .await;
    assert_eq!(deleted.status(), StatusCode::OK);
    assert_eq!(
        texts(&app, t, "park").await,
        [
            "A quiet day in the park",
            "I went running in the park with friends after a long week at the office",
        ]
    );

    let other = app.register("other-search@example.com").await;
    post_entry(&app, &other, json!({ "text": "My own park" })).await;
    assert_eq!(texts(&app, &other.token, "park").await, ["My own park"]);
    assert_eq!(
        texts(&app, t, "own").await.len(),
        0,
        "another user's entries are never found"
    );
    assert_error(
        app.get("/api/journal/entries?q=%20!!%20", Some(t)).await,
        StatusCode::BAD_REQUEST,
        "q must contain at least one word",
    )
    .await;
    let quoted = app
        .get_json("/api/journal/entries?q=%22park%22%20OR%20NEAR(", Some(t))
        .await;
    assert_eq!(
        quoted["success"],
        Value::Bool(true),
        "query syntax is read as words: {quoted}"
    );
}

#[tokio::test]
async fn search_ranks_matches_and_follows_edits_and_deletes_on_sqlite() {
    search_ranks_matches_and_follows_edits_and_deletes(Backend::Sqlite).await;
}

#[tokio::test]
async fn search_ranks_matches_and_follows_edits_and_deletes_on_postgres() {
    search_ranks_matches_and_follows_edits_and_deletes(Backend::Postgres).await;
}
