//! Browser sessions and CSRF tokens: the cookies, their MACs and the tokens. The extractors
//! that check them on each request are in [`super::extract`].
//!
//! A signed-in browser holds one cookie, `mt_session`: `user.family.expiry.mac`, where `family`
//! is a refresh-token family started exactly as an API sign-in starts one, and `mac` an
//! HMAC-SHA256 under the JWT secret. Every request checks the MAC, the expiry and then
//! [`tokens::session_is_live`], the same query the API's bearer extractor runs, so signing out
//! (which revokes the family), a detected refresh-token reuse and deleting the account (which
//! deletes its tokens) end the browser session at once, on every replica.
//!
//! CSRF: a signed-in form carries `csrf_token` = HMAC(`csrf|family`); the sign-in and sign-up
//! forms, which have no session yet, carry HMAC(`pre|nonce`) for a random nonce kept in the
//! `mt_pre` cookie (the double-submit pattern). Both are compared in constant time. The cookies
//! are `HttpOnly` and `SameSite=Lax`, and `Secure` outside development and testing.

use axum::http::{HeaderMap, HeaderValue, header};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::{
    auth::refresh,
    config::{Config, Environment},
};

/// The session cookie's name.
pub const SESSION: &str = "mt_session";
/// The pre-session cookie's name: the nonce the sign-in forms' CSRF token is bound to.
pub const PRE: &str = "mt_pre";
/// The cookie of a sign-in with a provider in progress: its `state` and PKCE verifier.
pub const FLOW: &str = "mt_oauth";
/// Seconds a person has to come back from the provider.
const FLOW_SECS: i64 = 600;

/// The MAC key and cookie attributes, built from the configuration.
#[derive(Clone)]
pub struct SessionKeys {
    key: Vec<u8>,
    secure: bool,
    /// Seconds a session cookie lives: the refresh-token family's lifetime.
    ttl_secs: i64,
}

impl std::fmt::Debug for SessionKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionKeys")
            .field("secure", &self.secure)
            .finish_non_exhaustive()
    }
}

impl SessionKeys {
    pub fn new(config: &Config) -> Self {
        Self {
            key: config.jwt_secret.expose().as_bytes().to_vec(),
            // Plain http on 127.0.0.1 in development and tests; TLS everywhere else.
            secure: !matches!(
                config.environment,
                Environment::Development | Environment::Testing
            ),
            ttl_secs: config.refresh_token_ttl.as_secs() as i64,
        }
    }

    fn mac(&self, message: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key");
        mac.update(message.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    fn verify(&self, message: &str, given: &str) -> bool {
        let Ok(given) = hex::decode(given) else {
            return false;
        };
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key");
        mac.update(message.as_bytes());
        mac.verify_slice(&given).is_ok()
    }

    /// The `Set-Cookie` value that starts the session `family` of `user_id`.
    pub fn start(&self, user_id: &str, family: &str) -> HeaderValue {
        let expires = chrono::Utc::now().timestamp() + self.ttl_secs;
        let payload = format!("{user_id}.{family}.{expires}");
        let value = format!("{payload}.{}", self.mac(&format!("session|{payload}")));
        self.cookie(SESSION, &value, self.ttl_secs)
    }

    /// The `Set-Cookie` value that removes the session cookie.
    pub fn end(&self) -> HeaderValue {
        self.cookie(SESSION, "", 0)
    }

    fn cookie(&self, name: &str, value: &str, max_age: i64) -> HeaderValue {
        let secure = if self.secure { "; Secure" } else { "" };
        let text =
            format!("{name}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}");
        HeaderValue::from_str(&text).expect("cookie values are hex and dots")
    }

    /// `(user_id, family)` of a well-signed, unexpired session cookie; the family may still
    /// have been revoked (see [`super::WebUser`]).
    pub fn read(&self, headers: &HeaderMap) -> Option<(String, String)> {
        self.read_session(headers).map(|s| (s.user_id, s.family))
    }

    /// The well-signed, unexpired session cookie of a request.
    pub fn read_session(&self, headers: &HeaderMap) -> Option<CookieSession> {
        let value = cookie(headers, SESSION)?;
        let (payload, mac) = value.rsplit_once('.')?;
        if !self.verify(&format!("session|{payload}"), mac) {
            return None;
        }
        let mut parts = payload.split('.');
        let (user, family, expires) = (parts.next()?, parts.next()?, parts.next()?);
        let expires: i64 = expires.parse().ok()?;
        (expires > chrono::Utc::now().timestamp()).then(|| CookieSession {
            user_id: user.to_owned(),
            family: family.to_owned(),
            // The cookie lives `ttl_secs` from the sign-in.
            started_at: expires - self.ttl_secs,
        })
    }

    /// The `Set-Cookie` that remembers a provider sign-in's `state` and PKCE `verifier` (both
    /// hex) for the callback, signed so that it cannot be forged.
    pub fn start_flow(&self, state: &str, verifier: &str) -> HeaderValue {
        let payload = format!("{state}.{verifier}");
        let value = format!("{payload}.{}", self.mac(&format!("flow|{payload}")));
        self.cookie(FLOW, &value, FLOW_SECS)
    }

    /// `(state, verifier)` of the request's provider sign-in cookie, when well signed.
    pub fn read_flow(&self, headers: &HeaderMap) -> Option<(String, String)> {
        let value = cookie(headers, FLOW)?;
        let (payload, mac) = value.rsplit_once('.')?;
        if !self.verify(&format!("flow|{payload}"), mac) {
            return None;
        }
        let (state, verifier) = payload.split_once('.')?;
        Some((state.to_owned(), verifier.to_owned()))
    }

    /// The `Set-Cookie` that removes the provider sign-in cookie.
    pub fn end_flow(&self) -> HeaderValue {
        self.cookie(FLOW, "", 0)
    }

    /// Whether cookies are sent over TLS only (so the site's URLs are `https`).
    pub fn secure(&self) -> bool {
        self.secure
    }

    /// The CSRF token of the session `family`.
    pub fn csrf(&self, family: &str) -> String {
        self.mac(&format!("csrf|{family}"))
    }

    /// The pre-session nonce of a request and the `Set-Cookie` to send when it is new.
    pub fn pre_session(&self, headers: &HeaderMap) -> (String, Option<HeaderValue>) {
        match cookie(headers, PRE).filter(|n| n.len() == 32 && hex::decode(n).is_ok()) {
            Some(nonce) => (nonce.to_owned(), None),
            None => {
                let nonce = refresh::random_id();
                let set = self.cookie(PRE, &nonce, 3600);
                (nonce, Some(set))
            }
        }
    }

    /// The CSRF token of the sign-in forms for a pre-session nonce.
    pub fn pre_csrf(&self, nonce: &str) -> String {
        self.mac(&format!("pre|{nonce}"))
    }

    /// Whether `token` is the sign-in forms' CSRF token for this request's nonce cookie.
    pub fn pre_csrf_ok(&self, headers: &HeaderMap, token: &str) -> bool {
        cookie(headers, PRE).is_some_and(|nonce| self.verify(&format!("pre|{nonce}"), token))
    }
}

/// What a session cookie says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CookieSession {
    pub user_id: String,
    pub family: String,
    /// When the person signed in (Unix seconds).
    pub started_at: i64,
}

/// The value of cookie `name` in the request's `Cookie` headers.
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find_map(|(k, v)| (k == name).then_some(v))
}

/// Equality that takes the same time wherever the strings differ.
pub fn constant_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The user id a well-signed session cookie names, for the rate limiter's keying (no database
/// check: the MAC is enough to stop anyone spending another person's quota).
pub fn cookie_user(keys: &SessionKeys, headers: &HeaderMap) -> Option<String> {
    keys.read(headers).map(|(user, _)| user)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> SessionKeys {
        let config = Config::from_iter([("APP_ENV".to_owned(), "testing".to_owned())]).unwrap();
        SessionKeys::new(&config)
    }

    fn with_cookie(set: &HeaderValue) -> HeaderMap {
        let pair = set.to_str().unwrap().split(';').next().unwrap().to_owned();
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_str(&pair).unwrap());
        headers
    }

    #[test]
    fn a_session_cookie_reads_back_and_a_tampered_one_does_not() {
        let keys = keys();
        let set = keys.start("u1", "f1");
        assert!(set.to_str().unwrap().contains("HttpOnly; SameSite=Lax"));
        let headers = with_cookie(&set);
        assert_eq!(keys.read(&headers), Some(("u1".into(), "f1".into())));
        let forged = set.to_str().unwrap().replace("u1.", "u2.");
        assert_eq!(
            keys.read(&with_cookie(&HeaderValue::from_str(&forged).unwrap())),
            None
        );
    }

    #[test]
    fn csrf_tokens_differ_per_session() {
        let keys = keys();
        assert_ne!(keys.csrf("f1"), keys.csrf("f2"));
        assert!(constant_eq(&keys.csrf("f1"), &keys.csrf("f1")));
    }
}
