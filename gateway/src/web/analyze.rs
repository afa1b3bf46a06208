//! `/analyze`: one text read by both models side by side, and a CSV file's rows analysed into a
//! table or a CSV download; `/web/predict` answers the journal form's live analysis (JSON, for
//! `static/app.js`, with the session cookie and a CSRF header). All through the API's
//! handlers, under the same limits.

use axum::{
    Router,
    extract::{DefaultBodyLimit, Multipart, Query, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::{Value, json};
use tower_http::timeout::TimeoutLayer;

use super::{
    CsrfForm, WebError, WebResult, WebUser, as_json, body_json, layout, session::constant_eq,
};
use crate::{
    domain::sentiment::SentimentResult,
    error::ApiError,
    extract::JsonBody,
    routes::predict::{self as api, csv_input::MAX_FILE_BYTES},
    state::AppState,
};

pub fn router(state: &AppState) -> Router<AppState> {
    let upload = Router::new()
        .route("/analyze/csv", post(csv))
        .layer(DefaultBodyLimit::max(MAX_FILE_BYTES + 64 * 1024))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            state.config.csv_timeout,
        ));
    Router::new()
        .route("/analyze", get(page).post(analyze))
        .route("/web/predict", post(live))
        .merge(upload)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TextForm {
    pub text: String,
}

async fn page(user: WebUser) -> Markup {
    analyze_page(&user, "", None, None)
}

async fn analyze(
    State(state): State<AppState>,
    CsrfForm(user, form): CsrfForm<TextForm>,
) -> WebResult<Response> {
    match both(&state, &form.text).await {
        Ok(result) => Ok(analyze_page(&user, &form.text, Some(&result), None).into_response()),
        Err(ApiError::BadRequest(message)) => Ok((
            StatusCode::BAD_REQUEST,
            analyze_page(&user, &form.text, None, Some(&message)),
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

/// `/api/predict/both`'s answer for `text`.
async fn both(state: &AppState, text: &str) -> Result<Value, ApiError> {
    let answer = api::predict_both(State(state.clone()), JsonBody(json!({ "text": text }))).await?;
    body_json(answer)
        .await
        .map_err(|_| ApiError::internal("unreadable prediction"))
}

/// The live analysis: the same answer as JSON, for a same-origin script holding the page's
/// CSRF token in `X-CSRF-Token`.
async fn live(
    State(state): State<AppState>,
    user: WebUser,
    headers: HeaderMap,
    axum::Form(form): axum::Form<TextForm>,
) -> Result<Response, WebError> {
    let token = headers
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !constant_eq(token, &user.csrf) {
        return Err(WebError::Csrf);
    }
    let result = both(&state, &form.text).await?;
    Ok(axum::Json(result).into_response())
}

/// `?download=1`: answer the results as a CSV file instead of a page.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CsvQuery {
    pub download: Option<String>,
}

/// The upload: its first part must be the CSRF token (the form puts it first), the rest goes
/// to the API's CSV analysis as it is.
async fn csv(
    State(state): State<AppState>,
    user: WebUser,
    Query(query): Query<CsvQuery>,
    mut multipart: Multipart,
) -> WebResult<Response> {
    let first = multipart
        .next_field()
        .await
        .map_err(|_| WebError::BadForm)?;
    let token = match first {
        Some(field) if field.name() == Some("csrf_token") => field.text().await.unwrap_or_default(),
        _ => String::new(),
    };
    if !constant_eq(&token, &user.csrf) {
        return Err(WebError::Csrf);
    }
    let answer = match api::analyze_csv(State(state), Ok(multipart)).await {
        Ok(answer) => as_json(&answer.0)?,
        Err(e @ (ApiError::BadRequest(_) | ApiError::PayloadTooLarge(_))) => {
            let (status, message) = (e.status(), e.to_string());
            return Ok((status, analyze_page(&user, "", None, Some(&message))).into_response());
        }
        Err(e) => return Err(e.into()),
    };
    match query.download.is_some() {
        true => Ok(download(&answer)),
        false => Ok(csv_page(&user, &answer).into_response()),
    }
}

fn rows(answer: &Value) -> Vec<Value> {
    answer["results"].as_array().cloned().unwrap_or_default()
}

/// The results as a CSV file: row, text, sentiment, confidence, each model's label, agreement.
fn download(answer: &Value) -> Response {
    let mut out = csv::Writer::from_writer(Vec::new());
    let _ = out.write_record([
        "row",
        "text",
        "sentiment",
        "confidence",
        "roberta",
        "lstm",
        "models_agree",
    ]);
    for r in rows(answer) {
        let text = |v: &Value| match v {
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            other => other.to_string(),
        };
        let _ = out.write_record([
            text(&r["row"]),
            text(&r["text"]),
            text(&r["sentiment"]),
            text(&r["confidence"]),
            text(&r["roberta"]["sentiment"]),
            text(&r["lstm"]["sentiment"]),
            text(&r["agreement"]),
        ]);
    }
    let body = out.into_inner().unwrap_or_default();
    let headers = [
        (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
        (
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"moodtracker-analysis.csv\"",
        ),
    ];
    (headers, body).into_response()
}

fn analyze_page(user: &WebUser, text: &str, result: Option<&Value>, error: Option<&str>) -> Markup {
    layout::page(
        "Analyze",
        Some(user),
        "/analyze",
        html! {
            h1 { "Analyze a text" }
            section.card {
                form method="post" action="/analyze" {
                    (layout::csrf(&user.csrf))
                    div.field {
                        label for="text" { "Text" }
                        textarea #text name="text" rows="4" maxlength="5000" { (text) }
                    }
                    (layout::alert(error))
                    button type="submit" { "Analyze with both models" }
                }
                @if let Some(result) = result { (side_by_side(result)) }
            }
            section.card {
                h2 { "Analyze a CSV file" }
                p.muted { "A .csv of at most 10 MB and 1000 rows; the first text-like column is read." }
                form method="post" action="/analyze/csv" enctype="multipart/form-data" {
                    (layout::csrf(&user.csrf))
                    div.field {
                        label for="file" { "CSV file" }
                        input #file type="file" name="file" accept=".csv,text/csv" required;
                    }
                    button type="submit" { "Analyze file" }
                    " "
                    button.secondary type="submit" formaction="/analyze/csv?download=1" { "Analyze and download CSV" }
                }
            }
        },
    )
}

fn side_by_side(result: &Value) -> Markup {
    let model = |v: &Value| serde_json::from_value::<SentimentResult>(v.clone()).ok();
    html! {
        div.grid2 {
            @for (name, key) in [("RoBERTa", "roberta"), ("LSTM", "lstm")] {
                div.model {
                    h2 { (name) }
                    @match model(&result[key]) {
                        Some(r) => {
                            p { span class={ "chip " (r.sentiment.as_str().to_lowercase()) } { (r.sentiment.as_str()) } }
                            p { (format!("{:.0}%", r.confidence * 100.0)) " confident · label “" (r.label) "”" }
                            p { "Mood " (format!("{:.1}", r.mood_score)) " / 10" }
                        }
                        None => p.muted { "Not available" },
                    }
                }
            }
        }
        p { "The models " strong { @if result["consensus"].as_bool() == Some(true) { "agree" } @else { "disagree" } } "." }
    }
}

fn csv_page(user: &WebUser, answer: &Value) -> Markup {
    layout::page(
        "CSV results",
        Some(user),
        "/analyze",
        html! {
            p { a href="/analyze" { "← Analyze" } }
            section.card {
                h1 { "Results" }
                p { (answer["total_analyzed"]) " rows from column “" (answer["column_used"].as_str().unwrap_or("")) "”" }
                div.scroll {
                    table {
                        thead { tr { th scope="col" { "Row" } th scope="col" { "Text" } th scope="col" { "Sentiment" } th scope="col" { "Confidence" } th scope="col" { "Models agree" } } }
                        tbody {
                            @for r in rows(answer) {
                                tr {
                                    td { (r["row"]) }
                                    td { (r["text"].as_str().unwrap_or("")) }
                                    td { (r["sentiment"].as_str().unwrap_or("")) }
                                    td { (format!("{:.0}%", r["confidence"].as_f64().unwrap_or(0.0) * 100.0)) }
                                    td { @match r["agreement"].as_bool() { Some(true) => "yes", Some(false) => "no", None => "" } }
                                }
                            }
                        }
                    }
                }
            }
        },
    )
}
