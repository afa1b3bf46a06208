//! `/profile` (view and edit) and `/account` (export my data, delete my account with the
//! password, as `DELETE /api/users/me` requires), through the API's handlers.

use axum::{
    Router,
    extract::{Path, Query, State},
    http::{StatusCode, header},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{CsrfForm, WebResult, WebUser, as_json, keys, layout};
use crate::{
    error::ApiError,
    extract::JsonBody,
    routes::{import, owner, users as api},
    state::AppState,
    store::users::UserRow,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/profile", get(profile).post(save_profile))
        .route("/account", get(account))
        .route("/account/export", post(export))
        .route("/account/export.csv", post(export_csv))
        .route("/account/delete", post(delete))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Saved {
    pub saved: Option<String>,
}

/// The profile form's fields.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct ProfileForm {
    pub first_name: String,
    pub last_name: String,
    pub bio: String,
    pub timezone: String,
}

async fn profile(
    State(state): State<AppState>,
    user: WebUser,
    Query(saved): Query<Saved>,
) -> WebResult<Markup> {
    let view = load(&state, &user).await?;
    let form = ProfileForm {
        first_name: text(&view["firstName"]),
        last_name: text(&view["lastName"]),
        bio: text(&view["bio"]),
        timezone: text(&view["timezone"]),
    };
    let notice = saved.saved.map(|_| "Your profile was saved.");
    Ok(profile_page(&user, &view, &form, notice, None))
}

/// The API's profile view of the signed-in person.
async fn load(state: &AppState, user: &WebUser) -> WebResult<Value> {
    let answer = api::get_profile(
        State(state.clone()),
        user.auth.clone(),
        Path(user.auth.id.clone()),
    )
    .await?;
    Ok(as_json(&answer.0)?["user"].clone())
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

async fn save_profile(
    State(state): State<AppState>,
    CsrfForm(user, form): CsrfForm<ProfileForm>,
) -> WebResult<Response> {
    let body = json!({
        "firstName": form.first_name, "lastName": form.last_name,
        "bio": form.bio, "timezone": form.timezone,
    });
    let id = Path(user.auth.id.clone());
    match api::put_profile(State(state.clone()), user.auth.clone(), id, JsonBody(body)).await {
        Ok(_) => Ok(Redirect::to("/profile?saved=1").into_response()),
        Err(ApiError::BadRequest(message)) => {
            let view = load(&state, &user).await?;
            let page = profile_page(&user, &view, &form, None, Some(&message));
            Ok((StatusCode::BAD_REQUEST, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

fn profile_page(
    user: &WebUser,
    view: &Value,
    form: &ProfileForm,
    notice: Option<&str>,
    error: Option<&str>,
) -> Markup {
    layout::page(
        "Profile",
        Some(user),
        "/profile",
        html! {
            h1 { "Profile" }
            @if let Some(notice) = notice { p.notice role="status" { (notice) } }
            section.card {
                h2 { (text(&view["name"])) }
                dl.facts {
                    div { dt { "Email" } dd { (text(&view["email"])) } }
                    div { dt { "Member since" } dd { (layout::when(&text(&view["created_at"]))) } }
                    div { dt { "Entries" } dd { (view["totalEntries"]) } }
                    div { dt { "Streak" } dd { (view["streak"]) " days" } }
                }
            }
            section.card {
                h2 { "Edit" }
                (layout::alert(error))
                form method="post" action="/profile" {
                    (layout::csrf(&user.csrf))
                    (layout::field("First name", "first_name", "text", &form.first_name, None))
                    (layout::field("Last name", "last_name", "text", &form.last_name, None))
                    div.field {
                        label for="bio" { "About you" }
                        textarea #bio name="bio" rows="3" { (form.bio) }
                    }
                    (layout::field("Time zone (such as Europe/Paris)", "timezone", "text", &form.timezone, None))
                    button type="submit" { "Save profile" }
                }
            }
        },
    )
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DeleteForm {
    pub password: String,
}

async fn account(State(state): State<AppState>, user: WebUser) -> WebResult<Markup> {
    let account = owner::live_account(&state, &user.auth).await?;
    Ok(account_page(&user, has_password(&account), None))
}

/// Accounts made through GitHub have no password; deleting one needs a recent sign-in instead.
fn has_password(account: &UserRow) -> bool {
    !account.password_hash.is_empty()
}

fn account_page(user: &WebUser, password: bool, error: Option<&str>) -> Markup {
    layout::page(
        "Account",
        Some(user),
        "/account",
        html! {
            h1 { "Account" }
            section.card {
                h2 { "Export my data" }
                p { "One JSON file with your account, every journal entry with its scores, your assessment results and your sign-in history." }
                form method="post" action="/account/export" {
                    (layout::csrf(&user.csrf))
                    button type="submit" { "Download my data" }
                }
                p { "Or just the journal, as a spreadsheet (one row per entry, dates in your time zone):" }
                form method="post" action="/account/export.csv" {
                    (layout::csrf(&user.csrf))
                    button.secondary type="submit" { "Download my journal as CSV" }
                }
            }
            section.card.danger-zone {
                h2 { "Delete my account" }
                p { "This deletes your account and everything in it, at once and for good." }
                form method="post" action="/account/delete" {
                    (layout::csrf(&user.csrf))
                    @if password {
                        (layout::field("Your password", "password", "password", "", error))
                    } @else {
                        p { "You sign in with GitHub, so this needs a sign-in from the last 10 minutes." }
                        (layout::alert(error))
                    }
                    button.danger type="submit" { "Delete my account" }
                }
            }
        },
    )
}

async fn export(
    State(state): State<AppState>,
    CsrfForm(user, _): CsrfForm<DeleteForm>,
) -> WebResult<Response> {
    Ok(api::export(State(state), user.auth).await?.into_response())
}

async fn export_csv(
    State(state): State<AppState>,
    CsrfForm(user, _): CsrfForm<DeleteForm>,
) -> WebResult<Response> {
    let answer = import::export_csv(State(state), user.auth).await?;
    Ok(answer.into_response())
}

async fn delete(
    State(state): State<AppState>,
    CsrfForm(user, form): CsrfForm<DeleteForm>,
) -> WebResult<Response> {
    let account = owner::live_account(&state, &user.auth).await?;
    let request = api::DeleteRequest {
        password: Some(form.password),
    };
    let answer = api::delete_confirmed(&state, &account, Some(user.signed_in_at), request).await;
    match answer {
        Ok(_) => {
            let cookie = keys(&state).end();
            Ok(([(header::SET_COOKIE, cookie)], Redirect::to("/")).into_response())
        }
        Err(e @ (ApiError::BadRequest(_) | ApiError::Unauthorized(_))) => {
            let page = account_page(&user, has_password(&account), Some(&e.to_string()));
            Ok((e.status(), page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
