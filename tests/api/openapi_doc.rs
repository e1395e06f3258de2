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

on_both_stores!(
    the_document_is_openapi_3_1,
    every_route_the_router_serves_is_in_the_document,
    every_path_serves_exactly_the_documented_methods,
    admin_operations_require_the_token_and_the_intake_does_not,
    every_admin_operation_answers_401_without_the_token,
    the_intake_endpoint_is_described_with_its_fields_and_answers,
);
