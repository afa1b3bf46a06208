//! The web app, driven as a browser without JavaScript would: forms posted with a cookie jar,
//! redirects read by hand, against the real gateway (SQLite and PostgreSQL) and the real
//! inference binary. [`Browser`] is the harness; `journeys` walks every page, `security` holds
//! CSRF, escaping, isolation, sign-out and limits, `pages` the headers, weight and switches,
//! `oauth` sign-in with GitHub.

mod journeys;
mod oauth;
mod pages;
mod security;

use std::collections::HashMap;

use reqwest::{StatusCode, header, redirect::Policy};

use crate::helpers::TestApp;

pub const PASSWORD: &str = "a calm password";

/// A cookie jar and a client that does not follow redirects, so each step can be checked.
pub struct Browser<'a> {
    pub app: &'a TestApp,
    pub client: reqwest::Client,
    pub cookies: HashMap<String, String>,
}

/// One answer: status, `Location` and body.
#[derive(Debug)]
pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub headers: header::HeaderMap,
    pub body: String,
}

impl Page {
    /// The first CSRF token on the page.
    pub fn csrf(&self) -> String {
        let at = self
            .body
            .find("name=\"csrf_token\" value=\"")
            .expect("a form with csrf_token");
        let rest = &self.body[at + 25..];
        rest[..rest.find('"').unwrap()].to_owned()
    }

    /// The entry ids the page links to, in page order.
    pub fn entry_ids(&self) -> Vec<i64> {
        self.body
            .split("href=\"/journal/")
            .skip(1)
            .filter_map(|s| s[..s.find('"')?].parse().ok())
            .collect()
    }

    pub fn redirected_to(&self, path: &str) -> bool {
        self.status == StatusCode::SEE_OTHER && self.location.as_deref() == Some(path)
    }
}

impl<'a> Browser<'a> {
    pub fn new(app: &'a TestApp) -> Self {
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

    pub async fn get(&mut self, path: &str) -> Page {
        let request = self.client.get(self.app.url(path));
        self.send(request).await
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let request = self.client.post(self.app.url(path)).form(form);
        self.send(request).await
    }

    pub async fn post_multipart(&mut self, path: &str, form: reqwest::multipart::Form) -> Page {
        let request = self.client.post(self.app.url(path)).multipart(form);
        self.send(request).await
    }

    pub async fn send(&mut self, request: reqwest::RequestBuilder) -> Page {
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
    pub async fn sign_up(&mut self, email: &str, first_name: &str) {
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
    pub async fn write(&mut self, text: &str, tags: &str) -> i64 {
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
