//! `/signup`, `/signin` and `/signout`: the same account rules, sign-in limits and audit log
//! as `/api/auth/*` (through `routes::auth`), ending in a session cookie instead of tokens.

use axum::{
    Router,
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use maud::{Markup, html};
use serde::Deserialize;

use super::{CsrfForm, MaybeWebUser, PreForm, WebError, WebResult, keys, layout, oauth::Provider};
use crate::{
    error::ApiError,
    routes::auth::{self as api, RegisterRequest},
    state::AppState,
    store::{self, tokens},
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/signup", get(signup_page).post(signup))
        .route("/signin", get(signin_page).post(signin))
        .route("/signout", post(signout))
}

/// The sign-up form's fields.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct SignUp {
    pub email: String,
    pub password: String,
    pub first_name: String,
    pub last_name: String,
}

/// The sign-in form's fields.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct SignIn {
    pub email: String,
    pub password: String,
}

/// One error, on the field it belongs to (`""`: the form as a whole).
type FieldError = (&'static str, String);

fn error_on<'a>(error: &'a Option<FieldError>, name: &str) -> Option<&'a str> {
    error
        .as_ref()
        .filter(|(field, _)| *field == name)
        .map(|(_, message)| message.as_str())
}

async fn signup_page(
    user: MaybeWebUser,
    headers: HeaderMap,
    State(state): State<AppState>,
) -> Response {
    if user.0.is_some() {
        return Redirect::to("/journal").into_response();
    }
    with_pre_session(&state, &headers, |csrf| {
        signup_form(csrf, &SignUp::default(), &None)
    })
}

async fn signin_page(
    user: MaybeWebUser,
    headers: HeaderMap,
    State(state): State<AppState>,
) -> Response {
    if user.0.is_some() {
        return Redirect::to("/journal").into_response();
    }
    let providers = super::oauth::enabled(&state);
    with_pre_session(&state, &headers, |csrf| {
        signin_form(csrf, &SignIn::default(), &None, &providers)
    })
}

/// A sign-in form page bound to the request's pre-session nonce (set as a cookie when new).
fn with_pre_session(
    state: &AppState,
    headers: &HeaderMap,
    form: impl FnOnce(&str) -> Markup,
) -> Response {
    let keys = keys(state);
    let (nonce, set) = keys.pre_session(headers);
    let mut response = form(&keys.pre_csrf(&nonce)).into_response();
    if let Some(set) = set {
        response.headers_mut().append(header::SET_COOKIE, set);
    }
    response
}

async fn signup(
    State(state): State<AppState>,
    headers: HeaderMap,
    PreForm(form): PreForm<SignUp>,
) -> WebResult<Response> {
    let request = RegisterRequest {
        email: Some(form.email.clone()),
        password: Some(form.password.clone()),
        first_name: Some(form.first_name.clone()),
        last_name: Some(form.last_name.clone()),
        name: None,
        avatar: None,
    };
    let csrf = pre_csrf(&state, &headers);
    if let Err(e) = api::validate_registration(clone_request(&request)) {
        let error = Some((e.field, e.message));
        return Ok((StatusCode::BAD_REQUEST, signup_form(&csrf, &form, &error)).into_response());
    }
    match api::create_account(&state, request).await {
        Ok(user) => signed_in(&state, &user.id).await,
        Err(ApiError::Conflict(_)) => {
            let error = Some((
                "email",
                "An account with this email already exists. Sign in instead?".to_owned(),
            ));
            Ok((StatusCode::CONFLICT, signup_form(&csrf, &form, &error)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

fn clone_request(r: &RegisterRequest) -> RegisterRequest {
    RegisterRequest {
        email: r.email.clone(),
        password: r.password.clone(),
        first_name: r.first_name.clone(),
        last_name: r.last_name.clone(),
        name: r.name.clone(),
        avatar: r.avatar.clone(),
    }
}

async fn signin(
    State(state): State<AppState>,
    headers: HeaderMap,
    PreForm(form): PreForm<SignIn>,
) -> WebResult<Response> {
    let csrf = pre_csrf(&state, &headers);
    let missing = match (form.email.trim().is_empty(), form.password.is_empty()) {
        (true, _) => Some(("email", "Enter your email address".to_owned())),
        (_, true) => Some(("password", "Enter your password".to_owned())),
        _ => None,
    };
    if missing.is_some() {
        let page = signin_form(&csrf, &form, &missing, &super::oauth::enabled(&state));
        return Ok((StatusCode::BAD_REQUEST, page).into_response());
    }
    match api::authenticate(&state, Some(&form.email), form.password.clone()).await {
        Ok(user) => signed_in(&state, &user.id).await,
        Err(ApiError::Unauthorized(message)) => {
            let error = Some(("password", message));
            let providers = super::oauth::enabled(&state);
            Ok((
                StatusCode::UNAUTHORIZED,
                signin_form(&csrf, &form, &error, &providers),
            )
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// The sign-in page with a provider's refusal above it (a GitHub account without a verified
/// email, say).
pub(crate) fn refused_page(state: &AppState, headers: &HeaderMap, message: &str) -> Markup {
    let error = Some(("", message.to_owned()));
    let providers = super::oauth::enabled(state);
    signin_form(
        &pre_csrf(state, headers),
        &SignIn::default(),
        &error,
        &providers,
    )
}

fn pre_csrf(state: &AppState, headers: &HeaderMap) -> String {
    let keys = keys(state);
    keys.pre_csrf(&keys.pre_session(headers).0)
}

/// Starts a session (a new refresh-token family) and sends the person to their journal.
pub(crate) async fn signed_in(state: &AppState, user_id: &str) -> WebResult<Response> {
    let (family, _token) = api::start_family(state, user_id).await?;
    let cookie: HeaderValue = keys(state).start(user_id, &family);
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to("/journal")).into_response())
}

#[derive(Debug, Default, Deserialize)]
struct Nothing {}

/// Ends the session: its family is revoked (as the API's logout does), the cookie removed.
async fn signout(
    State(state): State<AppState>,
    CsrfForm(user, _): CsrfForm<Nothing>,
) -> Result<Response, WebError> {
    tokens::revoke_family(&state.db, &user.auth.session, &store::now()).await?;
    let cookie = keys(&state).end();
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to("/signin")).into_response())
}

fn signup_form(csrf: &str, form: &SignUp, error: &Option<FieldError>) -> Markup {
    layout::page(
        "Sign up",
        None,
        "/signup",
        html! {
            section.card.narrow {
                h1 { "Create your account" }
                form method="post" action="/signup" novalidate {
                    (layout::csrf(csrf))
                    (layout::field("First name", "first_name", "text", &form.first_name, error_on(error, "first_name")))
                    (layout::field("Last name (optional)", "last_name", "text", &form.last_name, error_on(error, "last_name")))
                    (layout::field("Email", "email", "email", &form.email, error_on(error, "email")))
                    (layout::field("Password (at least 6 characters)", "password", "password", "", error_on(error, "password")))
                    button type="submit" { "Sign up" }
                }
                p { "Already have an account? " a href="/signin" { "Sign in" } }
            }
        },
    )
}

fn signin_form(
    csrf: &str,
    form: &SignIn,
    error: &Option<FieldError>,
    providers: &[Provider],
) -> Markup {
    layout::page(
        "Sign in",
        None,
        "/signin",
        html! {
            section.card.narrow {
                h1 { "Sign in" }
                form method="post" action="/signin" novalidate {
                    (layout::csrf(csrf))
                    (layout::field("Email", "email", "email", &form.email, error_on(error, "email")))
                    (layout::field("Password", "password", "password", "", error_on(error, "password")))
                    button type="submit" { "Sign in" }
                }
                (layout::alert(error_on(error, "")))
                @if !providers.is_empty() {
                    p.providers {
                        @for p in providers {
                            a.button.secondary href={ "/signin/" (p.name()) } { (p.label()) }
                            " "
                        }
                    }
                }
                p { "New here? " a href="/signup" { "Create an account" } }
            }
        },
    )
}
