//! Import (a Daylio file with every field form, our own export) and the CSV export.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{import, post_entry, set_timezone};
use crate::helpers::{Backend, TestApp, assert_error, spawn_app};

/// Every Daylio field form: 24 h and 12 h times (with Android's narrow space), each mood,
/// several activities, a title only, a note only, both, `<br>` forms, a mood-only row; and
/// rows to reject (rows 7 to 12, the header being row 1). Shared with the import parser's unit
/// tests.
const DAYLIO: &str = include_str!("../../fixtures/daylio_export.csv");

async fn entries(app: &TestApp, token: &str) -> Vec<Value> {
    let body = app
        .get_json("/api/journal/entries?per_page=500", Some(token))
        .await;
    body["entries"].as_array().unwrap().clone()
}

async fn a_daylio_file_imports_once_with_every_field_form(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let user = app.register("daylio@example.com").await;
    assert_eq!(
        set_timezone(&app, &user, "Europe/Paris").await.status(),
        StatusCode::OK
    );
    let response = import(&app, &user, "daylio_export.csv", DAYLIO).await;
    assert_eq!(response.status(), StatusCode::OK);
    let summary: Value = response.json().await.unwrap();
    assert_eq!(
        (summary["created"].clone(), summary["duplicates"].clone()),
        (json!(5), json!(0))
    );
    assert_eq!(
        summary["pending"], 4,
        "inference is down: the four texts wait to be scored"
    );
    let rows: Vec<i64> = summary["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["row"].as_i64().unwrap())
        .collect();
    assert_eq!(rows, [7, 8, 9, 10, 11, 12], "{summary}");
    assert_eq!(
        summary["rejected"][4]["reason"],
        "a row needs a note or a mood"
    );

    let stored = entries(&app, &user.token).await; // newest first
    assert_eq!(stored.len(), 5);
    let run = &stored[4];
    assert_eq!(run["date"], "2025-05-01T19:30:00.000Z", "21:30 in Paris");
    assert_eq!(
        (run["self_mood"].clone(), run["tags"].clone()),
        (json!(5), json!(["running", "friends"]))
    );
    assert_eq!(run["text"], "Great run\n\nRan 5k.\nFelt \nstrong");
    assert_eq!(
        (stored[3]["date"].clone(), stored[3]["self_mood"].clone()),
        (json!("2025-05-02T06:05:00.000Z"), json!(4))
    );
    assert_eq!(stored[2]["date"], "2025-05-03T10:15:00.000Z");
    let mood_only = &stored[1];
    assert_eq!(
        (mood_only["text"].clone(), mood_only["status"].clone()),
        (json!(""), json!("unscored"))
    );
    assert_eq!(
        (mood_only["self_mood"].clone(), mood_only["tags"].clone()),
        (json!(2), json!(["sleep"]))
    );
    assert_eq!(
        (stored[0]["date"].clone(), stored[0]["text"].clone()),
        (
            json!("2025-05-04T22:10:00.000Z"),
            json!("line one\nline two")
        )
    );

    let again: Value = import(&app, &user, "daylio_export.csv", DAYLIO)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (again["created"].clone(), again["duplicates"].clone()),
        (json!(0), json!(5))
    );
    assert_eq!(
        entries(&app, &user.token).await.len(),
        5,
        "a second import creates nothing"
    );

    // The days use the self-rated moods: May 4 in Paris has the "bad" day (2.5) only; the
    // "awful" entry at 00:10 on May 5 is May 5.
    let calendar = app
        .get_json("/api/journal/calendar?year=2025", Some(&user.token))
        .await;
    let moods: Vec<(String, Value)> = calendar["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["date"].as_str().unwrap().to_owned(),
                d["mean_mood"].clone(),
            )
        })
        .collect();
    assert_eq!(moods[3], ("2025-05-04".to_owned(), json!(2.5)));
    assert_eq!(moods[4], ("2025-05-05".to_owned(), json!(0.0)));

    let other = app.register("someone-else@example.com").await;
    assert!(
        entries(&app, &other.token).await.is_empty(),
        "the import is the importer's alone"
    );
}

#[tokio::test]
async fn a_daylio_file_imports_once_with_every_field_form_on_sqlite() {
    a_daylio_file_imports_once_with_every_field_form(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_daylio_file_imports_once_with_every_field_form_on_postgres() {
    a_daylio_file_imports_once_with_every_field_form(Backend::Postgres).await;
}

async fn our_export_moves_between_accounts_and_csv_exports(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let alice = app.register("alice-io@example.com").await;
    post_entry(&app, &alice, json!({ "text": "=SUM(A1) a formula-looking note", "tags": ["x", "y"], "self_mood": 2, "date": "2025-02-01T10:00:00Z" })).await;
    post_entry(
        &app,
        &alice,
        json!({ "text": "A second note, with \"quotes\"" }),
    )
    .await;
    let export = app
        .get_json("/api/users/me/export", Some(&alice.token))
        .await;

    let bob = app.register("bob-io@example.com").await;
    let moved: Value = import(&app, &bob, "moodtracker-export.json", &export.to_string())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (moved["created"].clone(), moved["duplicates"].clone()),
        (json!(2), json!(0))
    );
    let bobs = entries(&app, &bob.token).await;
    assert_eq!(bobs[1]["date"], "2025-02-01T10:00:00.000Z");
    assert_eq!(
        (bobs[1]["self_mood"].clone(), bobs[1]["tags"].clone()),
        (json!(2), json!(["x", "y"]))
    );
    let back: Value = import(&app, &alice, "moodtracker-export.json", &export.to_string())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (back["created"].clone(), back["duplicates"].clone()),
        (json!(0), json!(2)),
        "alice has them already"
    );

    for (name, content) in [
        ("notes.csv", "name,age\nx,1\n"),
        ("x.json", "{\"entries\": []}"),
        ("empty.csv", ""),
    ] {
        assert_error(
            import(&app, &alice, name, content).await,
            StatusCode::BAD_REQUEST,
            "The file is neither a moodtracker export (JSON with journal_entries) nor a Daylio CSV export (header full_date,date,weekday,time,mood,activities,note_title,note)",
        )
        .await;
    }
    assert_eq!(
        entries(&app, &alice.token).await.len(),
        2,
        "a refused file creates nothing"
    );

    let response = app.get("/api/journal/export.csv", Some(&alice.token)).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    let csv = response.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        [
            "id",
            "date",
            "local_date",
            "text",
            "tags",
            "self_mood",
            "status",
            "sentiment",
            "confidence",
            "mood_score",
            "created_at",
            "updated_at"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(
        (&rows[0][2], &rows[0][3], &rows[0][4], &rows[0][5]),
        (
            "2025-02-01",
            "'=SUM(A1) a formula-looking note",
            "x | y",
            "2"
        )
    );
    assert_eq!(&rows[1][3], "A second note, with \"quotes\"");
    let carol = app.register("carol-io@example.com").await;
    let carols = app
        .get("/api/journal/export.csv", Some(&carol.token))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        carols.lines().count(),
        1,
        "another user's export holds the header only: {carols}"
    );
}

#[tokio::test]
async fn our_export_moves_between_accounts_and_csv_exports_on_sqlite() {
    our_export_moves_between_accounts_and_csv_exports(Backend::Sqlite).await;
}

#[tokio::test]
async fn our_export_moves_between_accounts_and_csv_exports_on_postgres() {
    our_export_moves_between_accounts_and_csv_exports(Backend::Postgres).await;
}

/// With inference up, a mood-only row (NULL scores) before scored rows: on PostgreSQL a cached
/// statement would have declared the NULL double as `float4` and refused the scores after it.
async fn an_import_with_inference_up_scores_texts_after_a_mood_only_row(backend: Backend) {
    let inference = crate::helpers::spawn_inference().await;
    let Some(app) =
        crate::helpers::spawn_app_with(backend, &[("INFERENCE_URL", &inference.url())]).await
    else {
        return;
    };
    let user = app.register("scored-import@example.com").await;
    let file = "full_date,date,weekday,time,mood,activities,note_title,note
2025-05-01,x,x,08:00,meh,,,
2025-05-02,x,x,08:00,good,,,A lovely walk by the sea
2025-05-03,x,x,08:00,bad,,,A rotten day at work
";
    let response = import(&app, &user, "daylio.csv", file).await;
    assert_eq!(response.status(), StatusCode::OK);
    let summary: Value = response.json().await.unwrap();
    assert_eq!(
        (summary["created"].clone(), summary["pending"].clone()),
        (json!(3), json!(0)),
        "{summary}"
    );
    let stored = entries(&app, &user.token).await;
    let statuses: Vec<&str> = stored
        .iter()
        .map(|e| e["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["scored", "scored", "unscored"]);
    assert!(stored[0]["mood_score"].is_f64() && stored[0]["roberta"].is_object());
}

#[tokio::test]
async fn an_import_with_inference_up_scores_texts_after_a_mood_only_row_on_sqlite() {
    an_import_with_inference_up_scores_texts_after_a_mood_only_row(Backend::Sqlite).await;
}

#[tokio::test]
async fn an_import_with_inference_up_scores_texts_after_a_mood_only_row_on_postgres() {
    an_import_with_inference_up_scores_texts_after_a_mood_only_row(Backend::Postgres).await;
}
