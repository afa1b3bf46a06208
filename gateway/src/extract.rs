//! Request extractors whose rejections speak the contract's JSON envelope, instead of axum's
//! plain-text ones: `JsonBody<T>` for bodies and `QueryParams<T>` for query strings.
//!
//! A NUL character is refused here, in any string or key of any body, with a 400 naming the
//! field: PostgreSQL cannot store one in text (SQLite can), so refusing it at the edge makes
//! both databases behave alike and no handler can forget. [`refuse_nul_in_url`] does the same
//! for paths and query strings.

use axum::{
    extract::{FromRequest, FromRequestParts, Query, Request, rejection::JsonRejection},
    http::{StatusCode, request::Parts},
    middleware::Next,
    response::{IntoResponse, Response},
};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::ApiError;

/// A JSON body. Wrong content type → 415, too large → 413, a NUL character anywhere → 400
/// naming the field, anything else unreadable → 400.
#[derive(Debug, Clone)]
pub struct JsonBody<T>(pub T);

impl<S, T> FromRequest<S> for JsonBody<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let axum::Json(value) = axum::Json::<Value>::from_request(req, state)
            .await
            .map_err(|rejection| json_rejection(&rejection))?;
        if let Some(field) = nul_field(&value) {
            return Err(ApiError::bad_request(format!(
                "{field} must not contain a NUL character"
            )));
        }
        serde_json::from_value(value)
            .map(Self)
            .map_err(|_| ApiError::bad_request("Invalid JSON body"))
    }
}

/// Where the first NUL character of `value` is, as a field path (`text`, `tags[2]`,
/// `preferences.theme`); `body` when the body itself is such a string.
fn nul_field(value: &Value) -> Option<String> {
    fn walk(value: &Value, path: &str) -> Option<String> {
        let named = |p: &str| match p.is_empty() {
            true => "body".to_owned(),
            false => p.to_owned(),
        };
        match value {
            Value::String(s) => s.contains('\0').then(|| named(path)),
            Value::Array(items) => items
                .iter()
                .enumerate()
                .find_map(|(i, item)| walk(item, &format!("{path}[{i}]"))),
            Value::Object(fields) => fields.iter().find_map(|(key, item)| {
                let inner = match path.is_empty() {
                    true => key.clone(),
                    false => format!("{path}.{key}"),
                };
                match key.contains('\0') {
                    true => Some(format!("A field name in {}", named(path))),
                    false => walk(item, &inner),
                }
            }),
            _ => None,
        }
    }
    walk(value, "")
}

/// Middleware: 400 for a NUL character (`%00`) in the path or a query parameter, naming the
/// parameter, before any handler or database sees it.
pub async fn refuse_nul_in_url(request: Request, next: Next) -> Response {
    let uri = request.uri();
    if uri.path().contains("%00") {
        let message = "The URL path must not contain a NUL character";
        return ApiError::bad_request(message).into_response();
    }
    let query = uri.query().unwrap_or_default();
    if let Some(pair) = query.split('&').find(|pair| pair.contains("%00")) {
        let name = pair.split('=').next().unwrap_or_default();
        let name = match name.contains("%00") {
            true => "A query parameter name".to_owned(),
            false => format!("Query parameter {name}"),
        };
        let message = format!("{name} must not contain a NUL character");
        return ApiError::bad_request(message).into_response();
    }
    next.run(request).await
}

fn json_rejection(rejection: &JsonRejection) -> ApiError {
    match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge("Request body too large".into()),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            ApiError::UnsupportedMediaType("Content-Type must be application/json".into())
        }
        // serde's message can quote the offending value (a password, say): keep it out.
        _ => ApiError::bad_request("Invalid JSON body"),
    }
}

/// A query string; an unparsable one → 400 naming the problem.
#[derive(Debug, Clone)]
pub struct QueryParams<T>(pub T);

impl<S, T> FromRequestParts<S> for QueryParams<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(Self(value)),
            Err(rejection) => Err(ApiError::bad_request(format!(
                "Invalid query parameters: {}",
                rejection.body_text()
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::nul_field;

    #[test]
    fn names_the_field_holding_a_nul_character() {
        assert_eq!(
            nul_field(&json!({ "text": "a\u{0}b" })).as_deref(),
            Some("text")
        );
        let nested = json!({ "tags": ["ok", "n\u{0}"], "p": { "bio": "x" } });
        assert_eq!(nul_field(&nested).as_deref(), Some("tags[1]"));
        let deep = json!({ "preferences": { "theme": "\u{0}" } });
        assert_eq!(nul_field(&deep).as_deref(), Some("preferences.theme"));
        assert_eq!(nul_field(&json!("\u{0}")).as_deref(), Some("body"));
        assert_eq!(nul_field(&json!({ "text": "fine", "n": 1 })), None);
    }
}
