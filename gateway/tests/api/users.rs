//! A person's own data over HTTP on a real database: every user-data route refuses another
//! user's token, profiles change only for their owner and never appear from nowhere, the export
//! holds everything stored, and deletion leaves no row of the person in any table.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::{AnyPool, Row};

use crate::{
    assessments::submit_ok,
    helpers::{Backend, PASSWORD, TestApp, assert_error, session, spawn_app},
};

/// Every route of the person's own data, with a body where one is needed.
fn user_routes(id: &str) -> Vec<(Method, String, Option<Value>)> {
    vec![
        (Method::GET, format!("/api/users/{id}/profile"), None),
        (
            Method::PUT,
            format!("/api/users/{id}/profile"),
            Some(json!({ "firstName": "Mallory" })),
        ),
        (Method::GET, format!("/api/users/{id}/test-results"), None),
        (
            Method::GET,
            format!("/api/users/{id}/mental-health-insights"),
            None,
        ),
    ]
}

/// A pool on the app's database, for checks the API cannot make.
pub async fn database(app: &TestApp) -> AnyPool {
    sqlx::any::install_default_drivers();
    AnyPool::connect(&app.database_url)
        .await
        .expect("connect to the test database")
}

/// `(table, column)` for every column of every table.
async fn columns(app: &TestApp, pool: &AnyPool) -> Vec<(String, String)> {
    let sql = match app.backend {
        Backend::Sqlite => {
            "SELECT m.name AS t, p.name AS c FROM sqlite_master m \
                            JOIN pragma_table_info(m.name) p WHERE m.type = 'table'"
        }
        Backend::Postgres => {
            "SELECT table_name::text AS t, column_name::text AS c \
                              FROM information_schema.columns WHERE table_schema = 'public'"
        }
    };
    let rows = sqlx::query(sql).fetch_all(pool).await.unwrap();
    rows.iter()
        .map(|r| (r.get::<String, _>("t"), r.get::<String, _>("c")))
        .collect()
}

/// The `table.column`s anywhere in the database whose text contains `needle`.
pub async fn places_holding(app: &TestApp, needle: &str) -> Vec<String> {
    let pool = database(app).await;
    let mut found = Vec::new();
    for (table, column) in columns(app, &pool).await {
        let sql =
            format!("SELECT COUNT(*) FROM \"{table}\" WHERE CAST(\"{column}\" AS TEXT) LIKE $1");
        let count: i64 = sqlx::query_scalar(&sql)
            .bind(format!("%{needle}%"))
            .fetch_one(&pool)
            .await
            .unwrap();
        if count > 0 {
            found.push(format!("{table}.{column}"));
        }
    }
    found
}

async fn every_user_data_route_refuses_another_users_token(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let alice = app.register("alice@example.com").await;
    let mallory = app.register("mallory@example.com").await;
    for (method, path, body) in user_routes(&alice.user_id) {
        let theirs = app
            .send(method.clone(), &path, body.as_ref(), Some(&mallory.token))
            .await;
        assert_error(
            theirs,
            StatusCode::FORBIDDEN,
            "Access denied: you can only access your own data",
        )
        .await;
        let anonymous = app.send(method.clone(), &path, body.as_ref(), None).await;
        assert_eq!(
            anonymous.status(),
            StatusCode::UNAUTHORIZED,
            "{method} {path}"
        );
        let own = app
            .send(method.clone(), &path, body.as_ref(), Some(&alice.token))
            .await;
        assert_eq!(own.status(), StatusCode::OK, "{method} {path}");
    }
    for (method, path, body) in user_routes("0123456789abcdef0123456789abcdef") {
        let unknown = app
            .send(method.clone(), &path, body.as_ref(), Some(&mallory.token))
            .await;
        assert_error(unknown, StatusCode::NOT_FOUND, "User not found").await;
    }
    let pool = database(&app).await;
    let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(users, 2, "no phantom user was created");
    let profile: Value = app
        .get_json(
            &format!("/api/users/{}/profile", alice.user_id),
            Some(&alice.token),
        )
        .await;
    assert_eq!(
        profile["user"]["firstName"], "Mallory",
        "only alice's own PUT changed it"
    );
}

#[tokio::test]
async fn every_user_data_route_refuses_another_users_token_on_sqlite() {
    every_user_data_route_refuses_another_users_token(Backend::Sqlite).await;
}

#[tokio::test]
async fn every_user_data_route_refuses_another_users_token_on_postgres() {
    every_user_data_route_refuses_another_users_token(Backend::Postgres).await;
}

#[tokio::test]
async fn a_profile_update_keeps_the_email_and_accepts_only_safe_avatars() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let ada = app.register("ada@example.com").await;
    let path = format!("/api/users/{}/profile", ada.user_id);
    let update = json!({
        "firstName": "Ada", "lastName": "Lovelace", "email": "evil@example.com", "bio": "Analyst",
        "avatar": "https://example.com/ada.png", "streak": 99, "profile": { "preferences": { "theme": "dark" } },
    });
    let response = app
        .send(Method::PUT, &path, Some(&update), Some(&ada.token))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let user = app
        .get(&path, Some(&ada.token))
        .await
        .json::<Value>()
        .await
        .unwrap()["user"]
        .clone();
    assert_eq!(
        (user["email"].as_str(), user["name"].as_str()),
        (Some("ada@example.com"), Some("Ada Lovelace"))
    );
    assert_eq!(
        (user["avatar"].as_str(), user["profile"]["bio"].as_str()),
        (Some("https://example.com/ada.png"), Some("Analyst"))
    );
    assert_eq!(user["profile"]["preferences"]["theme"], "dark");
    assert_eq!(
        user["streak"], 0,
        "stats are computed, not taken from the body"
    );

    let pixel = json!({ "avatar": "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==" });
    assert_eq!(
        app.send(Method::PUT, &path, Some(&pixel), Some(&ada.token))
            .await
            .status(),
        StatusCode::OK
    );
    let script = json!({ "avatar": "data:image/svg+xml;base64,PHN2Zy8+" });
    assert_eq!(
        app.send(Method::PUT, &path, Some(&script), Some(&ada.token))
            .await
            .status(),
        StatusCode::BAD_REQUEST
    );
    let huge = json!({ "avatar": format!("data:image/png;base64,{}", "A".repeat(1_500_000)) });
    assert_eq!(
        app.send(Method::PUT, &path, Some(&huge), Some(&ada.token))
            .await
            .status(),
        StatusCode::PAYLOAD_TOO_LARGE
    );
}

async fn export_holds_everything_and_deletion_leaves_nothing(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let alice = app.register("alice.export@example.com").await;
    let bob = app.register("bob@example.com").await;
    for user in [&alice, &bob] {
        let entry = json!({ "text": format!("a private note by {}", user.email) });
        let created = app
            .post("/api/journal/entries", &entry, Some(&user.token))
            .await;
        assert_eq!(created.status(), StatusCode::CREATED);
        submit_ok(&app, user, 2, &[1, 1, 1, 1, 1, 1, 1]).await;
    }
    let bio = json!({ "bio": "likes long walks" });
    app.send(
        Method::PUT,
        &format!("/api/users/{}/profile", alice.user_id),
        Some(&bio),
        Some(&alice.token),
    )
    .await;

    let export = app.get("/api/users/me/export", Some(&alice.token)).await;
    assert_eq!(export.status(), StatusCode::OK);
    let text = export.text().await.unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["user"]["email"], "alice.export@example.com");
    assert_eq!(doc["user"]["profile"]["bio"], "likes long walks");
    assert_eq!(
        doc["journal_entries"][0]["text"],
        "a private note by alice.export@example.com"
    );
    assert_eq!(doc["test_results"][0]["total_score"], 7);
    assert_eq!(doc["sessions"].as_array().unwrap().len(), 1);
    assert!(
        doc["security_events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["event"] == "data_export")
    );
    assert!(!text.contains("bob@example.com"), "nothing of another user");
    assert!(
        !text.contains("argon2") && !text.contains(&alice.refresh_token),
        "no secrets"
    );

    let wrong = app
        .send(
            Method::DELETE,
            "/api/users/me",
            Some(&json!({ "password": "not it" })),
            Some(&alice.token),
        )
        .await;
    assert_error(wrong, StatusCode::UNAUTHORIZED, "Incorrect password").await;
    let missing = app
        .send(Method::DELETE, "/api/users/me", None, Some(&alice.token))
        .await;
    assert_eq!(missing.status(), StatusCode::BAD_REQUEST);
    assert!(
        !places_holding(&app, &alice.user_id).await.is_empty(),
        "a refused deletion deletes nothing"
    );

    let gone = app
        .send(
            Method::DELETE,
            "/api/users/me",
            Some(&json!({ "password": PASSWORD })),
            Some(&alice.token),
        )
        .await;
    assert_eq!(gone.status(), StatusCode::OK);
    assert_eq!(
        places_holding(&app, &alice.user_id).await,
        Vec::<String>::new()
    );
    assert_eq!(
        places_holding(&app, "alice.export@example.com").await,
        Vec::<String>::new()
    );

    // Its tokens are revoked: the access token, the refresh token, and the password.
    let profile = app
        .get(
            &format!("/api/users/{}/profile", alice.user_id),
            Some(&alice.token),
        )
        .await;
    assert_eq!(profile.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.get("/api/dashboard/stats", Some(&alice.token))
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let refresh = app.refresh(&alice.refresh_token).await;
    assert_eq!(refresh.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.login(&alice.email, PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );

    // Bob is untouched, and the deletion itself is on record without naming anyone.
    let bobs: Value = app.get_json("/api/users/me/export", Some(&bob.token)).await;
    assert_eq!(bobs["journal_entries"].as_array().unwrap().len(), 1);
    let pool = database(&app).await;
    let deletions: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE event = 'account_deleted' AND user_id IS NULL",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(deletions, 1);
}

#[tokio::test]
async fn export_holds_everything_and_deletion_leaves_nothing_on_sqlite() {
    export_holds_everything_and_deletion_leaves_nothing(Backend::Sqlite).await;
}

#[tokio::test]
async fn export_holds_everything_and_deletion_leaves_nothing_on_postgres() {
    export_holds_everything_and_deletion_leaves_nothing(Backend::Postgres).await;
}

#[tokio::test]
async fn public_stats_and_the_dashboard_count_what_is_stored() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let empty: Value = app.get_json("/api/stats", None).await;
    assert_eq!(
        empty["raw_numbers"],
        json!({ "users": 0, "entries": 0, "accuracy": 75 })
    );
    let body = json!({ "firstName": "Sam", "lastName": "", "email": "sam@example.com", "password": PASSWORD });
    let sam = session(
        app.post("/api/auth/register", &body, None)
            .await
            .json()
            .await
            .unwrap(),
    );
    app.post(
        "/api/journal/entries",
        &json!({ "text": "first day" }),
        Some(&sam.token),
    )
    .await;
    submit_ok(&app, &sam, 1, &[0; 9]).await;

    let stats: Value = app.get_json("/api/stats", None).await;
    assert_eq!(
        (stats["users"].as_str(), stats["entries"].as_str()),
        (Some("1+"), Some("1+"))
    );
    let dashboard: Value = app.get_json("/api/dashboard/stats", Some(&sam.token)).await;
    assert_eq!(dashboard["stats"]["total_entries"], 1);
    assert_eq!(dashboard["stats"]["entries_this_week"], 1);
    assert_eq!(dashboard["stats"]["streak"], 1);
    assert_eq!(dashboard["stats"]["last_entry"]["text"], "first day");
    assert_eq!(dashboard["total_tests_completed"], 1);
    assert_eq!(
        app.get("/api/dashboard/stats", None).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_deleted_accounts_token_opens_nothing_and_sign_ins_are_audited() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let eve = app.register("eve@example.com").await;
    assert_eq!(
        app.login("eve@example.com", "wrong password")
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login("nobody@example.com", "wrong password")
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let signed_in = app.login("eve@example.com", PASSWORD).await;
    assert_eq!(signed_in.status(), StatusCode::OK);
    let later = crate::helpers::session(signed_in.json().await.unwrap());
    assert_eq!(
        app.refresh(&eve.refresh_token).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.refresh(&eve.refresh_token).await.status(),
        StatusCode::UNAUTHORIZED
    );
    // The reuse revoked the registration's session only: the later sign-in still reads.
    let export: Value = app
        .get_json("/api/users/me/export", Some(&later.token))
        .await;
    let events: Vec<&str> = export["security_events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        events,
        [
            "sign_in_failed",
            "sign_in",
            "refresh_token_reuse",
            "data_export"
        ]
    );
    let pool = database(&app).await;
    let anonymous: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE event = 'sign_in_failed' AND user_id IS NULL",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(anonymous, 1, "an unknown email is recorded without it");

    let deleted = app
        .send(
            Method::DELETE,
            "/api/users/me",
            Some(&json!({ "password": PASSWORD })),
            Some(&later.token),
        )
        .await;
    assert_eq!(deleted.status(), StatusCode::OK);
    let write = app
        .post(
            "/api/journal/entries",
            &json!({ "text": "after deletion" }),
            Some(&later.token),
        )
        .await;
    assert_eq!(write.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.get("/api/journal/entries", Some(&later.token))
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
}
