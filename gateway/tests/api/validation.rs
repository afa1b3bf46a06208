//! Bad input gets the contract's message and changes nothing.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Backend, PASSWORD, assert_error, spawn_app};

#[tokio::test]
async fn predict_validates_text_in_the_contracts_order() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let cases = [
        (json!({}), "No text provided"),
        (json!([1, 2]), "No text provided"),
        (json!({ "text": 5 }), "Text must be a string"),
        (json!({ "text": "   " }), "Empty text provided"),
        (
            json!({ "text": "x".repeat(5001) }),
            "Text too long. Maximum length is 5000 characters",
        ),
    ];
    for (body, message) in cases {
        let response = app.post("/api/predict/both", &body, None).await;
        assert_error(response, StatusCode::BAD_REQUEST, message).await;
    }
}

#[tokio::test]
async fn text_length_counts_characters_not_bytes() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    // 5000 two-byte characters pass validation; with inference down the answer is 503.
    let response = app
        .post(
            "/api/predict/roberta",
            &json!({ "text": "é".repeat(5000) }),
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn registration_refuses_incomplete_or_invalid_accounts() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let cases = [
        (
            json!({ "firstName": "A", "password": PASSWORD }),
            "Email and password are required",
        ),
        (
            json!({ "email": "a@b.c", "password": PASSWORD }),
            "Email, password, and name are required",
        ),
        (
            json!({ "firstName": "A", "email": "not-an-email", "password": PASSWORD }),
            "Invalid email address",
        ),
        (
            json!({ "firstName": "A", "email": "a@b.c", "password": "12345" }),
            "Password must be between 6 and 128 characters",
        ),
    ];
    for (body, message) in cases {
        let response = app.post("/api/auth/register", &body, None).await;
        assert_error(response, StatusCode::BAD_REQUEST, message).await;
    }
    let login = app.login("a@b.c", PASSWORD).await;
    assert_eq!(
        login.status(),
        StatusCode::UNAUTHORIZED,
        "no account was created"
    );
}

#[tokio::test]
async fn a_duplicate_email_differing_only_in_case_is_refused() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    app.register("dup@example.com").await;
    let body = json!({ "firstName": "B", "email": "DUP@example.com", "password": PASSWORD });
    let response = app.post("/api/auth/register", &body, None).await;
    assert_error(response, StatusCode::CONFLICT, "User already exists").await;
}

#[tokio::test]
async fn login_gives_one_message_for_an_unknown_email_and_a_wrong_password() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    app.register("known@example.com").await;
    let unknown = app.login("unknown@example.com", PASSWORD).await;
    assert_error(
        unknown,
        StatusCode::UNAUTHORIZED,
        "Invalid email or password",
    )
    .await;
    let wrong = app.login("known@example.com", "wrong password").await;
    assert_error(wrong, StatusCode::UNAUTHORIZED, "Invalid email or password").await;
    let empty = app.login("known@example.com", "").await;
    assert_error(
        empty,
        StatusCode::BAD_REQUEST,
        "Email and password are required",
    )
    .await;
}

#[tokio::test]
async fn journal_writes_validate_text_tags_and_paging() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let user = app.register("journal-validation@example.com").await;
    let token = Some(user.token.as_str());
    let no_text = app.post("/api/journal/entries", &json!({}), token).await;
    assert_error(no_text, StatusCode::BAD_REQUEST, "Text is required").await;
    let bad_tags = app
        .post(
            "/api/journal/entries",
            &json!({ "text": "ok", "tags": "x" }),
            token,
        )
        .await;
    assert_eq!(bad_tags.status(), StatusCode::BAD_REQUEST);
    let too_long = app
        .post(
            "/api/journal/entries",
            &json!({ "text": "y".repeat(5001) }),
            token,
        )
        .await;
    assert_eq!(too_long.status(), StatusCode::BAD_REQUEST);
    let paging = app.get("/api/journal/entries?per_page=0", token).await;
    assert_eq!(paging.status(), StatusCode::BAD_REQUEST);
    let dates = app.get("/api/journal/entries?from=last-week", token).await;
    assert_eq!(dates.status(), StatusCode::BAD_REQUEST);
    let list: Value = app.get_json("/api/journal/entries", token).await;
    assert_eq!(list["total"], 0, "nothing was written");
}

#[tokio::test]
async fn csv_uploads_are_checked_before_any_model_runs() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let upload = |name: &'static str, content: &'static str| {
        let part = reqwest::multipart::Part::bytes(content.as_bytes()).file_name(name);
        reqwest::multipart::Form::new().part("file", part)
    };
    let post = |form| {
        app.client
            .post(app.url("/api/analyze/csv"))
            .multipart(form)
            .send()
    };
    let no_file = post(reqwest::multipart::Form::new().text("model", "both"))
        .await
        .unwrap();
    assert_error(no_file, StatusCode::BAD_REQUEST, "No file provided").await;
    let not_csv = post(upload("notes.txt", "text\nhi\n")).await.unwrap();
    assert_error(not_csv, StatusCode::BAD_REQUEST, "File must be a CSV").await;
    let empty = post(upload("empty.csv", "text\n\n")).await.unwrap();
    assert_error(
        empty,
        StatusCode::BAD_REQUEST,
        "No valid text data found in CSV",
    )
    .await;
}

/// A NUL character anywhere a user can send text is a 400 naming the field, alike on both
/// databases (PostgreSQL cannot store one), and nothing is written.
async fn nul_characters_are_refused_naming_the_field(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let user = app.register("nul@example.com").await;
    let token = Some(user.token.as_str());
    let refused = |field: &str| format!("{field} must not contain a NUL character");
    let register = json!({ "firstName": "A\u{0}", "email": "x@example.com", "password": PASSWORD });
    let response = app.post("/api/auth/register", &register, None).await;
    assert_error(response, StatusCode::BAD_REQUEST, &refused("firstName")).await;
    let register = json!({ "firstName": "A", "email": "x\u{0}@example.com", "password": PASSWORD });
    let response = app.post("/api/auth/register", &register, None).await;
    assert_error(response, StatusCode::BAD_REQUEST, &refused("email")).await;
    let login = json!({ "email": "nul\u{0}@example.com", "password": PASSWORD });
    let response = app.post("/api/auth/login", &login, None).await;
    assert_error(response, StatusCode::BAD_REQUEST, &refused("email")).await;

    let entry = json!({ "text": "a\u{0}b", "tags": ["x"] });
    let response = app.post("/api/journal/entries", &entry, token).await;
    assert_error(response, StatusCode::BAD_REQUEST, &refused("text")).await;
    let tags = json!({ "text": "fine", "tags": ["ok", "t\u{0}"] });
    let response = app.post("/api/journal/entries", &tags, token).await;
    assert_error(response, StatusCode::BAD_REQUEST, &refused("tags[1]")).await;
    let patch = json!({ "text": "\u{0}" });
    let response = app.patch("/api/journal/entries/1", &patch, token).await;
    assert_error(response, StatusCode::BAD_REQUEST, &refused("text")).await;

    let profile = format!("/api/users/{}/profile", user.user_id);
    let bio = json!({ "profile": { "bio": "b\u{0}" } });
    let response = app
        .send(reqwest::Method::PUT, &profile, Some(&bio), token)
        .await;
    assert_error(response, StatusCode::BAD_REQUEST, &refused("profile.bio")).await;
    let response = app.get("/api/users/%00/profile", token).await;
    let message = "The URL path must not contain a NUL character";
    assert_error(response, StatusCode::BAD_REQUEST, message).await;
    let response = app.get("/api/journal/entries?from=%00", token).await;
    let message = "Query parameter from must not contain a NUL character";
    assert_error(response, StatusCode::BAD_REQUEST, message).await;

    let listed: Value = app.get_json("/api/journal/entries", token).await;
    assert_eq!(listed["total"], 0, "nothing was written");
    let me: Value = app.get_json("/api/auth/me", token).await;
    assert_eq!(me["user"]["profile"]["bio"], "");
}

#[tokio::test]
async fn nul_characters_are_refused_naming_the_field_on_sqlite() {
    nul_characters_are_refused_naming_the_field(Backend::Sqlite).await;
}

#[tokio::test]
async fn nul_characters_are_refused_naming_the_field_on_postgres() {
    nul_characters_are_refused_naming_the_field(Backend::Postgres).await;
}

/// Paging that would overflow is refused, and dates are compared as times up to the end of
/// year 9999 (stored timestamps are text): alike on both databases.
async fn paging_and_dates_at_their_limits(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let user = app.register("limits@example.com").await;
    let token = Some(user.token.as_str());
    let saved = app
        .post("/api/journal/entries", &json!({ "text": "today" }), token)
        .await;
    assert_eq!(saved.status(), StatusCode::CREATED);
    let app = &app;
    let list = |query: &str| {
        let path = format!("/api/journal/entries?{query}");
        async move { app.get(&path, token).await }
    };

    let huge = list("page=9223372036854775807&per_page=500").await;
    assert_eq!(huge.status(), StatusCode::BAD_REQUEST);
    let body: Value = huge.json().await.unwrap();
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .starts_with("page must be between 1 and"),
        "{body}"
    );
    let empty: Value = list("page=2&per_page=1").await.json().await.unwrap();
    assert_eq!(
        (
            empty["page"].as_i64(),
            empty["entries"].as_array().map(Vec::len)
        ),
        (Some(2), Some(0))
    );

    let to_the_end: Value = list("to=9999-12-31").await.json().await.unwrap();
    assert_eq!(to_the_end["total"], 1, "{to_the_end}");
    let past_9999 = list("from=9999-12-31T23:59:59.999-01:00").await;
    assert_error(
        past_9999,
        StatusCode::BAD_REQUEST,
        "Invalid date: dates must lie before the year 10000 (UTC)",
    )
    .await;
    let last_day: Value = list("from=9999-12-31").await.json().await.unwrap();
    assert_eq!(last_day["total"], 0, "{last_day}");
}

#[tokio::test]
async fn paging_and_dates_at_their_limits_on_sqlite() {
    paging_and_dates_at_their_limits(Backend::Sqlite).await;
}

#[tokio::test]
async fn paging_and_dates_at_their_limits_on_postgres() {
    paging_and_dates_at_their_limits(Backend::Postgres).await;
}
