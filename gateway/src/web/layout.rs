//! The page frame (head, navigation bar, main), the form pieces every page shares and the
//! error pages. Everything a person wrote is interpolated with maud's `(…)`, which escapes it;
//! nothing here uses `PreEscaped` on data.

use axum::http::StatusCode;
use maud::{DOCTYPE, Markup, html};

use super::WebUser;
use crate::error::ApiError;

/// The navigation bar's entries for a signed-in person: path and label.
const NAV: &[(&str, &str)] = &[
    ("/journal", "Journal"),
    ("/dashboard", "Dashboard"),
    ("/assessments", "Assessments"),
    ("/analyze", "Analyze"),
    ("/profile", "Profile"),
    ("/account", "Account"),
];

/// A whole page: `title`, the navigation for `user` (the entry for `active` marked as the
/// current page) and `content` in `<main>`.
pub fn page(title: &str, user: Option<&WebUser>, active: &str, content: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Moodtracker" }
                link rel="icon" href="/static/icon.svg" type="image/svg+xml";
                link rel="stylesheet" href="/static/app.css";
                script src="/static/app.js" defer {}
            }
            body {
                a.skip href="#main" { "Skip to content" }
                header.bar {
                    nav.nav aria-label="Main" {
                        a.brand href="/" { span.logo aria-hidden="true" { "◐" } " Moodtracker" }
                        ul {
                            @match user {
                                Some(user) => {
                                    @for (path, label) in NAV {
                                        li { a href=(path) aria-current=[(*path == active).then_some("page")] { (label) } }
                                    }
                                    li {
                                        form.inline method="post" action="/signout" {
                                            (csrf(&user.csrf))
                                            button.link type="submit" { "Sign out" }
                                        }
                                    }
                                }
                                None => {
                                    li { a href="/signin" aria-current=[("/signin" == active).then_some("page")] { "Sign in" } }
                                    li { a href="/signup" aria-current=[("/signup" == active).then_some("page")] { "Sign up" } }
                                }
                            }
                        }
                    }
                }
                main #main tabindex="-1" { (content) }
                footer.foot { p { "Moodtracker keeps your journal private to you. In a crisis, call or text 988 (US) or your local emergency number." } }
            }
        }
    }
}

/// The hidden CSRF field every state-changing form carries.
pub fn csrf(token: &str) -> Markup {
    html! { input type="hidden" name="csrf_token" value=(token); }
}

/// A labelled input with its error beside it (`aria-describedby`, `aria-invalid`).
pub fn field(label: &str, name: &str, kind: &str, value: &str, error: Option<&str>) -> Markup {
    let error_id = format!("{name}-error");
    html! {
        div.field {
            label for=(name) { (label) }
            input #(name) name=(name) type=(kind) value=(value)
                aria-invalid=[error.map(|_| "true")] aria-describedby=[error.map(|_| error_id.as_str())];
            @if let Some(error) = error {
                p.error id=(error_id) { (error) }
            }
        }
    }
}

/// A form-level message (an error not tied to one field).
pub fn alert(message: Option<&str>) -> Markup {
    html! {
        @if let Some(message) = message {
            p.alert role="alert" { (message) }
        }
    }
}

/// The page for an error status.
pub fn error_page(status: StatusCode, message: &str) -> Markup {
    let title = status.canonical_reason().unwrap_or("Error");
    page(
        title,
        None,
        "",
        html! {
            section.card {
                h1 { (title) }
                p { (message) }
                p { a href="/" { "Back to Moodtracker" } }
            }
        },
    )
}

/// What a person reads for an API error: the API's own words for a client error, a calm fixed
/// text for the server's faults (whose details are logged, never shown).
pub fn api_message(e: &ApiError) -> String {
    let status = e.status();
    match e {
        ApiError::Inference(_) | ApiError::Database(_) | ApiError::Internal(_) => {
            status_message(status).to_owned()
        }
        _ if status.is_client_error() => e.to_string(),
        _ => status_message(status).to_owned(),
    }
}

/// A fixed message per status.
pub fn status_message(status: StatusCode) -> &'static str {
    match status {
        StatusCode::NOT_FOUND => "There is nothing here.",
        StatusCode::TOO_MANY_REQUESTS => {
            "That was a lot of requests in a short time. Please wait a moment and try again."
        }
        StatusCode::PAYLOAD_TOO_LARGE => "That was too large to accept.",
        StatusCode::SERVICE_UNAVAILABLE | StatusCode::GATEWAY_TIMEOUT => {
            "The mood models are not available right now. Please try again in a little while."
        }
        _ if status.is_client_error() => "That request could not be answered.",
        _ => "Something went wrong on our side. Please try again.",
    }
}

/// `/` for someone not signed in.
pub fn welcome() -> Markup {
    let features = [
        (
            "Journal",
            "A few lines a day, with tags. Each entry gets a mood score from two models, and you can see which words moved it.",
        ),
        (
            "Dashboard",
            "Your mood over weeks and months, a calendar of the year, streaks and gentle insights.",
        ),
        (
            "Check-ins",
            "PHQ-9, GAD-7, PSS-10 and the Big Five, with what the result means and what may help.",
        ),
    ];
    page(
        "Welcome",
        None,
        "/",
        html! {
            section.hero {
                h1 { "A calm place to notice how you feel" }
                p.lead { "Write a few lines a day. Two language models read the mood of each entry, and your dashboard shows how it moves over weeks and months." }
                p.actions {
                    a.button href="/signup" { "Create an account" }
                    " "
                    a.button.secondary href="/signin" { "Sign in" }
                }
            }
            section.features aria-label="What you get" {
                @for (title, text) in features {
                    div.card { h2 { (title) } p.muted { (text) } }
                }
            }
        },
    )
}

/// A date-time as stored (`2025-11-02T08:30:00.000Z`) shown as `2025-11-02 08:30 UTC`.
pub fn when(stored: &str) -> String {
    match (stored.get(..10), stored.get(11..16)) {
        (Some(day), Some(time)) => format!("{day} {time} UTC"),
        _ => stored.to_owned(),
    }
}
