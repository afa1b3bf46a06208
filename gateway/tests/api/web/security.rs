//! What keeps a person's journal theirs: errors beside the field, CSRF tokens, escaping,
//! isolation between people, sign-out, and the API's rate limits and audit log on the forms.

use reqwest::{StatusCode, header};

use super::{Browser, PASSWORD};
use crate::helpers::{Backend, spawn_app, spawn_app_with, spawn_inference};

#[tokio::test]
async fn sign_in_and_sign_up_errors_are_shown_next_to_the_field() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let mut browser = Browser::new(&app);
    let form = browser.get("/signup").await;
    let short = browser
        .post(
            "/signup",
            &[
                ("csrf_token", &form.csrf()),
                ("first_name", "Bo"),
                ("email", "bo@example.com"),
                ("password", "123"),
            ],
        )
        .await;
    assert_eq!(short.status, StatusCode::BAD_REQUEST);
    assert!(
        short.body.contains("id=\"password-error\""),
        "beside the password: {}",
        short.body
    );
    assert!(
        short.body.contains("bo@example.com"),
        "the form keeps what was typed"
    );
    assert!(!browser.cookies.contains_key("mt_session"));

    browser.sign_up("bo@example.com", "Bo").await;
    let form = browser.get("/journal").await;
    browser
        .post("/signout", &[("csrf_token", &form.csrf())])
        .await;
    let form = browser.get("/signin").await;
    let wrong = browser
        .post(
            "/signin",
            &[
                ("csrf_token", &form.csrf()),
                ("email", "bo@example.com"),
                ("password", "wrong password"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(
        wrong.body.contains("id=\"password-error\"")
            && wrong.body.contains("Invalid email or password")
    );
    let again = browser
        .post(
            "/signup",
            &[
                ("csrf_token", &form.csrf()),
                ("first_name", "Bo"),
                ("email", "bo@example.com"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(again.body.contains("id=\"email-error\""));
    let right = browser
        .post(
            "/signin",
            &[
                ("csrf_token", &form.csrf()),
                ("email", "BO@example.com"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert!(right.redirected_to("/journal"));
}

#[tokio::test]
async fn forms_without_the_sessions_csrf_token_are_refused_and_change_nothing() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let mut browser = Browser::new(&app);
    browser.sign_up("csrf@example.com", "Cy").await;
    let missing = browser.post("/journal", &[("text", "forged entry")]).await;
    assert_eq!(missing.status, StatusCode::FORBIDDEN);
    assert!(missing.body.contains("nothing was changed"));
    let wrong = browser
        .post(
            "/journal",
            &[("csrf_token", &"0".repeat(64)), ("text", "forged entry")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    let journal = browser.get("/journal").await;
    assert!(
        journal.entry_ids().is_empty() && !journal.body.contains("forged entry"),
        "no entry was written"
    );

    let signout = browser.post("/signout", &[("csrf_token", "")]).await;
    assert_eq!(signout.status, StatusCode::FORBIDDEN, "a forged sign-out");
    assert_eq!(
        browser.get("/journal").await.status,
        StatusCode::OK,
        "still signed in"
    );

    // Another session's token is no good here either.
    let mut other = Browser::new(&app);
    other.sign_up("other@example.com", "Ot").await;
    let theirs = other.get("/journal").await.csrf();
    let crossed = browser
        .post(
            "/account/delete",
            &[("csrf_token", &theirs), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(crossed.status, StatusCode::FORBIDDEN);
    assert_eq!(
        browser.get("/journal").await.status,
        StatusCode::OK,
        "the account is still there"
    );

    let mut anonymous = Browser::new(&app);
    let signin = anonymous
        .post(
            "/signin",
            &[("email", "csrf@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(
        signin.status,
        StatusCode::FORBIDDEN,
        "the sign-in form needs its token too"
    );
    assert!(!anonymous.cookies.contains_key("mt_session"));
}

#[tokio::test]
async fn what_people_write_is_escaped_on_every_page() {
    let inference = spawn_inference().await;
    let app = spawn_app_with(Backend::Sqlite, &[("INFERENCE_URL", &inference.url())])
        .await
        .unwrap();
    let mut browser = Browser::new(&app);
    browser.sign_up("xss@example.com", "<b>Eve</b>").await;
    let script = "<script>alert(1)</script>";
    let image = "\"><img src=x onerror=alert(1)>";
    let first = browser.write(script, script).await;
    let second = browser.write(image, image).await;
    for path in [
        "/journal".to_owned(),
        format!("/journal/{first}"),
        format!("/journal/{second}"),
        "/dashboard".to_owned(),
        "/profile".to_owned(),
    ] {
        let page = browser.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(
            !page.body.contains("<script>alert"),
            "{path} has a raw <script>"
        );
        assert!(!page.body.contains("<img src=x"), "{path} has a raw <img>");
        assert!(
            !page.body.contains("<b>Eve"),
            "{path} has raw markup from the name"
        );
    }
    let journal = browser.get("/journal").await;
    assert!(
        journal
            .body
            .contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "shown as text"
    );
    assert!(
        journal
            .body
            .contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"),
        "shown as text"
    );
    assert!(
        browser
            .get("/dashboard")
            .await
            .body
            .contains("&lt;img src=x"),
        "the dashboard shows the latest entry, escaped"
    );
}

#[tokio::test]
async fn a_person_sees_only_their_own_entries() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let mut alice = Browser::new(&app);
    alice.sign_up("alice@example.com", "Alice").await;
    let mut bob = Browser::new(&app);
    bob.sign_up("bob@example.com", "Bob").await;
    let bobs = bob.write("Bob's private thoughts", "secret").await;

    for path in ["/journal", "/journal?tag=secret", "/dashboard"] {
        assert!(
            !alice.get(path).await.body.contains("Bob's private"),
            "{path}"
        );
    }
    assert_eq!(
        alice.get(&format!("/journal/{bobs}")).await.status,
        StatusCode::NOT_FOUND
    );
    let csrf = alice.get("/journal").await.csrf();
    let edit = alice
        .post(
            &format!("/journal/{bobs}"),
            &[("csrf_token", &csrf), ("text", "hijacked")],
        )
        .await;
    assert_eq!(edit.status, StatusCode::NOT_FOUND);
    let delete = alice
        .post(&format!("/journal/{bobs}/delete"), &[("csrf_token", &csrf)])
        .await;
    assert_eq!(delete.status, StatusCode::NOT_FOUND);
    let still = bob.get(&format!("/journal/{bobs}")).await;
    assert!(still.body.contains("Bob's private thoughts"), "untouched");
}

#[tokio::test]
async fn signing_out_ends_the_session_for_the_old_cookie_too() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let mut browser = Browser::new(&app);
    browser.sign_up("out@example.com", "Out").await;
    let stolen = browser.cookies.clone();
    let csrf = browser.get("/journal").await.csrf();
    let out = browser.post("/signout", &[("csrf_token", &csrf)]).await;
    assert!(out.redirected_to("/signin"));
    assert!(!browser.cookies.contains_key("mt_session"));
    assert!(browser.get("/journal").await.redirected_to("/signin"));
    let mut replay = Browser::new(&app);
    replay.cookies = stolen;
    assert!(
        replay.get("/journal").await.redirected_to("/signin"),
        "the old cookie is dead"
    );
    let forged = replay
        .post(
            "/journal",
            &[("csrf_token", &csrf), ("text", "after sign-out")],
        )
        .await;
    assert!(forged.redirected_to("/signin"), "and can write nothing");
}

#[tokio::test]
async fn an_entry_written_while_inference_is_down_shows_as_being_analysed() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let mut browser = Browser::new(&app);
    browser.sign_up("down@example.com", "Dee").await;
    let id = browser.write("Written while the models sleep", "").await;
    let journal = browser.get("/journal").await;
    assert!(journal.body.contains("Being analysed"), "the list says so");
    let entry = browser.get(&format!("/journal/{id}")).await;
    assert!(
        entry.body.contains("being analysed"),
        "the entry page says so"
    );
    let analyze = browser.get("/analyze").await;
    let tried = browser
        .post(
            "/analyze",
            &[("csrf_token", &analyze.csrf()), ("text", "hello")],
        )
        .await;
    assert_eq!(tried.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        tried.body.contains("not available right now"),
        "a calm HTML page"
    );
}

#[tokio::test]
async fn sign_in_forms_are_rate_limited_with_an_html_page_and_audited() {
    let vars = [
        ("RATELIMIT_ENABLED", "true"),
        ("RATELIMIT_OVERRIDES", "login=3/minute"),
    ];
    let app = spawn_app_with(Backend::Sqlite, &vars).await.unwrap();
    let mut browser = Browser::new(&app);
    browser.sign_up("limited@example.com", "Li").await;
    let csrf = browser.get("/journal").await.csrf();
    browser.post("/signout", &[("csrf_token", &csrf)]).await;
    let form = browser.get("/signin").await.csrf();
    let wrong = [
        ("csrf_token", form.as_str()),
        ("email", "limited@example.com"),
        ("password", "wrong password"),
    ];
    assert_eq!(
        browser.post("/signin", &wrong).await.status,
        StatusCode::UNAUTHORIZED
    );
    let right = [
        ("csrf_token", form.as_str()),
        ("email", "limited@example.com"),
        ("password", PASSWORD),
    ];
    assert!(
        browser
            .post("/signin", &right)
            .await
            .redirected_to("/journal")
    );
    let csrf = browser.get("/journal").await.csrf();
    let export = browser
        .post("/account/export", &[("csrf_token", &csrf)])
        .await;
    let export: serde_json::Value = serde_json::from_str(&export.body).unwrap();
    let events: Vec<&str> = export["security_events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["event"].as_str())
        .collect();
    assert!(
        events.contains(&"sign_in_failed")
            && events.contains(&"sign_in")
            && events.contains(&"data_export"),
        "the audit log records the web's sign-ins and export as it does the API's: {events:?}"
    );
    browser.post("/signout", &[("csrf_token", &csrf)]).await;
    browser.post("/signin", &wrong).await;
    let limited = browser.post("/signin", &wrong).await;
    assert_eq!(
        limited.status,
        StatusCode::TOO_MANY_REQUESTS,
        "the API's login quota applies to the form"
    );
    assert!(
        limited.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(limited.headers.contains_key(header::RETRY_AFTER));
    assert!(
        limited.body.contains("wait a moment"),
        "a page a person can read"
    );
    let api = app.login("limited@example.com", PASSWORD).await;
    assert_eq!(
        api.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "one quota for the form and the API"
    );
}
