//! Every journey of the web app in one walk, as a person without JavaScript would take it, on
//! SQLite and PostgreSQL with the real inference binary.

use reqwest::{StatusCode, header};

use super::{Browser, PASSWORD};
use crate::helpers::{Backend, spawn_app_with, spawn_inference};

#[tokio::test]
async fn the_journeys_work_without_javascript_on_sqlite() {
    journeys(Backend::Sqlite).await;
}

#[tokio::test]
async fn the_journeys_work_without_javascript_on_postgres() {
    journeys(Backend::Postgres).await;
}

async fn journeys(backend: Backend) {
    let inference = spawn_inference().await;
    let Some(app) = spawn_app_with(backend, &[("INFERENCE_URL", &inference.url())]).await else {
        return;
    };
    let mut browser = Browser::new(&app);
    let home = browser.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(
        home.body.contains("href=\"/signup\""),
        "the welcome page offers sign-up"
    );
    browser.sign_up("web@example.com", "Ada").await;

    journal(&mut browser).await;
    dashboard(&mut browser).await;
    phq9_with_item_9_puts_crisis_resources_first(&mut browser).await;
    analyze(&mut browser).await;
    profile(&mut browser).await;
    account(&mut browser).await;
}

async fn journal(browser: &mut Browser<'_>) {
    let walk = browser
        .write(
            "A long walk by the sea made me happy and calm",
            "outdoors, walk",
        )
        .await;
    browser
        .write("Work was stressful and I felt awful", "work")
        .await;
    let form = browser.get("/journal").await;
    let rated = browser
        .post(
            "/journal",
            &[
                ("csrf_token", &form.csrf()),
                ("text", "Quiet tea in the garden"),
                ("self_mood", "4"),
            ],
        )
        .await;
    assert!(rated.redirected_to("/journal"));
    let odd = browser
        .post(
            "/journal",
            &[
                ("csrf_token", &form.csrf()),
                ("text", "A rating out of range"),
                ("self_mood", "9"),
            ],
        )
        .await;
    assert_eq!(odd.status, StatusCode::BAD_REQUEST, "the API's own check");
    assert!(odd.body.contains("self_mood must be"));
    let rated_id = browser.get("/journal").await.entry_ids()[0];
    assert!(
        browser
            .get(&format!("/journal/{rated_id}"))
            .await
            .body
            .contains("Your rating: <strong>Good</strong>")
    );
    let deleted = browser.get(&format!("/journal/{rated_id}/delete")).await;
    browser
        .post(
            &format!("/journal/{rated_id}/delete"),
            &[("csrf_token", &deleted.csrf())],
        )
        .await;
    let list = browser.get("/journal").await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.entry_ids().len(), 2, "both entries, newest first");
    assert!(list.body.find("Work was stressful").unwrap() < list.body.find("A long walk").unwrap());
    for shown in ["RoBERTa", "LSTM", "Mood ", "confident"] {
        assert!(list.body.contains(shown), "each entry shows {shown}");
    }
    assert!(list.body.contains("agree"), "whether the models agree");
    let tagged = browser.get("/journal?tag=walk").await;
    assert_eq!(
        tagged.entry_ids(),
        vec![walk],
        "the tag filter keeps only tagged entries"
    );
    assert!(
        list.body.contains("href=\"/journal?tag=walk\""),
        "a tag links to its filter"
    );
    let future = browser.get("/journal?from=2999-01-01").await;
    assert!(future.entry_ids().is_empty(), "the date filter");
    let bad = browser.get("/journal?from=yesterday").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("Invalid date"), "the error is shown");

    let entry = browser.get(&format!("/journal/{walk}")).await;
    assert_eq!(entry.status, StatusCode::OK);
    assert!(
        entry.body.contains("Lifted the mood") && entry.body.contains("Lowered the mood"),
        "the text alternative of the shading"
    );
    let edited = browser
        .post(
            &format!("/journal/{walk}"),
            &[
                ("csrf_token", &entry.csrf()),
                ("text", "A long walk by the sea, edited"),
                ("tags", "walk"),
            ],
        )
        .await;
    assert!(edited.redirected_to(&format!("/journal/{walk}")));
    assert!(
        browser
            .get(&format!("/journal/{walk}"))
            .await
            .body
            .contains("edited")
    );
    let empty = browser
        .post(
            &format!("/journal/{walk}"),
            &[("csrf_token", &entry.csrf()), ("text", "   ")],
        )
        .await;
    assert_eq!(
        empty.status,
        StatusCode::BAD_REQUEST,
        "an empty text is refused"
    );
    assert!(empty.body.contains("text-error"), "next to the text field");
    assert!(
        browser
            .get(&format!("/journal/{walk}"))
            .await
            .body
            .contains("edited"),
        "and nothing changed"
    );

    let confirm = browser.get(&format!("/journal/{walk}/delete")).await;
    assert!(
        confirm.body.contains("Delete this entry?"),
        "deleting asks first"
    );
    let deleted = browser
        .post(
            &format!("/journal/{walk}/delete"),
            &[("csrf_token", &confirm.csrf())],
        )
        .await;
    assert!(deleted.redirected_to("/journal"));
    assert_eq!(
        browser.get(&format!("/journal/{walk}")).await.status,
        StatusCode::NOT_FOUND
    );
}

async fn dashboard(browser: &mut Browser<'_>) {
    for days in ["", "?days=7", "?days=90"] {
        let page = browser.get(&format!("/dashboard{days}")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.body.contains("<svg class=\"chart\""),
            "the mood line chart"
        );
        assert!(
            page.body.contains("<svg class=\"heat\""),
            "the year's calendar"
        );
        assert!(
            page.body.contains("<table>"),
            "the chart's text alternative"
        );
        assert!(
            page.body.contains("Negative: 1")
                || page.body.contains("Positive: 1")
                || page.body.contains("Neutral: 1"),
            "the sentiment mix"
        );
        assert!(page.body.contains("day streak"));
    }
}

async fn phq9_with_item_9_puts_crisis_resources_first(browser: &mut Browser<'_>) {
    let overview = browser.get("/assessments").await;
    for name in ["PHQ-9", "GAD-7", "PSS-10", "Big Five"] {
        assert!(overview.body.contains(name), "{name} is offered");
    }
    let form = browser.get("/assessments/1").await;
    assert!(
        form.body.contains("Nearly every day"),
        "the published options"
    );
    let csrf = form.csrf();
    let incomplete = browser
        .post("/assessments/1", &[("csrf_token", &csrf), ("q1", "1")])
        .await;
    assert_eq!(incomplete.status, StatusCode::BAD_REQUEST);
    assert!(incomplete.body.contains("Please answer every question"));
    let mut answers: Vec<(String, String)> =
        (1..=8).map(|n| (format!("q{n}"), "0".to_owned())).collect();
    answers.push(("q9".into(), "1".into()));
    answers.push(("csrf_token".into(), csrf));
    let pairs: Vec<(&str, &str)> = answers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let submitted = browser.post("/assessments/1", &pairs).await;
    assert_eq!(submitted.status, StatusCode::SEE_OTHER);
    let result = browser.get(submitted.location.as_deref().unwrap()).await;
    let crisis = result
        .body
        .find("988")
        .expect("crisis resources on the result page");
    let score = result.body.find("class=\"score\"").expect("the score");
    assert!(crisis < score, "crisis resources come before the score");
    assert!(result.body.contains("role=\"alert\""), "announced at once");
    let history = browser.get("/assessments").await;
    assert!(
        history.body.contains("Your history"),
        "the result is in the history"
    );

    // The other instruments, each to its result: no crisis block without PHQ-9 item 9.
    for (id, items) in [(2, 7), (3, 50), (4, 10)] {
        let form = browser.get(&format!("/assessments/{id}")).await;
        let csrf = form.csrf();
        let mut answers: Vec<(String, String)> = (1..=items)
            .map(|n| (format!("q{n}"), "2".to_owned()))
            .collect();
        answers.push(("csrf_token".into(), csrf));
        let pairs: Vec<(&str, &str)> = answers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let submitted = browser.post(&format!("/assessments/{id}"), &pairs).await;
        assert_eq!(
            submitted.status,
            StatusCode::SEE_OTHER,
            "instrument {id}: {}",
            submitted.body.chars().take(300).collect::<String>()
        );
        let result = browser.get(submitted.location.as_deref().unwrap()).await;
        assert_eq!(result.status, StatusCode::OK);
        assert!(
            result.body.contains("Recommendations") && !result.body.contains("class=\"crisis\"")
        );
        if id == 3 {
            assert!(result.body.contains("Trait"), "the Big Five's traits");
        }
    }
}

async fn analyze(browser: &mut Browser<'_>) {
    let page = browser.get("/analyze").await;
    let csrf = page.csrf();
    let result = browser
        .post(
            "/analyze",
            &[("csrf_token", &csrf), ("text", "What a lovely day")],
        )
        .await;
    assert_eq!(result.status, StatusCode::OK);
    assert!(
        result.body.contains("RoBERTa")
            && result.body.contains("LSTM")
            && result.body.contains("confident")
    );
    let file = || {
        let part =
            reqwest::multipart::Part::bytes(b"text\nI love this\nThis is terrible\n".to_vec())
                .file_name("notes.csv");
        reqwest::multipart::Form::new()
            .text("csrf_token", csrf.clone())
            .part("file", part)
    };
    let table = browser.post_multipart("/analyze/csv", file()).await;
    assert_eq!(table.status, StatusCode::OK, "{}", table.body);
    assert!(table.body.contains("This is terrible") && table.body.contains("2 rows"));
    let download = browser
        .post_multipart("/analyze/csv?download=1", file())
        .await;
    assert_eq!(
        download.headers[header::CONTENT_TYPE],
        "text/csv; charset=utf-8"
    );
    assert!(
        download.body.starts_with("row,text,sentiment"),
        "{}",
        download.body
    );
    assert_eq!(download.body.lines().count(), 3);
    let live = |token: &str| {
        let request = browser
            .client
            .post(browser.app.url("/web/predict"))
            .form(&[("text", "so happy today")]);
        let jar: Vec<String> = browser
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        request
            .header(header::COOKIE, jar.join("; "))
            .header("x-csrf-token", token.to_owned())
            .send()
    };
    let reading = live(&csrf).await.unwrap();
    assert_eq!(
        reading.status(),
        StatusCode::OK,
        "the live reading while typing"
    );
    let reading: serde_json::Value = reading.json().await.unwrap();
    assert!(
        reading["roberta"]["sentiment"].is_string() && reading["lstm"]["sentiment"].is_string()
    );
    assert_eq!(
        live("forged").await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    let forged = reqwest::multipart::Form::new().text("csrf_token", "nope");
    assert_eq!(
        browser.post_multipart("/analyze/csv", forged).await.status,
        StatusCode::FORBIDDEN
    );
}

async fn profile(browser: &mut Browser<'_>) {
    let page = browser.get("/profile").await;
    assert!(page.body.contains("web@example.com"));
    let csrf = page.csrf();
    let saved = browser
        .post(
            "/profile",
            &[
                ("csrf_token", &csrf),
                ("first_name", "Ada"),
                ("last_name", "Lovelace"),
                ("bio", "Counting days"),
                ("timezone", "Europe/Paris"),
            ],
        )
        .await;
    assert!(saved.redirected_to("/profile?saved=1"));
    let page = browser.get("/profile?saved=1").await;
    assert!(
        page.body.contains("Ada Lovelace")
            && page.body.contains("Counting days")
            && page.body.contains("Europe/Paris")
    );
    let bad = browser
        .post(
            "/profile",
            &[
                ("csrf_token", &csrf),
                ("first_name", "Ada"),
                ("timezone", "Mars/Olympus"),
            ],
        )
        .await;
    assert_eq!(
        bad.status,
        StatusCode::BAD_REQUEST,
        "an unknown time zone is refused"
    );
    assert!(
        browser.get("/profile").await.body.contains("Europe/Paris"),
        "and nothing changed"
    );
}

async fn account(browser: &mut Browser<'_>) {
    let page = browser.get("/account").await;
    let csrf = page.csrf();
    let export = browser
        .post("/account/export", &[("csrf_token", &csrf)])
        .await;
    assert_eq!(export.status, StatusCode::OK);
    assert!(
        export.headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .contains("attachment")
    );
    assert!(
        export.body.contains("Work was stressful"),
        "the export holds the entries"
    );
    let csv = browser
        .post("/account/export.csv", &[("csrf_token", &csrf)])
        .await;
    assert_eq!(csv.headers[header::CONTENT_TYPE], "text/csv; charset=utf-8");
    assert!(
        csv.body.contains("Work was stressful"),
        "the journal as CSV"
    );
    let wrong = browser
        .post(
            "/account/delete",
            &[("csrf_token", &csrf), ("password", "not it")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.body.contains("Incorrect password"));
    assert_eq!(
        browser.get("/journal").await.status,
        StatusCode::OK,
        "still signed in"
    );
    let kept = browser.cookies.clone();
    let deleted = browser
        .post(
            "/account/delete",
            &[("csrf_token", &csrf), ("password", PASSWORD)],
        )
        .await;
    assert!(deleted.redirected_to("/"));
    assert!(
        !browser.cookies.contains_key("mt_session"),
        "the cookie is cleared"
    );
    browser.cookies = kept;
    assert!(
        browser.get("/journal").await.redirected_to("/signin"),
        "a kept copy of the cookie is dead too"
    );
}
