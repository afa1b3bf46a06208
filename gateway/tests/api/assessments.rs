//! Self-assessments over HTTP on a real database: the catalogue, scoring as each instrument's
//! authors publish it (reverse-scored PSS-10 items, reverse-keyed IPIP items), the PHQ-9 crisis
//! rule, and refused submissions that store nothing.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Backend, Session, TestApp, assert_error, spawn_app};

/// `values[i]` answers question `i + 1`.
pub fn answers(values: &[i64]) -> Value {
    let list: Vec<Value> = values
        .iter()
        .zip(1..)
        .map(|(v, n)| json!({ "question_number": n, "value": v }))
        .collect();
    json!({ "answers": list })
}

/// Submits `values` to test `id` and returns the response.
pub async fn submit(app: &TestApp, user: &Session, id: i64, values: &[i64]) -> reqwest::Response {
    app.post(
        &format!("/api/tests/{id}/submit"),
        &answers(values),
        Some(&user.token),
    )
    .await
}

/// Submits and returns `result`, asserting success.
pub async fn submit_ok(app: &TestApp, user: &Session, id: i64, values: &[i64]) -> Value {
    let response = submit(app, user, id, values).await;
    assert_eq!(response.status(), StatusCode::OK, "submit to test {id}");
    let body: Value = response.json().await.unwrap();
    body["result"].clone()
}

async fn history(app: &TestApp, user: &Session, query: &str) -> Value {
    let path = format!("/api/users/{}/test-results{query}", user.user_id);
    app.get_json(&path, Some(&user.token)).await
}

#[tokio::test]
async fn lists_the_four_instruments_in_the_contracts_order_and_falls_back_to_english() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let listed: Value = app.get_json("/api/tests?language=my", None).await;
    let ids: Vec<i64> = listed["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [3, 2, 1, 4]);
    assert_eq!(
        listed["tests"][2]["test_name"],
        "PHQ-9 Depression Screening"
    );
    assert_eq!(listed["tests"][0]["duration_minutes"], 25.0);

    let phq: Value = app.get_json("/api/tests/1?language=my", None).await;
    let test = &phq["test"];
    assert_eq!(test["questions"].as_array().unwrap().len(), 9);
    assert_eq!(
        test["questions"][8]["question_text"],
        "Thoughts that you would be better off dead or of hurting yourself in some way"
    );
    assert_eq!(
        test["response_options"][3],
        json!({ "text": "Nearly every day", "value": 3 })
    );
    let ipip: Value = app.get_json("/api/tests/3", None).await;
    assert_eq!(
        ipip["test"]["questions"][0]["question_text"],
        "Am the life of the party."
    );
    assert_eq!(
        ipip["test"]["questions"][0]["id"], 17,
        "the original's global question ids"
    );

    assert_error(
        app.get("/api/tests/5", None).await,
        StatusCode::NOT_FOUND,
        "Test not found",
    )
    .await;
    assert_error(
        app.get("/api/tests/phq", None).await,
        StatusCode::NOT_FOUND,
        "Test not found",
    )
    .await;
}

async fn scores_each_instrument_as_published(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let user = app.register("scorer@example.com").await;

    let phq = submit_ok(&app, &user, 1, &[1, 2, 3, 0, 1, 2, 3, 0, 0]).await;
    assert_eq!(
        (phq["total_score"].as_i64(), phq["severity_level"].as_str()),
        (Some(12), Some("moderate"))
    );
    assert_eq!(phq["max_score"], 27);
    assert!(phq.get("crisis").is_none());

    let gad = submit_ok(&app, &user, 2, &[3; 7]).await;
    assert_eq!(
        (gad["total_score"].as_i64(), gad["severity_level"].as_str()),
        (Some(21), Some("severe"))
    );

    // PSS-10 items 4, 5, 7 and 8 count 4 − answer: 2+3+2+(4−1)+(4−1)+3+(4−2)+(4−1)+2+3 = 26.
    let pss = submit_ok(&app, &user, 4, &[2, 3, 2, 1, 1, 3, 2, 1, 2, 3]).await;
    assert_eq!(
        (pss["total_score"].as_i64(), pss["severity_level"].as_str()),
        (Some(26), Some("moderate"))
    );
    // All "Never": only the four reversed items score, 4 each.
    assert_eq!(submit_ok(&app, &user, 4, &[0; 10]).await["total_score"], 16);

    // "Very Accurate" everywhere: plus-keyed items give 5, minus-keyed 1 (IPIP's published key).
    let big5 = submit_ok(&app, &user, 3, &[5; 50]).await;
    assert_eq!(big5["total_score"], 250);
    assert_eq!(
        big5["trait_scores"],
        json!({ "extraversion": 30, "agreeableness": 34, "conscientiousness": 34, "neuroticism": 42, "openness": 38 })
    );

    let all = history(&app, &user, "").await;
    assert_eq!(all["total"], 5);
    assert_eq!(all["results"][0]["test_id"], 3, "newest first");
    assert_eq!(all["results"][0]["trait_scores"]["neuroticism"], 42);
    let pss_only = history(&app, &user, "?test_id=4").await;
    let scores: Vec<i64> = pss_only["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["score"].as_i64().unwrap())
        .collect();
    assert_eq!(scores, [16, 26]);
    assert_eq!(pss_only["results"][1]["interpretation"], pss["description"]);
    assert_eq!(
        history(&app, &user, "?test_id=abc").await["total"],
        5,
        "an invalid filter is ignored"
    );
}

#[tokio::test]
async fn scores_each_instrument_as_published_on_sqlite() {
    scores_each_instrument_as_published(Backend::Sqlite).await;
}

#[tokio::test]
async fn scores_each_instrument_as_published_on_postgres() {
    scores_each_instrument_as_published(Backend::Postgres).await;
}

async fn phq9_item_9_raises_the_crisis_flag_whatever_the_total(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let user = app.register("crisis@example.com").await;
    let result = submit_ok(&app, &user, 1, &[0, 0, 0, 0, 0, 0, 0, 0, 1]).await;
    assert_eq!(
        (
            result["total_score"].as_i64(),
            result["severity_level"].as_str()
        ),
        (Some(1), Some("minimal"))
    );
    assert_eq!(result["has_crisis_indicators"], true);
    assert_eq!(result["crisis"]["alert"], true);
    let resources = result["crisis"]["resources"].as_array().unwrap();
    assert_eq!(resources.len(), 3);
    assert_eq!(resources[0]["contact"], "Call or text 988");

    let calm = submit_ok(&app, &user, 1, &[3, 3, 3, 3, 3, 3, 3, 3, 0]).await;
    assert!(calm.get("crisis").is_none() && calm["has_crisis_indicators"] == false);
    let stored = history(&app, &user, "?test_id=1").await;
    assert_eq!(stored["results"][1]["has_crisis_indicators"], true);
    assert_eq!(stored["results"][0]["has_crisis_indicators"], false);
}

#[tokio::test]
async fn phq9_item_9_raises_the_crisis_flag_on_sqlite() {
    phq9_item_9_raises_the_crisis_flag_whatever_the_total(Backend::Sqlite).await;
}

#[tokio::test]
async fn phq9_item_9_raises_the_crisis_flag_on_postgres() {
    phq9_item_9_raises_the_crisis_flag_whatever_the_total(Backend::Postgres).await;
}

async fn refuses_incomplete_repeated_or_out_of_range_answers_and_stores_nothing(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let user = app.register("careless@example.com").await;
    let duplicate = json!({ "answers": [
        { "question_number": 1, "value": 1 }, { "question_number": 1, "value": 2 },
        { "question_number": 2, "value": 0 }, { "question_number": 3, "value": 0 },
        { "question_number": 4, "value": 0 }, { "question_number": 5, "value": 0 },
        { "question_number": 6, "value": 0 }, { "question_number": 7, "value": 0 },
    ]});
    let cases = [
        (answers(&[0; 6]), "Question 7 is not answered"),
        (answers(&[0; 8]), "Question 8 does not exist in this test"),
        (
            answers(&[0, 0, 4, 0, 0, 0, 0]),
            "Answer 4 is not a valid option for question 3",
        ),
        (duplicate, "Question 1 is answered more than once"),
        (json!({ "answers": [] }), "Answers required"),
        (json!({}), "Answers required"),
        (
            json!({ "answers": [{ "question_number": "1", "value": 0 }] }),
            "Each answer must be {\"question_number\": integer, \"value\": integer}",
        ),
    ];
    for (body, message) in cases {
        let response = app
            .post("/api/tests/2/submit", &body, Some(&user.token))
            .await;
        assert_error(response, StatusCode::BAD_REQUEST, message).await;
    }
    // IPIP answers run 1 to 5: a 0 is refused, even with everything else right.
    let mut zeros = vec![3; 50];
    zeros[49] = 0;
    assert_eq!(
        submit(&app, &user, 3, &zeros).await.status(),
        StatusCode::BAD_REQUEST
    );
    let anonymous = app
        .post("/api/tests/2/submit", &answers(&[0; 7]), None)
        .await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        history(&app, &user, "").await["total"],
        0,
        "nothing was stored"
    );
}

#[tokio::test]
async fn refuses_bad_submissions_and_stores_nothing_on_sqlite() {
    refuses_incomplete_repeated_or_out_of_range_answers_and_stores_nothing(Backend::Sqlite).await;
}

#[tokio::test]
async fn refuses_bad_submissions_and_stores_nothing_on_postgres() {
    refuses_incomplete_repeated_or_out_of_range_answers_and_stores_nothing(Backend::Postgres).await;
}

#[tokio::test]
async fn the_openapi_document_covers_every_route_of_the_assessments_accounts_and_sign_in() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let doc: Value = app.get_json("/api/openapi.json", None).await;
    let expected = [
        ("/api/tests", "get"),
        ("/api/tests/{id}", "get"),
        ("/api/tests/{id}/submit", "post"),
        ("/api/users/{user_id}/test-results", "get"),
        ("/api/users/{user_id}/mental-health-insights", "get"),
        ("/api/notifications/insights", "get"),
        ("/api/dashboard/stats", "get"),
        ("/api/stats", "get"),
        ("/api/users/{user_id}/profile", "get"),
        ("/api/users/{user_id}/profile", "put"),
        ("/api/users/me/export", "get"),
        ("/api/users/me", "delete"),
        ("/api/auth/google", "post"),
        ("/api/auth/github", "post"),
    ];
    for (path, method) in expected {
        assert!(
            doc["paths"][path][method].is_object(),
            "{method} {path} is documented"
        );
    }
}

async fn the_seeded_tests_rows_match_the_instrument_definitions(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let pool = crate::users::database(&app).await;
    let rows: Vec<(i64, String, String)> =
        sqlx::query_as("SELECT id, test_type, name FROM tests ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
    let defined: Vec<(i64, String, String)> = moodtracker_gateway::domain::assessments::INSTRUMENTS
        .iter()
        .map(|i| (i.id, i.test_type.to_owned(), i.name.to_owned()))
        .collect();
    assert_eq!(rows, defined);
}

#[tokio::test]
async fn the_seeded_tests_rows_match_the_instrument_definitions_on_sqlite() {
    the_seeded_tests_rows_match_the_instrument_definitions(Backend::Sqlite).await;
}

#[tokio::test]
async fn the_seeded_tests_rows_match_the_instrument_definitions_on_postgres() {
    the_seeded_tests_rows_match_the_instrument_definitions(Backend::Postgres).await;
}
