//! The console's one script, built into the binary and served from a path that carries a hash of
//! its content (so it can be cached for good, and the CSP needs only `script-src 'self'`). Pages
//! work without it; it adds the live inbox (server-sent events from `/console/events`) and copy
//! buttons.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// The script's text.
const SCRIPT: &str = include_str!("assets/console.js");

/// Where the script is served: `/console/assets/console-<first 16 hex of its SHA-256>.js`.
pub static SCRIPT_PATH: LazyLock<String> = LazyLock::new(|| {
    let digest = Sha256::digest(SCRIPT.as_bytes());
    let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("/console/assets/console-{hex}.js")
});

/// `GET /console/assets/{file}`: the script under its current name, else 404.
pub async fn asset(Path(file): Path<String>) -> Response {
    if format!("/console/assets/{file}") != *SCRIPT_PATH {
        return StatusCode::NOT_FOUND.into_response();
    }
    let mut response = SCRIPT.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/javascript; charset=utf-8"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}
