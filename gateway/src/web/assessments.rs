//! `/assessments`: the four instruments (PHQ-9, GAD-7, PSS-10, Big Five), taking one with every
//! item and its published options, the result with its band and recommendations, and each
//! instrument's history with its trend. A PHQ-9 whose item 9 is above 0 puts the crisis
//! resources first on the result page, before the score, whatever the total.

use std::collections::HashMap;

use axum::{
    Router,
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    routing::get,
};
use maud::{Markup, html};
use serde_json::{Value, json};

use super::{CsrfForm, WebError, WebResult, WebUser, layout};
use crate::{
    domain::assessments::{self, Instrument, crisis_support},
    error::ApiError,
    extract::JsonBody,
    routes::tests as api,
    state::AppState,
    store::results::{self, ResultRow},
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/assessments", get(overview))
        .route("/assessments/{id}", get(take).post(submit))
        .route("/assessments/{id}/results/{result}", get(result))
}

fn instrument(id: i64) -> WebResult<&'static Instrument> {
    assessments::find(id).ok_or(WebError::NotFound)
}

async fn overview(State(state): State<AppState>, user: WebUser) -> WebResult<Markup> {
    let rows = results::for_user(&state.db, &user.auth.id, None).await?;
    Ok(layout::page(
        "Assessments",
        Some(&user),
        "/assessments",
        html! {
            h1 { "Assessments" }
            p.lead { "Standard questionnaires to check in on your mood, anxiety, stress and personality. They are screening tools, not a diagnosis." }
            @for i in assessments::listing() {
                section.card {
                    h2 { (i.name) }
                    p { (i.description) }
                    p.muted { (i.items.len()) " questions · about " (format!("{:.0}", i.duration_minutes())) " minutes" }
                    // The instrument's name, not its wire code ("BIGFIVE_IPIP").
                    p { a.button href={ "/assessments/" (i.id) } { "Start the " (i.name) } }
                    (history(i, &rows))
                }
            }
        },
    ))
}

/// An instrument's past results, newest first, and whether the score went up or down.
fn history(i: &Instrument, rows: &[ResultRow]) -> Markup {
    let mine: Vec<&ResultRow> = rows.iter().filter(|r| r.test_id == i.id).collect();
    let trend = match (mine.first(), mine.get(1)) {
        (Some(new), Some(old)) if new.total_score > old.total_score => "up since last time",
        (Some(new), Some(old)) if new.total_score < old.total_score => "down since last time",
        (Some(_), Some(_)) => "the same as last time",
        _ => "",
    };
    html! {
        @if !mine.is_empty() {
            h3 { "Your history" @if !trend.is_empty() { " (score " (trend) ")" } }
            table {
                thead { tr { th scope="col" { "Taken" } th scope="col" { "Score" } th scope="col" { "Reading" } } }
                tbody {
                    @for r in &mine {
                        tr {
                            td { a href={ "/assessments/" (i.id) "/results/" (r.id) } { (layout::when(&r.completed_at)) } }
                            td { (r.total_score) " / " (i.max_score) }
                            td { (r.severity_level) }
                        }
                    }
                }
            }
        }
    }
}

async fn take(user: WebUser, Path(id): Path<i64>) -> WebResult<Markup> {
    Ok(form_page(&user, instrument(id)?, &HashMap::new(), None))
}

async fn submit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(user, form): CsrfForm<HashMap<String, String>>,
) -> WebResult<Response> {
    let i = instrument(id)?;
    let answers: Vec<Value> = (1..=i.items.len())
        .filter_map(|n| {
            let value: i64 = form.get(&format!("q{n}"))?.parse().ok()?;
            Some(json!({ "question_number": n, "value": value }))
        })
        .collect();
    if answers.len() < i.items.len() {
        let message = format!(
            "Please answer every question ({} of {} answered).",
            answers.len(),
            i.items.len()
        );
        return Ok((
            StatusCode::BAD_REQUEST,
            form_page(&user, i, &form, Some(&message)),
        )
            .into_response());
    }
    let body = JsonBody(json!({ "answers": answers }));
    match api::submit_test(State(state), user.auth.clone(), Path(id.to_string()), body).await {
        Ok(answer) => {
            let result_id = answer.0.result.id;
            Ok(Redirect::to(&format!("/assessments/{id}/results/{result_id}")).into_response())
        }
        Err(ApiError::BadRequest(message)) => Ok((
            StatusCode::BAD_REQUEST,
            form_page(&user, i, &form, Some(&message)),
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

fn form_page(
    user: &WebUser,
    i: &Instrument,
    given: &HashMap<String, String>,
    error: Option<&str>,
) -> Markup {
    layout::page(
        i.name,
        Some(user),
        "/assessments",
        html! {
            p { a href="/assessments" { "← All assessments" } }
            section.card {
                h1 { (i.name) }
                p { (i.description) }
                (layout::alert(error))
                form method="post" action={ "/assessments/" (i.id) } {
                    (layout::csrf(&user.csrf))
                    @for (n, item) in i.items.iter().enumerate() {
                        @let name = format!("q{}", n + 1);
                        fieldset.question {
                            legend { span.num { (n + 1) "." } " " (item) }
                            div.options {
                                @for o in i.options {
                                    @let id = format!("{name}-{}", o.value);
                                    @let checked = given.get(&name).is_some_and(|v| *v == o.value.to_string());
                                    label.option for=(id) {
                                        input #(id) type="radio" name=(name) value=(o.value) required checked[checked];
                                        " " (o.text)
                                    }
                                }
                            }
                        }
                    }
                    button type="submit" { "See my result" }
                }
                p.muted.small { (i.source) }
            }
        },
    )
}

async fn result(
    State(state): State<AppState>,
    user: WebUser,
    Path((id, result_id)): Path<(i64, i64)>,
) -> WebResult<Markup> {
    let i = instrument(id)?;
    let rows = results::for_user(&state.db, &user.auth.id, Some(id)).await?;
    let row = rows
        .into_iter()
        .find(|r| r.id == result_id)
        .ok_or(WebError::NotFound)?;
    let band = i.band_for(row.total_score);
    let traits: Option<Value> = row
        .trait_scores
        .as_deref()
        .and_then(|t| serde_json::from_str(t).ok());
    Ok(layout::page(
        "Your result",
        Some(&user),
        "/assessments",
        html! {
            @if row.has_crisis_indicators != 0 { (crisis()) }
            section.card {
                h1 { (i.name) ": your result" }
                p.score { span.big { (row.total_score) } " / " (i.max_score) }
                p { strong { (band.severity_level) } ". " (band.description) }
                @if let Some(Value::Object(traits)) = &traits {
                    table {
                        thead { tr { th scope="col" { "Trait" } th scope="col" { "Score" } } }
                        tbody { @for (name, score) in traits { tr { td { (name) } td { (score) } } } }
                    }
                }
                h2 { "Recommendations" }
                ul { @for r in band.recommendations { li { (r) } } }
                p { a href="/assessments" { "Back to assessments" } }
            }
        },
    ))
}

/// The crisis resources, first on the page and announced at once.
fn crisis() -> Markup {
    let support = crisis_support();
    html! {
        section.crisis role="alert" aria-labelledby="crisis-title" {
            h1 #crisis-title { (support.title) }
            p { (support.message) }
            ul {
                @for r in support.resources {
                    li {
                        strong { (r.name) } ": "
                        @if r.contact.starts_with("https://") { a href=(r.contact) { (r.contact) } } @else { (r.contact) }
                        // The descriptions end in their own "(United States)": a dash, not
                        // another pair of brackets around them.
                        " — " (r.description)
                    }
                }
            }
        }
    }
}
