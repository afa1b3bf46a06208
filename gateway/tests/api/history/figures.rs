//! Effects (against the reference computation of the domain tests), agreement, the forecast,
//! the check-in, and another user seeing none of it.

use chrono::{Datelike, Days, Duration, NaiveDate, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{import_entries, rated};
use crate::helpers::{Backend, TestApp, assert_error, spawn_app};

/// The five weeks of `domain::history::effects` tests, as export rows.
fn five_weeks() -> Vec<Value> {
    let start = NaiveDate::from_ymd_opt(2025, 3, 3)
        .unwrap()
        .and_hms_opt(12, 0, 0)
        .unwrap()
        .and_utc();
    let mut rows = Vec::new();
    for i in 0..35i64 {
        let at = start + Duration::days(i);
        let own = 1 + (i * 3 + i / 7) % 5;
        let mut tags = Vec::new();
        if i % 3 == 0 {
            tags.push("run")
        }
        if [0, 2, 4].contains(&(i % 7)) {
            tags.push("Work")
        }
        if own >= 4 {
            tags.push("friends")
        }
        rows.push(rated(at, own, &tags));
        if i % 4 == 0 {
            // A second entry that day, a minute later (the same minute would be a duplicate).
            rows.push(rated(at + Duration::minutes(1), 5, &[]));
        }
    }
    rows
}

fn assert_effect(effect: &Value, expected: [f64; 7]) {
    let got = [
        &effect["days_with"],
        &effect["days_without"],
        &effect["mean_with"],
        &effect["mean_without"],
        &effect["difference"],
        &effect["ci95"][0],
        &effect["ci95"][1],
    ];
    for (g, e) in got.iter().zip(expected) {
        assert!(
            (g.as_f64().unwrap() - e).abs() < 0.0015,
            "{effect} vs {expected:?}"
        );
    }
}

async fn effects_match_the_reference_and_stay_private(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let user = app.register("effects@example.com").await;
    import_entries(&app, &user, five_weeks()).await;
    let effects = app
        .get_json("/api/journal/effects", Some(&user.token))
        .await;
    let tags: Vec<&str> = effects["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["tag"].as_str().unwrap())
        .collect();
    assert_eq!(tags, ["friends", "run", "work"]);
    // SciPy: ttest_ind(equal_var=False).confidence_interval(0.95) on the day means.
    assert_effect(
        &effects["tags"][0],
        [14.0, 21.0, 8.839, 4.048, 4.792, 3.616, 5.967],
    );
    assert_effect(
        &effects["tags"][1],
        [12.0, 23.0, 6.667, 5.598, 1.069, -1.019, 3.157],
    );
    assert_effect(
        &effects["tags"][2],
        [15.0, 20.0, 6.25, 5.75, 0.5, -1.556, 2.556],
    );
    assert_eq!(effects["tags"][0]["uncertain"], false);
    assert_eq!(effects["tags"][1]["uncertain"], true);
    let weekdays: Vec<i64> = effects["weekdays"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["weekday"].as_i64().unwrap())
        .collect();
    assert_eq!(weekdays, [4, 5, 6, 0, 1, 2, 3]);
    assert_effect(
        &effects["weekdays"][0],
        [5.0, 30.0, 6.5, 5.875, 0.625, -2.832, 4.082],
    );
    assert_eq!(
        effects["agreement"],
        json!({ "roberta": null, "lstm": null, "entries": 44 }),
        "44 rated entries, none scored by a model (inference is down)"
    );

    let other = app.register("nosy@example.com").await;
    assert_eq!(
        app.get_json("/api/journal/effects", Some(&other.token))
            .await,
        json!({ "tags": [], "weekdays": [], "agreement": null })
    );
    assert_eq!(
        app.get_json("/api/journal/streaks", Some(&other.token))
            .await["days_with_entries"],
        0
    );
    assert_eq!(
        app.get_json("/api/journal/calendar?year=2025", Some(&other.token))
            .await["days"],
        json!([])
    );
    let forecast = app.get("/api/journal/forecast", Some(&other.token)).await;
    assert_eq!(forecast.status(), StatusCode::UNPROCESSABLE_ENTITY);
    for path in [
        "/api/journal/effects",
        "/api/journal/streaks",
        "/api/journal/calendar",
        "/api/journal/forecast",
        "/api/journal/export.csv",
    ] {
        assert_eq!(
            app.get(path, None).await.status(),
            StatusCode::UNAUTHORIZED,
            "{path}"
        );
    }
}

#[tokio::test]
async fn effects_match_the_reference_and_stay_private_on_sqlite() {
    effects_match_the_reference_and_stay_private(Backend::Sqlite).await;
}

#[tokio::test]
async fn effects_match_the_reference_and_stay_private_on_postgres() {
    effects_match_the_reference_and_stay_private(Backend::Postgres).await;
}

/// Stores rated entries with both models' results (the fixture models' scores are not the
/// test's to choose).
async fn store_rated(app: &TestApp, user_id: &str, own: &[i64], scores: &[f64]) {
    let pool = crate::users::database(app).await;
    for (i, (o, s)) in own.iter().zip(scores).enumerate() {
        let result = json!({ "sentiment": "Neutral", "mood_score": s }).to_string();
        let lstm = json!({ "sentiment": "Neutral", "mood_score": 10.0 - s }).to_string();
        let date = format!("2025-01-{:02}T12:00:00.000Z", i + 1);
        sqlx::query(
            "INSERT INTO journal_entries (user_id, text, tags, status, sentiment, confidence, mood_score, \
             scores, roberta, lstm, self_mood, date, created_at, updated_at) \
             VALUES ($1, 'rated', '[]', 'scored', 'Neutral', 0.5, $2, '{}', $3, $4, $5, $6, $6, $6)",
        )
        .bind(user_id)
        .bind(*s)
        .bind(result)
        .bind(lstm)
        .bind(*o)
        .bind(date)
        .execute(&pool)
        .await
        .unwrap();
    }
}

async fn agreement_is_spearmans_rho_per_model(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let user = app.register("agree@example.com").await;
    let own = [1, 2, 2, 3, 5, 4, 4, 1, 3, 5, 2];
    let scores = [2.0, 3.5, 3.1, 5.0, 9.2, 6.1, 7.7, 2.2, 4.4, 8.8, 1.0];
    store_rated(&app, &user.user_id, &own[..9], &scores[..9]).await;
    let few = app
        .get_json("/api/journal/effects", Some(&user.token))
        .await;
    assert_eq!(
        few["agreement"],
        Value::Null,
        "nine rated entries are too few"
    );
    store_rated(&app, &user.user_id, &own[9..], &scores[9..]).await;
    let effects = app
        .get_json("/api/journal/effects", Some(&user.token))
        .await;
    // scipy.stats.spearmanr: 0.9353; the LSTM's scores are reversed, so its rho is negated.
    assert_eq!(
        effects["agreement"],
        json!({ "roberta": 0.935, "lstm": -0.935, "entries": 11 })
    );
}

#[tokio::test]
async fn agreement_is_spearmans_rho_per_model_on_sqlite() {
    agreement_is_spearmans_rho_per_model(Backend::Sqlite).await;
}

#[tokio::test]
async fn agreement_is_spearmans_rho_per_model_on_postgres() {
    agreement_is_spearmans_rho_per_model(Backend::Postgres).await;
}

async fn the_forecast_needs_21_days_then_forecasts_the_coming_days(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let user = app.register("forecast@example.com").await;
    let noon = Utc::now()
        .date_naive()
        .and_hms_opt(12, 0, 0)
        .unwrap()
        .and_utc();
    let day = |back: i64| noon - Duration::days(back);
    // 20 days with entries out of the last 30: a weekly rhythm, weekends better.
    let history: Vec<Value> = (1..=30)
        .filter(|back| back % 3 != 0)
        .map(|back| {
            rated(
                day(back),
                if day(back).weekday().number_from_monday() >= 6 {
                    5
                } else {
                    3
                },
                &[],
            )
        })
        .collect();
    assert_eq!(history.len(), 20);
    import_entries(&app, &user, history).await;
    assert_error(
        app.get("/api/journal/forecast", Some(&user.token)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "A forecast needs at least 21 days with entries: 1 more to go",
    )
    .await;
    import_entries(
        &app,
        &user,
        vec![rated(day(3), 3, &[]), rated(day(6), 3, &[])],
    )
    .await;
    let forecast = app
        .get_json("/api/journal/forecast?days=10", Some(&user.token))
        .await;
    assert_eq!(
        forecast["method"],
        "holt-winters (additive, damped trend, weekly season)"
    );
    let days = forecast["days"].as_array().unwrap();
    assert_eq!(days.len(), 10);
    let today = Utc::now().date_naive();
    for (k, d) in days.iter().enumerate() {
        assert_eq!(d["date"], (today + Days::new(k as u64 + 1)).to_string());
        let (low, mood, high) = (
            d["low"].as_f64().unwrap(),
            d["mood"].as_f64().unwrap(),
            d["high"].as_f64().unwrap(),
        );
        assert!(
            (0.0..=10.0).contains(&low) && low <= mood && mood <= high && high <= 10.0,
            "{d}"
        );
    }
    let backtest = &forecast["backtest"];
    assert_eq!(backtest["origins"], 8, "{backtest}"); // the 22 days with a mood but the first 14
    assert!(backtest["mae"].as_f64().unwrap() >= 0.0);
    for bad in ["?days=0", "?days=15", "?days=x"] {
        let response = app
            .get(&format!("/api/journal/forecast{bad}"), Some(&user.token))
            .await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
}

#[tokio::test]
async fn the_forecast_needs_21_days_then_forecasts_the_coming_days_on_sqlite() {
    the_forecast_needs_21_days_then_forecasts_the_coming_days(Backend::Sqlite).await;
}

#[tokio::test]
async fn the_forecast_needs_21_days_then_forecasts_the_coming_days_on_postgres() {
    the_forecast_needs_21_days_then_forecasts_the_coming_days(Backend::Postgres).await;
}

async fn a_clearly_lower_week_brings_a_gentle_check_in(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let user = app.register("checkin@example.com").await;
    let noon = Utc::now()
        .date_naive()
        .and_hms_opt(12, 0, 0)
        .unwrap()
        .and_utc();
    let before: Vec<Value> = [8, 12, 16, 20]
        .iter()
        .map(|b| rated(noon - Duration::days(*b), 4, &[]))
        .collect();
    import_entries(&app, &user, before).await;
    let insights = app
        .get_json("/api/notifications/insights", Some(&user.token))
        .await;
    assert_eq!(insights["checkIn"], Value::Null);
    let week: Vec<Value> = [1, 2, 3, 4]
        .iter()
        .map(|b| rated(noon - Duration::days(*b), 3, &[]))
        .collect();
    import_entries(&app, &user, week).await;
    // 5.0 against 7.5: 2.5 lower.
    let insights = app
        .get_json("/api/notifications/insights", Some(&user.token))
        .await;
    assert_eq!(insights["checkIn"]["title"], "A gentle check-in");
    assert!(
        insights["checkIn"]["message"]
            .as_str()
            .unwrap()
            .contains("PHQ-9")
    );
}

#[tokio::test]
async fn a_clearly_lower_week_brings_a_gentle_check_in_on_sqlite() {
    a_clearly_lower_week_brings_a_gentle_check_in(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_clearly_lower_week_brings_a_gentle_check_in_on_postgres() {
    a_clearly_lower_week_brings_a_gentle_check_in(Backend::Postgres).await;
}

#[tokio::test]
async fn the_openapi_document_describes_the_history_routes() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let doc = app.get_json("/api/openapi.json", None).await;
    for (path, method) in [
        ("/api/journal/streaks", "get"),
        ("/api/journal/calendar", "get"),
        ("/api/journal/effects", "get"),
        ("/api/journal/forecast", "get"),
        ("/api/journal/import", "post"),
        ("/api/journal/export.csv", "get"),
    ] {
        assert!(doc["paths"][path][method].is_object(), "{method} {path}");
    }
    for schema in [
        "Streaks",
        "Calendar",
        "CalendarDay",
        "SentimentCounts",
        "Effects",
        "TagEffect",
        "WeekdayEffect",
        "Comparison",
        "Agreement",
        "Forecast",
        "ForecastDay",
        "Backtest",
        "ImportSummary",
        "Rejected",
    ] {
        assert!(doc["components"]["schemas"][schema].is_object(), "{schema}");
    }
    let forecast = &doc["paths"]["/api/journal/forecast"]["get"];
    assert!(forecast["responses"]["422"].is_object());
    let ok = &forecast["responses"]["200"]["content"]["application/json"]["schema"]["$ref"];
    assert_eq!(ok, "#/components/schemas/Forecast");
}
