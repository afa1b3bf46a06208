//! `/journal`: write an entry, the list (newest first, paged, filtered by dates and tag), and
//! one entry's page with its word shading, edit form and deletion (with a confirmation page).
//! Writes go through the API's own handlers, so an entry saved while inference is down is
//! stored as pending and shows as "being analysed" until the background scorer fills it in.
//! The pages' markup is in [`views`].

use axum::{
    Router,
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    routing::get,
};
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::json;

mod views;

pub use views::{entry_card, mood_class, tags};
use views::{entry_page, journal_page};

use super::{CsrfForm, WebError, WebResult, WebUser, body_json, layout};
use crate::{
    error::ApiError,
    extract::JsonBody,
    routes::{
        explain::{self, EntryExplanationResponse, ModelExplanationView},
        journal as api,
    },
    state::AppState,
    store::journal::{self, EntryRow, FAILED, PENDING},
};

/// Entries per page.
const PER_PAGE: usize = 10;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/journal", get(list).post(create))
        .route("/journal/{id}", get(view).post(edit))
        .route("/journal/{id}/delete", get(confirm_delete).post(delete))
}

/// The list's filters, as the filter form sends them.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct Filter {
    pub page: Option<usize>,
    pub from: String,
    pub to: String,
    pub tag: String,
}

/// The new-entry and edit forms: the text and comma-separated tags.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct EntryForm {
    pub text: String,
    pub tags: String,
    /// The person's own rating, `1` (awful) to `5` (great), or empty.
    pub self_mood: String,
}

impl EntryForm {
    /// The API's body for this form.
    fn body(&self) -> serde_json::Value {
        let tags: Vec<&str> = self
            .tags
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .collect();
        // A rating that is not a number goes to the API as it is, to be refused there.
        let self_mood = match self.self_mood.trim() {
            "" => serde_json::Value::Null,
            m => m.parse::<i64>().map_or_else(|_| json!(m), |n| json!(n)),
        };
        json!({ "text": self.text, "tags": tags, "self_mood": self_mood })
    }
}

async fn list(
    State(state): State<AppState>,
    user: WebUser,
    Query(filter): Query<Filter>,
) -> WebResult<Response> {
    let listing = entries(&state, &user, &filter).await;
    let (status, listing, filter_error) = match listing {
        Ok(l) => (StatusCode::OK, l, None),
        Err(WebError::Api(ApiError::BadRequest(m))) => {
            (StatusCode::BAD_REQUEST, Listing::default(), Some(m))
        }
        Err(e) => return Err(e),
    };
    let page = journal_page(
        &user,
        &filter,
        &listing,
        &EntryForm::default(),
        None,
        filter_error.as_deref(),
    );
    Ok((status, page).into_response())
}

/// One page of entries and how many match.
#[derive(Debug, Default)]
struct Listing {
    rows: Vec<EntryRow>,
    total: usize,
}

/// The entries the filter selects. With a tag, every entry in the date range is read and
/// filtered here: tags are stored as a JSON list, and a person's journal is small enough that
/// this costs less than a second, tag-aware query on both databases would.
async fn entries(state: &AppState, user: &WebUser, filter: &Filter) -> WebResult<Listing> {
    let from = Some(filter.from.as_str()).filter(|s| !s.is_empty());
    let to = Some(filter.to.as_str()).filter(|s| !s.is_empty());
    let range = api::date_range(from, to)?;
    let page = filter.page.unwrap_or(1).max(1);
    let offset = (page - 1).saturating_mul(PER_PAGE);
    let tag = filter.tag.trim();
    if tag.is_empty() {
        let rows = journal::list(
            &state.db,
            &user.auth.id,
            &range,
            PER_PAGE as i64,
            offset as i64,
        )
        .await?;
        let total = journal::count(&state.db, &user.auth.id, &range).await?;
        return Ok(Listing {
            rows,
            total: total as usize,
        });
    }
    let all = journal::list(&state.db, &user.auth.id, &range, i64::MAX, 0).await?;
    let tagged: Vec<EntryRow> = all
        .into_iter()
        .filter(|r| tags(r).iter().any(|t| t.eq_ignore_ascii_case(tag)))
        .collect();
    let total = tagged.len();
    let rows = tagged.into_iter().skip(offset).take(PER_PAGE).collect();
    Ok(Listing { rows, total })
}

async fn create(
    State(state): State<AppState>,
    CsrfForm(user, form): CsrfForm<EntryForm>,
) -> WebResult<Response> {
    let result = api::create_entry(
        State(state.clone()),
        user.auth.clone(),
        JsonBody(form.body()),
    )
    .await;
    match result {
        Ok(_) => Ok(Redirect::to("/journal").into_response()),
        Err(ApiError::BadRequest(message)) => {
            let filter = Filter::default();
            let listing = entries(&state, &user, &filter).await?;
            let page = journal_page(&user, &filter, &listing, &form, Some(&message), None);
            Ok((StatusCode::BAD_REQUEST, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

async fn view(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<i64>,
) -> WebResult<Markup> {
    let row = own_entry(&state, &user, id).await?;
    let explanation = match row.status.as_str() {
        PENDING | FAILED => None,
        _ => explanation(&state, &user, id).await,
    };
    let form = EntryForm {
        text: row.text.clone(),
        tags: tags(&row).join(", "),
        self_mood: row.self_mood.map(|m| m.to_string()).unwrap_or_default(),
    };
    Ok(entry_page(&user, &row, explanation.as_ref(), &form, None))
}

/// The entry's explanation through the API; `None` (the page says so) when inference cannot
/// give one now: an entry is readable without it.
async fn explanation(state: &AppState, user: &WebUser, id: i64) -> Option<ModelExplanationView> {
    let answer = explain::explain_entry(
        State(state.clone()),
        user.auth.clone(),
        Path(id.to_string()),
    )
    .await;
    let response: EntryExplanationResponse = body_json(answer.ok()?).await.ok()?;
    response.explanations.lstm.or(response.explanations.roberta)
}

async fn own_entry(state: &AppState, user: &WebUser, id: i64) -> WebResult<EntryRow> {
    journal::get(&state.db, &user.auth.id, id)
        .await?
        .ok_or(WebError::NotFound)
}

async fn edit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(user, form): CsrfForm<EntryForm>,
) -> WebResult<Response> {
    let result = api::update_entry(
        State(state.clone()),
        user.auth.clone(),
        Path(id.to_string()),
        JsonBody(form.body()),
    )
    .await;
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/journal/{id}")).into_response()),
        Err(ApiError::NotFound(_)) => Err(WebError::NotFound),
        Err(ApiError::BadRequest(message)) => {
            let row = own_entry(&state, &user, id).await?;
            let page = entry_page(&user, &row, None, &form, Some(&message));
            Ok((StatusCode::BAD_REQUEST, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

async fn confirm_delete(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<i64>,
) -> WebResult<Markup> {
    let row = own_entry(&state, &user, id).await?;
    Ok(layout::page(
        "Delete entry",
        Some(&user),
        "/journal",
        html! {
            section.card {
                h1 { "Delete this entry?" }
                blockquote.entry-text { (row.text) }
                p { "This cannot be undone." }
                form method="post" action={ "/journal/" (id) "/delete" } {
                    (layout::csrf(&user.csrf))
                    button.danger type="submit" { "Delete entry" }
                    " "
                    a.button.secondary href={ "/journal/" (id) } { "Keep it" }
                }
            }
        },
    ))
}

#[derive(Debug, Default, Deserialize)]
struct Nothing {}

async fn delete(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(user, _): CsrfForm<Nothing>,
) -> WebResult<Response> {
    match api::delete_entry(State(state), user.auth, Path(id.to_string())).await {
        Ok(_) => Ok(Redirect::to("/journal").into_response()),
        Err(ApiError::NotFound(_)) => Err(WebError::NotFound),
        Err(e) => Err(e.into()),
    }
}
