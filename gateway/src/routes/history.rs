//! `/api/journal/streaks`, `/calendar`, `/effects` and `/forecast`: figures over a person's
//! days, each day being a date in the person's own time zone (profile `timezone`). The maths
//! lives in `domain::history`; here the caller's rows are read and handed to it.

use std::collections::BTreeMap;

use axum::{Json, Router, extract::State, routing::get};
use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Deserialize;
use serde_json::Value;

use crate::{
    auth::AuthUser,
    domain::{
        history::{
            self, Day, HistoryEntry,
            calendar::{self, Calendar},
            effects::{self, Effects, Rated},
            forecast::{self, Forecast, Series},
            streaks::{self, Streaks},
            zone,
        },
        sentiment::Sentiment,
    },
    error::{ApiError, ApiResult},
    extract::QueryParams,
    state::AppState,
    store::{
        self,
        history::{self as queries, FactRow},
        journal::{EntryRow, Range},
    },
};

/// The forecast horizon's bounds and default, in days.
const MAX_FORECAST_DAYS: u32 = 14;
const DEFAULT_FORECAST_DAYS: u32 = 7;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/journal/streaks", get(journal_streaks))
        .route("/api/journal/calendar", get(journal_calendar))
        .route("/api/journal/effects", get(journal_effects))
        .route("/api/journal/forecast", get(journal_forecast))
}

/// Query of `GET /api/journal/calendar`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct CalendarQuery {
    /// The year (2000 to next year); default this year in the person's time zone. The
    /// document's maximum is next year as of the server's start.
    #[param(minimum = 2000)]
    pub year: Option<i32>,
}

/// Query of `GET /api/journal/forecast`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct ForecastQuery {
    /// Days to forecast, 1 to 14 (default 7).
    #[param(minimum = 1, maximum = 14)]
    pub days: Option<u32>,
}

#[utoipa::path(get, path = "/api/journal/streaks", tag = "history", security(("bearer" = [])),
    responses((status = 200, body = Streaks), (status = 401, description = "No valid token")))]
pub async fn journal_streaks(
    State(state): State<AppState>,
    user: AuthUser,
) -> ApiResult<Json<Streaks>> {
    let tz = user_zone(&state, &user).await?;
    let days = days(&state, &user, tz, &Range::default()).await?;
    let dates: Vec<NaiveDate> = days.keys().copied().collect();
    Ok(Json(streaks::streaks(
        &dates,
        history::local_date(Utc::now(), tz),
    )))
}

#[utoipa::path(get, path = "/api/journal/calendar", tag = "history", security(("bearer" = [])),
    params(CalendarQuery),
    responses((status = 200, body = Calendar), (status = 400, description = "Invalid year"),
              (status = 401, description = "No valid token")))]
pub async fn journal_calendar(
    State(state): State<AppState>,
    user: AuthUser,
    QueryParams(query): QueryParams<CalendarQuery>,
) -> ApiResult<Json<Calendar>> {
    let tz = user_zone(&state, &user).await?;
    let this_year = history::local_date(Utc::now(), tz).year();
    let year = query.year.unwrap_or(this_year);
    if !(2000..=this_year + 1).contains(&year) {
        return Err(ApiError::bad_request(format!(
            "year must be between 2000 and {}",
            this_year + 1
        )));
    }
    // A day of the year is within a day of its UTC dates, whatever the zone.
    let range = Range {
        from: Some(store::timestamp(
            utc_midnight(year, 1, 1) - chrono::Duration::days(1),
        )),
        to: Some(store::timestamp(
            utc_midnight(year + 1, 1, 1) + chrono::Duration::days(1),
        )),
    };
    let days = days(&state, &user, tz, &range).await?;
    Ok(Json(calendar::calendar(&days, year)))
}

#[utoipa::path(get, path = "/api/journal/effects", tag = "history", security(("bearer" = [])),
    responses((status = 200, body = Effects), (status = 401, description = "No valid token")))]
pub async fn journal_effects(
    State(state): State<AppState>,
    user: AuthUser,
) -> ApiResult<Json<Effects>> {
    let tz = user_zone(&state, &user).await?;
    let days = days(&state, &user, tz, &Range::default()).await?;
    let rated: Vec<Rated> = queries::rated(&state.db, &user.id)
        .await?
        .iter()
        .map(|r| Rated {
            self_mood: r.self_mood,
            roberta: model_mood(r.roberta.as_deref()),
            lstm: model_mood(r.lstm.as_deref()),
        })
        .collect();
    blocking(move || effects::effects(&days, &rated))
        .await
        .map(Json)
}

#[utoipa::path(get, path = "/api/journal/forecast", tag = "history", security(("bearer" = [])),
    params(ForecastQuery),
    responses((status = 200, body = Forecast), (status = 400, description = "days outside 1 to 14"),
              (status = 401, description = "No valid token"),
              (status = 422, description = "Fewer than 21 days with entries; the message says how many more")))]
pub async fn journal_forecast(
    State(state): State<AppState>,
    user: AuthUser,
    QueryParams(query): QueryParams<ForecastQuery>,
) -> ApiResult<Json<Forecast>> {
    let horizon = query.days.unwrap_or(DEFAULT_FORECAST_DAYS);
    if !(1..=MAX_FORECAST_DAYS).contains(&horizon) {
        return Err(ApiError::bad_request(format!(
            "days must be between 1 and {MAX_FORECAST_DAYS}"
        )));
    }
    let tz = user_zone(&state, &user).await?;
    let days = days(&state, &user, tz, &Range::default()).await?;
    let series = Series::new(
        &history::daily_moods(&days),
        history::local_date(Utc::now(), tz),
    );
    let result = blocking(move || forecast::forecast(&series, horizon as usize)).await?;
    result.map(Json).map_err(|more| {
        ApiError::Unprocessable(format!(
            "A forecast needs at least {} days with entries: {more} more to go",
            forecast::MIN_DAYS
        ))
    })
}

/// Sets the documented maximum of the calendar's `year` to next year (as of now), the bound
/// `journal_calendar` enforces, which no attribute can state.
pub fn document_calendar_years(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{RefOr, Schema};
    let operation = doc
        .paths
        .paths
        .get_mut("/api/journal/calendar")
        .and_then(|item| item.get.as_mut());
    let parameters = operation.and_then(|op| op.parameters.as_mut());
    let year = parameters.and_then(|ps| ps.iter_mut().find(|p| p.name == "year"));
    if let Some(RefOr::T(Schema::Object(schema))) = year.and_then(|p| p.schema.as_mut()) {
        let next_year = Utc::now().year() + 1;
        schema.maximum = Some(utoipa::Number::Int(next_year as isize));
    }
}

/// The caller's time zone; an account deleted since the token was issued is a 401.
pub(crate) async fn user_zone(state: &AppState, user: &AuthUser) -> ApiResult<Tz> {
    let name = queries::timezone(&state.db, &user.id).await?;
    let name = name.ok_or_else(|| ApiError::unauthorized("Invalid or expired token"))?;
    Ok(zone::stored_timezone(&name))
}

/// The caller's entries dated in `range`, by day in `tz`.
async fn days(
    state: &AppState,
    user: &AuthUser,
    tz: Tz,
    range: &Range,
) -> ApiResult<BTreeMap<NaiveDate, Day>> {
    let rows = queries::facts(&state.db, &user.id, range).await?;
    let entries: Vec<HistoryEntry> = rows.iter().map(history_entry).collect();
    Ok(history::by_day(&entries, tz))
}

/// A whole stored entry as the history sees it.
pub(crate) fn history_entry_of(row: &EntryRow) -> HistoryEntry {
    HistoryEntry {
        at: store::parse_timestamp(&row.date),
        mood_score: row.mood_score,
        self_mood: row.self_mood,
        sentiment: row.sentiment.as_deref().and_then(Sentiment::parse),
        tags: serde_json::from_str(&row.tags).unwrap_or_default(),
    }
}

fn history_entry(row: &FactRow) -> HistoryEntry {
    HistoryEntry {
        at: store::parse_timestamp(&row.date),
        mood_score: row.mood_score,
        self_mood: row.self_mood,
        sentiment: row.sentiment.as_deref().and_then(Sentiment::parse),
        tags: serde_json::from_str(&row.tags).unwrap_or_default(),
    }
}

/// A stored model result's `mood_score`.
fn model_mood(result: Option<&str>) -> Option<f64> {
    let value: Value = serde_json::from_str(result?).ok()?;
    value["mood_score"].as_f64()
}

fn utc_midnight(year: i32, month: u32, day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(year, month, day, 0, 0, 0)
        .single()
        .unwrap_or_default()
}

/// Runs CPU-bound maths off the async workers.
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> ApiResult<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(ApiError::internal)
}

/// The OpenAPI document of the history routes (merged into the main one in `openapi.rs`).
#[derive(Debug, utoipa::OpenApi)]
#[openapi(
    paths(
        journal_streaks,
        journal_calendar,
        journal_effects,
        journal_forecast,
        crate::routes::import::import_entries,
        crate::routes::import::export_csv,
    ),
    components(schemas(
        Streaks,
        Calendar,
        calendar::CalendarDay,
        calendar::SentimentCounts,
        Effects,
        effects::TagEffect,
        effects::WeekdayEffect,
        effects::Comparison,
        effects::Agreement,
        Forecast,
        forecast::ForecastDay,
        forecast::Backtest,
        crate::routes::import::ImportSummary,
        crate::domain::history::import::Rejected,
    ))
)]
pub struct HistoryDoc;
