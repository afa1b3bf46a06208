//! The web app, driven as a browser without JavaScript would: forms posted with a cookie jar,
//! redirects read by hand, against the real gateway (SQLite and PostgreSQL) and the real
//! inference binary.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use reqwest::{StatusCode, header, redirect::Policy};

use crate::helpers::{Backend, TestApp, spawn_app, spawn_app_with, spawn_inference};

const PASSWORD: &str = "a calm password";

/// A cookie jar and a client that does not follow redirects, so each step can be checked.
struct Browser<'a> {
    app: &'a TestApp,
    client: reqwest::Client,
    cookies: HashMap<String, String>,
}

/// One answer: status, `Location` and body.
#[derive(Debug)]
struct Page {
    status: StatusCode,
    location: Option<String>,
    headers: header::HeaderMap,
    body: String,
}

impl Page {
    /// The first CSRF token on the page.
    fn csrf(&self) -> String {
        let at = self
            .body
            .find("name=\"csrf_token\" value=\"")
            .expect("a form with csrf_token");
        let rest = &self.body[at + 25..];
        rest[..rest.find('"').unwrap()].to_owned()
    }

    /// The entry ids the page links to, in page order.
    fn entry_ids(&self) -> Vec<i64> {
        self.body
            .split("href=\"/journal/")
            .skip(1)
            .filter_map(|s| s[..s.find('"')?].parse().ok())
            .collect()
    }

    fn redirected_to(&self, path: &str) -> bool {
        self.status == StatusCode::SEE_OTHER && self.location.as_deref() == Some(path)
    }
}

impl<'a> Browser<'a> {
    fn new(app: &'a TestApp) -> Self {
        let client = reqwest::Client::builder()
            .redirect(Policy::none())
            .build()
            .unwrap();
        Self {
            app,
            client,
            cookies: HashMap::new(),
        }
    }

    async fn get(&mut self, path: &str) -> Page {
        let request = self.client.get(self.app.url(path));
        self.send(request).await
    }

    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let request = self.client.post(self.app.url(path)).form(form);
        self.send(request).await
    }

    async fn post_multipart(&mut self, path: &str, form: reqwest::multipart::Form) -> Page {
        let request = self.client.post(self.app.url(path)).multipart(form);
        self.send(request).await
    }

    async fn send(&mut self, request: reqwest::RequestBuilder) -> Page {
        let jar: Vec<String> = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let request = match jar.is_empty() {
            true => request,
            false => request.header(header::COOKIE, jar.join("; ")),
        };
        let response = request.send().await.expect("request");
        for set in response.headers().get_all(header::SET_COOKIE) {
            let set = set.to_str().unwrap();
            let (name, value) = set.split(';').next().unwrap().split_once('=').unwrap();
            match set.contains("Max-Age=0") {
                true => self.cookies.remove(name),
                false => self.cookies.insert(name.to_owned(), value.to_owned()),
            };
        }
        Page {
            status: response.status(),
            location: response
                .headers()
                .get(header::LOCATION)
                .map(|l| l.to_str().unwrap().to_owned()),
            headers: response.headers().clone(),
            body: response.text().await.unwrap_or_default(),
        }
    }

    /// Signs up through the form and lands on the journal.
    async fn sign_up(&mut self, email: &str, first_name: &str) {
        let form = self.get("/signup").await;
        let csrf = form.csrf();
        let done = self
            .post(
                "/signup",
                &[
                    ("csrf_token", &csrf),
                    ("first_name", first_name),
                    ("last_name", "Tester"),
                    ("email", email),
                    ("password", PASSWORD),
                ],
            )
            .await;
        assert!(done.redirected_to("/journal"), "signed up: {done:?}");
        assert!(self.cookies.contains_key("mt_session"), "a session cookie");
    }

    /// Writes an entry through the journal form; its id.
    async fn write(&mut self, text: &str, tags: &str) -> i64 {
        let journal = self.get("/journal").await;
        let saved = self
            .post(
                "/journal",
                &[
                    ("csrf_token", &journal.csrf()),
                    ("text", text),
                    ("tags", tags),
                ],
            )
            .await;
        assert!(saved.redirected_to("/journal"), "entry saved: {saved:?}");
        let journal = self.get("/journal").await;
        journal.entry_ids()[0]
    }
}

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
async fn pages_carry_a_strict_csp_and_static_files_are_cached_and_compressed() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let mut browser = Browser::new(&app);
    for path in ["/", "/signin", "/signup", "/no-such-page"] {
        let page = browser.get(path).await;
        let csp = page.headers[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap();
        assert!(
            csp.contains("default-src 'self'")
                && !csp.contains("unsafe-inline")
                && !csp.contains("unsafe-eval"),
            "{path}: {csp}"
        );
        assert!(
            page.headers[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/html"),
            "{path}"
        );
        assert!(
            !page.body.contains("<script>") && !page.body.contains("style=\""),
            "{path}: nothing inline"
        );
    }
    assert_eq!(
        browser.get("/no-such-page").await.status,
        StatusCode::NOT_FOUND
    );
    let css = app
        .client
        .get(app.url("/static/app.css"))
        .header(header::ACCEPT_ENCODING, "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(css.status(), StatusCode::OK);
    assert_eq!(css.headers()[header::CONTENT_ENCODING], "gzip");
    assert!(
        css.headers()[header::CACHE_CONTROL]
            .to_str()
            .unwrap()
            .contains("max-age")
    );
    let api = app.client.get(app.url("/api/nope")).send().await.unwrap();
    assert!(
        api.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("application/json"),
        "the API keeps its JSON errors"
    );
}

#[tokio::test]
async fn with_web_disabled_only_the_api_is_served() {
    let app = spawn_app_with(Backend::Sqlite, &[("WEB_ENABLED", "false")])
        .await
        .unwrap();
    for path in ["/", "/signin", "/journal", "/static/app.css"] {
        let page = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::NOT_FOUND, "{path}");
        assert!(
            page.headers()[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("application/json")
        );
    }
    let tests = app.client.get(app.url("/api/tests")).send().await.unwrap();
    assert_eq!(tests.status(), StatusCode::OK, "the API works");
    let user = app.register("api@example.com").await;
    assert!(!user.token.is_empty());
}

#[tokio::test]
async fn the_heaviest_pages_transfer_under_100_kb_and_plain_pages_answer_in_milliseconds() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let user = app.register("heavy@example.com").await;
    for day in 1..=60 {
        let date = (chrono::Utc::now() - chrono::Duration::days(day)).to_rfc3339();
        let text = "A day with a fair amount written about it, ".repeat(8);
        let body = serde_json::json!({ "text": text, "date": date, "tags": ["work", "home"] });
        app.post("/api/journal/entries", &body, Some(&user.token))
            .await;
    }
    let mut browser = Browser::new(&app);
    let form = browser.get("/signin").await;
    browser
        .post(
            "/signin",
            &[
                ("csrf_token", &form.csrf()),
                ("email", "heavy@example.com"),
                ("password", crate::helpers::PASSWORD),
            ],
        )
        .await;
    let jar: Vec<String> = browser
        .cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    for path in [
        "/journal",
        "/dashboard?days=90",
        "/assessments/4",
        "/assessments",
    ] {
        let response = browser
            .client
            .get(app.url(path))
            .header(header::COOKIE, jar.join("; "))
            .header(header::ACCEPT_ENCODING, "gzip")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(
            response.headers()[header::CONTENT_ENCODING],
            "gzip",
            "{path} is compressed"
        );
        let bytes = response.bytes().await.unwrap().len();
        eprintln!("{path}: {bytes} bytes on the wire");
        assert!(bytes < 100 * 1024, "{path}: {bytes} bytes");
    }
    let mut times = Vec::new();
    for _ in 0..15 {
        let started = std::time::Instant::now();
        let page = browser.get("/assessments/1").await;
        times.push(started.elapsed());
        assert_eq!(page.status, StatusCode::OK);
    }
    times.sort();
    eprintln!("/assessments/1: median {:?}", times[times.len() / 2]);
    // A few ms in release; the debug build on a shared CI machine gets a generous bound.
    assert!(times[times.len() / 2] < std::time::Duration::from_millis(100));
}

/// A stand-in GitHub: the token endpoint (recording every exchange's form), `/user` and
/// `/user/emails`; its authorize page is played by the test itself.
async fn github_stand_in(seen: Arc<Mutex<Vec<HashMap<String, String>>>>) -> String {
    use axum::{
        Form, Json, Router,
        routing::{get, post},
    };
    use serde_json::json;
    let token = move |Form(form): Form<HashMap<String, String>>| {
        let seen = seen.clone();
        async move {
            let good = form.get("code").map(String::as_str) == Some("good-code")
                && form.get("client_secret").map(String::as_str) == Some("gh-secret");
            seen.lock().unwrap().push(form);
            match good {
                true => Json(json!({ "access_token": "gho_good", "token_type": "bearer" })),
                false => Json(json!({ "error": "bad_verification_code" })),
            }
        }
    };
    let router = Router::new()
        .route("/login/oauth/access_token", post(token))
        .route(
            "/user",
            get(|| async { Json(json!({ "login": "octocat", "name": "Mona Octocat" })) }),
        )
        .route(
            "/user/emails",
            get(|| async {
                Json(json!([{ "email": "Mona@Example.com", "primary": true, "verified": true }]))
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    url
}

#[tokio::test]
async fn github_sign_in_runs_the_code_flow_with_state_and_pkce() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let provider = github_stand_in(seen.clone()).await;
    let (token_url, authorize_url) = (
        format!("{provider}/login/oauth/access_token"),
        format!("{provider}/login/oauth/authorize"),
    );
    let vars = [
        ("GITHUB_CLIENT_ID", "gh-id"),
        ("GITHUB_CLIENT_SECRET", "gh-secret"),
        ("GITHUB_TOKEN_URL", token_url.as_str()),
        ("GITHUB_API_URL", provider.as_str()),
        ("GITHUB_AUTHORIZE_URL", authorize_url.as_str()),
    ];
    let app = spawn_app_with(Backend::Sqlite, &vars).await.unwrap();
    let mut browser = Browser::new(&app);
    assert!(
        browser
            .get("/signin")
            .await
            .body
            .contains("href=\"/signin/github\""),
        "the button shows when configured"
    );

    let start = browser.get("/signin/github").await;
    assert_eq!(start.status, StatusCode::SEE_OTHER);
    let to = reqwest::Url::parse(start.location.as_deref().unwrap()).unwrap();
    assert!(to.as_str().starts_with(&authorize_url));
    let query: HashMap<String, String> = to.query_pairs().into_owned().collect();
    assert_eq!(query["client_id"], "gh-id");
    assert_eq!(query["code_challenge_method"], "S256");
    assert!(query["redirect_uri"].ends_with("/signin/github/callback"));
    let (state, challenge) = (query["state"].clone(), query["code_challenge"].clone());

    // A callback crafted elsewhere (another state) signs nobody in and spends no code.
    let forged = browser
        .get("/signin/github/callback?code=good-code&state=someone-elses")
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(!browser.cookies.contains_key("mt_session") && seen.lock().unwrap().is_empty());

    let back = browser
        .get(&format!(
            "/signin/github/callback?code=good-code&state={state}"
        ))
        .await;
    assert!(back.redirected_to("/journal"), "{back:?}");
    assert!(
        browser.cookies.contains_key("mt_session") && !browser.cookies.contains_key("mt_oauth")
    );
    let exchange = seen.lock().unwrap()[0].clone();
    let verifier = &exchange["code_verifier"];
    use base64::Engine;
    use sha2::Digest;
    let expected = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(verifier.as_bytes()));
    assert_eq!(
        expected, challenge,
        "the exchange proves the verifier behind the challenge"
    );
    assert_eq!(exchange["redirect_uri"], query["redirect_uri"]);
    assert!(
        browser
            .get("/profile")
            .await
            .body
            .contains("mona@example.com")
    );

    let replay = browser
        .get(&format!(
            "/signin/github/callback?code=good-code&state={state}"
        ))
        .await;
    assert_eq!(
        replay.status,
        StatusCode::FORBIDDEN,
        "a callback works once"
    );

    let plain = spawn_app(Backend::Sqlite).await.unwrap();
    let mut other = Browser::new(&plain);
    assert!(
        !other.get("/signin").await.body.contains("/signin/github"),
        "no button when not configured"
    );
    assert_eq!(
        other.get("/signin/github").await.status,
        StatusCode::NOT_FOUND
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
