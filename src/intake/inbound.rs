//! The inbound endpoints: `POST /v1/inbound/{token}` (an email, raw or in an email provider's
//! inbound shape, for the lead source with that inbound token) and
//! `POST /v1/external-api/thumbtack/lead` (a Thumbtack lead for a web_key). Both answer 200 only
//! once what they received is stored; the work is `service::inbound`'s.

use std::net::SocketAddr;

use axum::Json;
use axum::body::Body;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

use super::{Answer, IntakeError, pipeline, read_body};
use crate::inbound::providers::{self, ProviderError};
use crate::service::inbound::{self as inbound_service, NotStored, Sender, Stored, VendorAnswer};
use crate::state::AppState;

/// Longest web_key read from a vendor's request.
const WEB_KEY_MAX: usize = 255;

/// `POST /v1/inbound/{token}`
#[utoipa::path(post, path = "/v1/inbound/{token}", tag = "intake",
    description = "Receive an email for the lead source with this inbound token: a raw \
        message/rfc822, or the inbound-parse shapes of Mailgun (form), SendGrid (multipart, raw or \
        parsed) and Postmark (JSON). 200 once the message is stored, whatever its outcome.",
    params(("token" = String, Path, description = "The lead source's inbound token (any case)")),
    request_body(content = String, content_type = "message/rfc822"),
    responses(
        (status = 200, description = "Stored", body = Stored),
        (status = 404, description = "Unknown inbound token"),
        (status = 413, description = "Over the inbound size limit", body = crate::openapi::IntakeFailure),
        (status = 415, description = "Unsupported content type", body = crate::openapi::IntakeFailure),
        (status = 429, description = "ct106 too many requests", body = crate::openapi::IntakeFailure),
        (status = 503, description = "Storage unavailable, retry", body = crate::openapi::IntakeFailure),
    ))]
#[tracing::instrument(name = "inbound", skip_all, fields(outcome))]
pub async fn post_inbound(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let ip = state.limits.client_ip(peer, &headers);
    if let Err(wait) = state.limits.check_ip(ip).await {
        return failure(IntakeError::TooManyRequests { retry_after: wait });
    }
    let owner = match inbound_service::owner_of_token(state.store.as_ref(), &token).await {
        Ok(Some(owner)) => owner,
        Ok(None) => return not_found(),
        Err(e) => {
            tracing::error!(error = %e, "could not resolve an inbound token");
            return failure(IntakeError::StorageUnavailable);
        }
    };
    let bytes = match read_body(&headers, body, state.settings.inbound.max_bytes).await {
        Ok(bytes) => bytes,
        Err(error) => return failure(error),
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let message = match providers::read(content_type, bytes.clone()).await {
        Ok((provider, message)) => {
            tracing::info!(provider = provider.as_str(), "inbound message read");
            Ok(message)
        }
        Err(e @ ProviderError::UnsupportedType(_)) => {
            return failure(IntakeError::UnsupportedMediaType(e.to_string()));
        }
        Err(e) => Err(e.to_string()),
    };
    let sender = sender(ip, &headers);
    match inbound_service::receive_email(pipeline(&state), owner, &bytes, message, sender).await {
        Ok(stored) => (StatusCode::OK, Json(stored)).into_response(),
        Err(NotStored::UnknownToken) => not_found(),
        Err(NotStored::StorageUnavailable) => failure(IntakeError::StorageUnavailable),
    }
}

/// `POST /v1/external-api/thumbtack/lead`
#[utoipa::path(post, path = "/v1/external-api/thumbtack/lead", tag = "intake",
    description = "Receive a Thumbtack lead (its lead JSON). The web_key comes in the X-Web-Key \
        header or the web_key query parameter. The same leadID twice for an account is a double \
        submit: the success answer, nothing new.",
    params(("web_key" = Option<String>, Query, description = "The web_key, unless X-Web-Key is sent")),
    request_body(content = Object, content_type = "application/json"),
    responses(
        (status = 200, description = "Accepted", body = crate::openapi::IntakeSuccess),
        (status = 400, description = "ct102 no name, ct104 invalid JSON or field", body = crate::openapi::IntakeFailure),
        (status = 401, description = "ct101 invalid web_key", body = crate::openapi::IntakeFailure),
        (status = 409, description = "ct103 duplicate client", body = crate::openapi::IntakeFailure),
        (status = 413, description = "Body too large", body = crate::openapi::IntakeFailure),
        (status = 429, description = "ct106 too many requests", body = crate::openapi::IntakeFailure),
        (status = 503, description = "ct105 storage unavailable, retry", body = crate::openapi::IntakeFailure),
    ))]
#[tracing::instrument(name = "thumbtack", skip_all, fields(outcome))]
pub async fn post_thumbtack(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let ip = state.limits.client_ip(peer, &headers);
    if let Err(wait) = state.limits.check_ip(ip).await {
        return failure(IntakeError::TooManyRequests { retry_after: wait });
    }
    let bytes = match read_body(&headers, body, state.settings.intake.body_limit).await {
        Ok(bytes) => bytes,
        Err(error) => return failure(error),
    };
    let sender = sender(ip, &headers);
    let owner = match web_key(&headers, &uri) {
        None => Ok(None),
        Some(key) => state.store.find_key_owner(&key).await,
    };
    let owner = match owner {
        Ok(Some(owner)) => owner,
        Ok(None) => return refuse(&state, &bytes, &sender, IntakeError::InvalidWebKey).await,
        Err(e) => {
            tracing::error!(error = %e, "could not resolve the web_key");
            return refuse(&state, &bytes, &sender, IntakeError::StorageUnavailable).await;
        }
    };
    match inbound_service::receive_thumbtack(pipeline(&state), owner, &bytes, sender).await {
        VendorAnswer::Success => Answer::Success { redirect: None }.into_response(),
        VendorAnswer::Refused(error) => failure(error),
    }
}

/// Log a vendor post refused before its owner was known, and answer it.
async fn refuse(state: &AppState, body: &[u8], sender: &Sender, error: IntakeError) -> Response {
    inbound_service::refuse_vendor_post(state.store.as_ref(), body, sender, &error).await;
    failure(error)
}

/// The web_key of a vendor's request: `X-Web-Key`, else `?web_key=`.
fn web_key(headers: &HeaderMap, uri: &Uri) -> Option<String> {
    let from_header = headers
        .get("x-web-key")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_string());
    let from_query = || {
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(uri.query().unwrap_or_default()).ok()?;
        pairs
            .into_iter()
            .rev()
            .find(|(n, _)| n == "web_key")
            .map(|(_, v)| v.trim().to_string())
    };
    from_header
        .filter(|k| !k.is_empty())
        .or_else(from_query)
        .filter(|k| !k.is_empty() && k.len() <= WEB_KEY_MAX)
}

fn sender(ip: std::net::IpAddr, headers: &HeaderMap) -> Sender {
    let text = |name: header::HeaderName| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    Sender {
        ip,
        user_agent: text(header::USER_AGENT),
        request_id: text(header::HeaderName::from_static("x-request-id")),
    }
}

fn failure(error: IntakeError) -> Response {
    tracing::Span::current().record("outcome", error.code());
    Answer::Failure {
        error,
        redirect: None,
    }
    .into_response()
}

fn not_found() -> Response {
    let body = serde_json::json!({"Message": "Error", "msg": "Unknown inbound address"});
    (StatusCode::NOT_FOUND, Json(body)).into_response()
}
