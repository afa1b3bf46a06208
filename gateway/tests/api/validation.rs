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
