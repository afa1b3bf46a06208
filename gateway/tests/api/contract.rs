//! The OpenAPI document is complete: every `/api` route the code serves is in it, every
//! operation documents a client error it can answer, and every response body has a schema
//! that says what is inside (no bare `{}` or `object`). Schemathesis then holds the running
//! gateway to the document (`scripts/api-contract.sh`).

use std::{
    collections::BTreeSet,
    path::{Path, PathBuf},
};

use serde_json::Value;

use crate::helpers::{Backend, spawn_app};

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

async fn document() -> Value {
    let app = spawn_app(Backend::Sqlite).await.expect("a SQLite gateway");
    app.get_json("/api/openapi.json", None).await
}

/// `(METHOD, /api/path)` of every route registered in the gateway's source: each
/// `.route("/api/...", get(..).post(..))` call of every module.
fn served_routes() -> BTreeSet<(String, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut routes = BTreeSet::new();
    for file in rust_files(&src) {
        let text = std::fs::read_to_string(&file).unwrap();
        for (start, _) in text.match_indices(".route(") {
            let call = balanced(&text[start + ".route".len()..]);
            let Some(path) = call.split('"').nth(1).filter(|p| p.starts_with("/api")) else {
                continue;
            };
            for method in METHODS {
                let named =
                    |i: usize| !call[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_');
                if call
                    .match_indices(&format!("{method}("))
                    .any(|(i, _)| named(i))
                {
                    routes.insert((method.to_owned(), path.to_owned()));
                }
            }
        }
    }
    routes
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

/// The text of the parenthesised group `text` starts with.
fn balanced(text: &str) -> &str {
    let mut depth = 0;
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' if depth == 1 => return &text[..=i],
            ')' => depth -= 1,
            _ => {}
        }
    }
    text
}

fn operations(doc: &Value) -> Vec<(String, String, &Value)> {
    let paths = doc["paths"].as_object().expect("paths");
    let mut found = Vec::new();
    for (path, item) in paths {
        for method in METHODS {
            if let Some(op) = item.get(method) {
                found.push((method.to_owned(), path.clone(), op));
            }
        }
    }
    found
}

#[tokio::test]
async fn every_api_route_the_gateway_serves_is_documented_and_nothing_else() {
    let doc = document().await;
    let documented: BTreeSet<(String, String)> = operations(&doc)
        .into_iter()
        .map(|(method, path, _)| (method, path))
        .collect();
    let served = served_routes();
    assert!(
        served.len() > 30,
        "the route scan found too little: {served:?}"
    );
    let missing: Vec<_> = served.difference(&documented).collect();
    assert!(missing.is_empty(), "served but not documented: {missing:?}");
    let phantom: Vec<_> = documented.difference(&served).collect();
    assert!(phantom.is_empty(), "documented but not served: {phantom:?}");
}

#[tokio::test]
async fn every_operation_documents_a_client_error_and_its_body() {
    let doc = document().await;
    for (method, path, op) in operations(&doc) {
        let responses = op["responses"].as_object().expect("responses");
        let client_errors: Vec<&String> = responses.keys().filter(|s| s.starts_with('4')).collect();
        assert!(
            !client_errors.is_empty(),
            "{method} {path} documents no 4xx"
        );
        for status in client_errors {
            let schema = &responses[status]["content"]["application/json"]["schema"]["$ref"];
            assert_eq!(
                schema, "#/components/schemas/ErrorBody",
                "{method} {path} {status} has no error body"
            );
        }
    }
}

#[tokio::test]
async fn every_body_has_a_schema_that_says_what_is_inside() {
    let doc = document().await;
    for (method, path, op) in operations(&doc) {
        let where_ = format!("{method} {path}");
        for (status, response) in op["responses"].as_object().unwrap() {
            for (media, content) in response["content"].as_object().into_iter().flatten() {
                if media == "application/json" {
                    let schema = content.get("schema");
                    let schema = schema.unwrap_or_else(|| panic!("{where_} {status}: no schema"));
                    check_schema(&doc, schema, &format!("{where_} {status}"), &mut Vec::new());
                }
            }
        }
        if let Some(body) = op.get("requestBody") {
            for (media, content) in body["content"].as_object().unwrap() {
                let schema = content.get("schema");
                let schema = schema.unwrap_or_else(|| panic!("{where_} {media} body: no schema"));
                check_schema(&doc, schema, &format!("{where_} body"), &mut Vec::new());
            }
        }
    }
}

/// Fails when `schema`, or any schema inside it, is empty or an object without properties
/// (a free-form object must say so with `additionalProperties`).
fn check_schema(doc: &Value, schema: &Value, at: &str, seen: &mut Vec<String>) {
    if let Some(reference) = schema["$ref"].as_str() {
        if seen.iter().any(|r| r == reference) {
            return;
        }
        seen.push(reference.to_owned());
        let name = reference.rsplit('/').next().unwrap();
        let target = &doc["components"]["schemas"][name];
        assert!(
            !target.is_null(),
            "{at}: {reference} is not in the components"
        );
        return check_schema(doc, target, &format!("{at} > {name}"), seen);
    }
    let object = schema
        .as_object()
        .unwrap_or_else(|| panic!("{at}: not a schema: {schema}"));
    let composed = ["allOf", "oneOf", "anyOf"]
        .iter()
        .find_map(|k| object.get(*k));
    if let Some(parts) = composed {
        for part in parts.as_array().unwrap() {
            check_schema(doc, part, at, seen);
        }
        return;
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => panic!("{at}: a schema without a type: {schema}"),
    };
    if types.contains(&"object") {
        let properties = object.get("properties").and_then(Value::as_object);
        let extra = object.get("additionalProperties");
        assert!(
            properties.is_some_and(|p| !p.is_empty()) || extra.is_some(),
            "{at}: an object without properties: {schema}"
        );
        for (name, property) in properties.into_iter().flatten() {
            check_schema(doc, property, &format!("{at}.{name}"), seen);
        }
        if let Some(extra) = extra.filter(|e| e.is_object()) {
            check_free_form(doc, extra, at, seen);
        }
    }
    if types.contains(&"array") {
        check_schema(doc, &schema["items"], &format!("{at}[]"), seen);
    }
}

/// The values of a free-form map: any schema, `{}` included (the map's keys are its own).
fn check_free_form(doc: &Value, schema: &Value, at: &str, seen: &mut Vec<String>) {
    if schema.as_object().is_some_and(|o| !o.is_empty()) {
        check_schema(doc, schema, &format!("{at}{{}}"), seen);
    }
}
