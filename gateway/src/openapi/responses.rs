//! The statuses that layers and extractors answer with, rather than handlers, documented once
//! for every operation they can reach, and the error body on every 4xx and 5xx.
//!
//! A handler's `#[utoipa::path]` lists what the handler itself decides (404 for another user's
//! entry, 409 for a taken email). What every route shares is added here, from the facts of the
//! stack in `lib.rs`: the rate limiter answers every `/api` route but the health report (429,
//! and 503 when its store is down in closed mode); the timeout layer 408; a secured route's
//! extractor 401; a body's extractor 400 and 413, and a JSON body's 415; a query or path
//! parameter's 400 (an unparsable value, or a NUL character); a lost database 503; any fault
//! an opaque 500.

use utoipa::openapi::{
    ContentBuilder, ObjectBuilder, OpenApi, Ref, RefOr, ResponseBuilder, Type,
    header::HeaderBuilder,
    path::{Operation, PathItem},
};

/// The schema name of [`crate::error::ErrorBody`] in the document's components.
const ERROR_BODY: &str = "ErrorBody";

/// Adds the shared statuses to every operation of `doc`, then the error body to every error
/// response that has no content of its own.
pub fn add_common_responses(doc: &mut OpenApi) {
    for (path, item) in &mut doc.paths.paths {
        for operation in operations(item) {
            add_shared_statuses(path, operation);
            retry_after_on_429(operation);
            for (status, response) in &mut operation.responses.responses {
                let is_error = status.starts_with('4') || status.starts_with('5');
                if let (true, RefOr::T(response)) = (is_error, response) {
                    error_body_if_missing(response);
                }
            }
        }
    }
}

fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        item.get.as_mut(),
        item.put.as_mut(),
        item.post.as_mut(),
        item.delete.as_mut(),
        item.patch.as_mut(),
    ]
    .into_iter()
    .flatten()
}

fn add_shared_statuses(path: &str, operation: &mut Operation) {
    let secured = operation.security.as_ref().is_some_and(|s| !s.is_empty());
    let has_body = operation.request_body.is_some();
    // A multipart body's extractor refuses a wrong type with its own 400 ("No file provided").
    let json_body = operation
        .request_body
        .as_ref()
        .is_some_and(|b| b.content.contains_key("application/json"));
    let has_params = operation.parameters.as_ref().is_some_and(|p| !p.is_empty());
    let mut add = |status: &str, description: &str, when: bool| {
        if when {
            let responses = &mut operation.responses.responses;
            responses.entry(status.to_owned()).or_insert_with(|| {
                RefOr::T(ResponseBuilder::new().description(description).build())
            });
        }
    };
    add(
        "400",
        "Malformed request: an unreadable body or parameter, or a NUL character in one",
        has_body || has_params,
    );
    add(
        "401",
        "Missing, invalid, expired or revoked access token",
        secured,
    );
    add("413", "Request body too large", has_body);
    add("415", "Content-Type is not application/json", json_body);
    add("408", "Request timed out", true);
    let limited = path != "/api/health";
    add(
        "429",
        "Rate limit exceeded; Retry-After says when to retry",
        limited,
    );
    add("500", "Internal error (the body says nothing more)", true);
    add(
        "503",
        "A dependency (database, rate-limit store, model) is briefly unavailable; retry",
        limited,
    );
}

/// A 429 from the rate limiter carries `Retry-After` (its wait, in whole seconds); one from an
/// overloaded inference service does not, so the header is documented, not required.
fn retry_after_on_429(operation: &mut Operation) {
    if let Some(RefOr::T(too_many)) = operation.responses.responses.get_mut("429") {
        let seconds = ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(1));
        let header = HeaderBuilder::new()
            .schema(seconds)
            .description(Some("Seconds to wait before retrying"))
            .build();
        too_many.headers.insert("Retry-After".to_owned(), header);
    }
}

fn error_body_if_missing(response: &mut utoipa::openapi::Response) {
    if response.content.is_empty() {
        let content = ContentBuilder::new()
            .schema(Some(Ref::from_schema_name(ERROR_BODY)))
            .build();
        response
            .content
            .insert("application/json".to_owned(), content);
    }
}
