//! The embedded database as the gateway opens it: WAL mode, and concurrent journal writes that
//! all land, each visible to its owner at once, in the order they were acknowledged.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Backend, spawn_app};

/// Journal writes in flight at once, as many as the load benchmark's connections.
const WRITERS: usize = 32;

#[tokio::test]
async fn the_sqlite_file_is_in_wal_mode() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let pool = crate::users::database(&app).await;
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
}

/// `WRITERS` entries posted at once by four people: every one acknowledged is stored, read back
/// at once by its owner (reads and writes use different connections on SQLite), newest first.
async fn concurrent_writes_all_land(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let mut people = Vec::new();
    for n in 0..4 {
        people.push(app.register(&format!("writer{n}@example.com")).await);
    }
    let posts = (0..WRITERS).map(|i| {
        let (app, person) = (&app, &people[i % people.len()]);
        async move {
            let body = json!({ "text": format!("entry {i}: a calm walk by the river") });
            let response = app
                .post("/api/journal/entries", &body, Some(&person.token))
                .await;
            assert_eq!(response.status(), StatusCode::CREATED, "entry {i}");
            let created: Value = response.json().await.unwrap();
            let id = created["entry"]["id"].as_i64().unwrap();
            let read = app
                .get_json(&format!("/api/journal/entries/{id}"), Some(&person.token))
                .await;
            assert_eq!(read["entry"]["id"], id, "entry {i} read back");
            id
        }
    });
    let mut ids = futures::future::join_all(posts).await;
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), WRITERS, "every write got its own id");

    for person in &people {
        let listed = app
            .get_json("/api/journal/entries?per_page=100", Some(&person.token))
            .await;
        assert_eq!(listed["total"], WRITERS / people.len(), "{listed}");
        let dates: Vec<&str> = listed["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["date"].as_str().unwrap())
            .collect();
        assert!(dates.is_sorted_by(|a, b| a >= b), "newest first: {dates:?}");
    }
}

#[tokio::test]
async fn concurrent_writes_all_land_on_sqlite() {
    concurrent_writes_all_land(Backend::Sqlite).await;
}

#[tokio::test]
async fn concurrent_writes_all_land_on_postgres() {
    concurrent_writes_all_land(Backend::Postgres).await;
}
