//! `GET /openapi.json`: an OpenAPI 3.1 document that lists every route the
//! router serves, with the methods it serves, and describes the intake form.

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::Value;

use leadpost::app::{AppState, router};

use crate::helpers::{TestApp, on_both_stores};

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

async fn document(app: &TestApp) -> Value {
    let response = app.get("/openapi.json").await;
    assert_eq!(response.status(), 200);
    response.json().await.expect("json")
}

/// The paths the axum router actually serves, read from its debug form (axum
/// exposes no route list); never empty, so the comparison below cannot pass vacuously.
fn served_paths(app: &TestApp) -> BTreeSet<String> {
    let state = AppState::new(app.settings.clone(), app.store.clone());
    let debug = format!("{:?}", router(state));
    // The fallback router (axum's own catch-all) follows the served routes.
    let start = debug.find("path_router:").expect("the router's routes");
    let end = debug.find("fallback_router:").expect("the fallback router");
    let debug = &debug[start..end];
    let paths: BTreeSet<String> = regex::Regex::new(r#"RouteId\(\d+\): "(/[^"]*)""#)
        .expect("regex")
        .captures_iter(debug)
        .map(|c| c[1].to_string())
        // The console's HTML door is not part of the JSON API's document.
        .filter(|path| !path.starts_with("/console"))
        .collect();
    assert!(paths.len() > 10, "routes read from the router: {debug}");
    paths
}

async fn the_document_is_openapi_3_1(app: TestApp) {
    let doc = document(&app).await;
    assert!(doc["openapi"].as_str().expect("version").starts_with("3.1"));
    assert_eq!(doc["info"]["title"], "leadpost");
    assert_eq!(
        doc["components"]["securitySchemes"]["admin_token"]["scheme"],
        "bearer"
    );
}

async fn every_route_the_router_serves_is_in_the_document(app: TestApp) {
    let doc = document(&app).await;
    let documented: BTreeSet<String> = doc["paths"]
        .as_object()
        .expect("paths")
        .keys()
        .cloned()
        .collect();
    let served = served_paths(&app);
    let undocumented: Vec<&String> = served.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "served but not documented: {undocumented:?}"
    );
    let unserved: Vec<&String> = documented.difference(&served).collect();
    assert!(
        unserved.is_empty(),
        "documented but not served: {unserved:?}"
    );
}

async fn every_path_serves_exactly_the_documented_methods(app: TestApp) {
    let doc = document(&app).await;
    let params = regex::Regex::new(r"\{[^}]+\}").expect("regex");
    for (path, item) in doc["paths"].as_object().expect("paths") {
        let concrete = params.replace_all(path, uuid::Uuid::now_v7().to_string().as_str());
        for method in METHODS {
            let response = app
                .admin(
                    Method::from_bytes(method.to_uppercase().as_bytes()).expect("method"),
                    &concrete,
                )
                .header("content-type", "application/json")
                .body("{}")
                .send()
                .await
                .expect("sent");
            let status = response.status().as_u16();
            let body = response.bytes().await.expect("body");
            let unrouted = status == 405 || (status == 404 && body.is_empty());
            if item.get(method).is_some() {
                assert!(
                    !unrouted,
                    "{method} {path} is documented but answers {status}"
                );
            } else {
                assert_eq!(status, 405, "{method} {path} is served but not documented");
            }
        }
    }
}

async fn admin_operations_require_the_token_and_the_intake_does_not(app: TestApp) {
    let doc = document(&app).await;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let secured = op.get("security").is_some();
            assert_eq!(secured, path.starts_with("/admin/"), "{method} {path}");
            if secured {
                assert!(op["responses"].get("401").is_some());
                assert!(op["responses"].get("403").is_some());
            }
        }
    }
}

async fn every_admin_operation_answers_401_without_the_token(app: TestApp) {
    let doc = document(&app).await;
    let params = regex::Regex::new(r"\{[^}]+\}").expect("regex");
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        if !path.starts_with("/admin/") {
            continue;
        }
        let concrete = params.replace_all(path, uuid::Uuid::now_v7().to_string().as_str());
        for method in METHODS {
            if item.get(method).is_none() {
                continue;
            }
            let response = app
                .http
                .request(
                    Method::from_bytes(method.to_uppercase().as_bytes()).expect("method"),
                    format!("{}{concrete}", app.address),
                )
                .json(&serde_json::json!({}))
                .send()
                .await
                .expect("sent");
            assert_eq!(response.status(), 401, "{method} {path} without a token");
            checked += 1;
        }
    }
    assert!(checked >= 20, "only {checked} admin operations");
}

async fn the_intake_endpoint_is_described_with_its_fields_and_answers(app: TestApp) {
    let doc = document(&app).await;
    let op = &doc["paths"]["/v1/external-api/external-form-lead"]["post"];
    for status in ["200", "303", "400", "401", "409", "413", "415", "503"] {
        assert!(op["responses"].get(status).is_some(), "answer {status}");
    }
    let form = &op["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]["$ref"];
    assert_eq!(form, "#/components/schemas/IntakeForm");
    let schema = &doc["components"]["schemas"]["IntakeForm"];
    for field in [
        "web_key",
        "firstName",
        "lastName",
        "phone",
        "email",
        "tag",
        "OnSuccessURL",
        "OnErrorURL",
        "material_status",
    ] {
        assert!(schema["properties"].get(field).is_some(), "field {field}");
    }
    assert_eq!(schema["required"], serde_json::json!(["web_key"]));
}

/// The schema of a query parameter of an operation.
fn query_param<'a>(doc: &'a Value, path: &str, name: &str) -> &'a Value {
    doc["paths"][path]["get"]["parameters"]
        .as_array()
        .and_then(|params| params.iter().find(|p| p["name"] == name))
        .map(|p| &p["schema"])
        .unwrap_or_else(|| panic!("{path} has no parameter {name}"))
}

async fn query_parameters_declare_their_types_ranges_and_values(app: TestApp) {
    let doc = document(&app).await;
    let limit = query_param(&doc, "/admin/v1/submissions", "limit");
    assert_eq!(limit["anyOf"][0]["type"], "integer", "{limit}");
    assert_eq!(limit["anyOf"][0]["maximum"], 500);
    assert!(query_param(&doc, "/admin/v1/submissions", "after")["pattern"].is_string());
    let outcome = query_param(&doc, "/admin/v1/submissions", "outcome").to_string();
    assert!(
        outcome.contains("accepted") && outcome.contains("rejected"),
        "{outcome}"
    );
    let state = query_param(&doc, "/admin/v1/accounts/{id}/jobs", "state").to_string();
    assert!(state.contains("retrying"), "{state}");
    let created = query_param(&doc, "/admin/v1/accounts/{id}/clients", "created_after");
    assert_eq!(created["anyOf"][0]["format"], "date-time");
}

async fn optional_bodies_are_not_required_and_ranges_are_declared(app: TestApp) {
    let doc = document(&app).await;
    let rotate = &doc["paths"]["/admin/v1/accounts/{id}/rotate-key"]["post"]["requestBody"];
    assert_ne!(rotate["required"], true, "{rotate}");
    let patch = &doc["paths"]["/admin/v1/accounts/{id}"]["patch"]["requestBody"];
    assert_ne!(patch["required"], true, "{patch}");
    let text = doc["components"]["schemas"].to_string();
    assert!(text.contains("7776000"), "grace_seconds range");
    assert!(text.contains("31622400"), "delay_seconds range");
    assert_eq!(
        doc["components"]["schemas"]["CreateAccount"]["properties"]["name"]["minLength"],
        1
    );
}

/// Any value the document allows is answered like the service's own cursor or
/// default: an empty `limit`, `after`, `outcome` or `created_after` counts as absent.
async fn empty_query_values_the_document_allows_are_accepted(app: TestApp) {
    let doc = document(&app).await;
    let empty_allowed = |path, name| {
        let schema = query_param(&doc, path, name).to_string();
        assert!(
            schema.contains(r#""^\\s*$""#) || schema.contains("\"\"") || schema.contains(")?$"),
            "{name}: {schema}"
        );
    };
    empty_allowed("/admin/v1/submissions", "limit");
    empty_allowed("/admin/v1/submissions", "after");
    empty_allowed("/admin/v1/submissions", "outcome");
    empty_allowed("/admin/v1/accounts/{id}/jobs", "state");
    empty_allowed("/admin/v1/accounts/{id}/clients", "created_after");
    let (status, _) = app
        .admin_get("/admin/v1/submissions?limit=&after=&outcome=&error_code=")
        .await;
    assert_eq!(status, 200);
    // Blank (white space only) counts as empty, as the pattern says.
    let (status, _) = app
        .admin_get("/admin/v1/submissions?limit=%0A&created_after=%20")
        .await;
    assert_eq!(status, 200);
}

/// The cursor pattern admits only canonical base64 of 16 bytes: a string of the
/// right length that the service could not decode is outside it.
async fn a_cursor_the_pattern_allows_is_accepted(app: TestApp) {
    let doc = document(&app).await;
    let pattern = query_param(&doc, "/admin/v1/accounts", "after")["pattern"]
        .as_str()
        .expect("pattern")
        .to_string();
    let pattern = regex::Regex::new(&pattern).expect("regex");
    assert!(!pattern.is_match(&"0".repeat(22)));
    let cursor = format!("{}w", "0".repeat(21));
    assert!(pattern.is_match(&cursor));
    let (status, body) = app
        .admin_get(&format!("/admin/v1/accounts?after={cursor}"))
        .await;
    assert_eq!(status, 200, "{body}");
}

async fn an_optional_body_may_be_null_and_an_array_is_refused(app: TestApp) {
    let account = app.account().await;
    let path = format!("/admin/v1/accounts/{}/rotate-key", account.id);
    let (status, body) = app.admin_post(&path, serde_json::Value::Null).await;
    assert_eq!(status, 200, "{body}");
    let patch = format!("/admin/v1/accounts/{}", account.id);
    let (status, body) = app
        .admin_send(Method::PATCH, &patch, serde_json::json!([null, null]))
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["fields"][0]["field"], "body");
}

/// JSON Schema's `integer` includes `79.0`; the service reads it as 79.
async fn a_whole_number_written_with_a_zero_fraction_is_accepted(app: TestApp) {
    let account = app.account().await;
    let path = format!("/admin/v1/accounts/{}/rotate-key", account.id);
    let (status, body) = app
        .admin_post(&path, serde_json::json!({"grace_seconds": 79.0}))
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = app
        .admin_post(&path, serde_json::json!({"grace_seconds": 79.5}))
        .await;
    assert_eq!(status, 422);
}

on_both_stores!(
    the_document_is_openapi_3_1,
    every_route_the_router_serves_is_in_the_document,
    every_path_serves_exactly_the_documented_methods,
    admin_operations_require_the_token_and_the_intake_does_not,
    every_admin_operation_answers_401_without_the_token,
    the_intake_endpoint_is_described_with_its_fields_and_answers,
    query_parameters_declare_their_types_ranges_and_values,
    optional_bodies_are_not_required_and_ranges_are_declared,
    empty_query_values_the_document_allows_are_accepted,
    a_cursor_the_pattern_allows_is_accepted,
    an_optional_body_may_be_null_and_an_array_is_refused,
    a_whole_number_written_with_a_zero_fraction_is_accepted,
);
