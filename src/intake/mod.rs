//! The form-post endpoint `POST /v1/external-api/external-form-lead`: read the
//! body, check it in the contract's order, store the lead, answer.

pub mod answer;
pub mod body;
pub mod form;
pub mod inbound;
pub mod negotiate;
pub mod smtp;
pub mod spam_check;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use time::OffsetDateTime;

use crate::fields::{RedirectUrl, remove_controls};
use crate::service;
use crate::service::intake::{Arrival, Pipeline, Settled, settle};
use crate::state::AppState;
use crate::store::{Channel, KeyOwner, Outcome, Submission, new_id};
pub use answer::{Answer, IntakeError};
use body::{BodyError, PostedPairs};
use form::Form;

/// The path of the endpoint.
pub const PATH: &str = "/v1/external-api/external-form-lead";

/// Longest raw body kept in the submission log for a body that could not be parsed.
const RAW_BODY_LOG_LIMIT: usize = 16 * 1024;

/// `POST /v1/external-api/external-form-lead`
#[utoipa::path(post, path = "/v1/external-api/external-form-lead", tag = "intake",
    description = "Post a lead from a web form. Bodies: application/x-www-form-urlencoded (also \
        without a Content-Type), multipart/form-data, or a flat JSON object. Any field not listed \
        is a custom field of the account.",
    request_body(content(
        (crate::openapi::IntakeForm = "application/x-www-form-urlencoded"),
        (crate::openapi::IntakeForm = "multipart/form-data"),
        (crate::openapi::IntakeForm = "application/json"),
    )),
    responses(
        (status = 200, description = "Accepted (no OnSuccessURL)", body = crate::openapi::IntakeSuccess),
        (status = 303, description = "Redirect to OnSuccessURL, or to OnErrorURL with error_Code and msg"),
        (status = 400, description = "ct102 no name, ct104 invalid request or field", body = crate::openapi::IntakeFailure),
        (status = 401, description = "ct101 invalid web_key", body = crate::openapi::IntakeFailure),
        (status = 403, description = "ct107 origin not allowed", body = crate::openapi::IntakeFailure),
        (status = 409, description = "ct103 duplicate client", body = crate::openapi::IntakeFailure),
        (status = 413, description = "Body too large", body = crate::openapi::IntakeFailure),
        (status = 415, description = "Unsupported content type", body = crate::openapi::IntakeFailure),
        (status = 429, description = "ct106 too many requests", body = crate::openapi::IntakeFailure),
        (status = 503, description = "ct105 storage unavailable, retry", body = crate::openapi::IntakeFailure),
    ))]
#[tracing::instrument(name = "intake", skip_all, fields(submission_id, account_id, outcome))]
pub async fn post_lead(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let answer = answer_post(&state, peer, &headers, body).await;
    let refused = match &answer {
        Answer::Success { .. } | Answer::HostedPage { error: None, .. } => None,
        Answer::Failure { error, .. }
        | Answer::HostedPage {
            error: Some(error), ..
        } => Some(error.code()),
    };
    if let Some(code) = refused {
        metrics::counter!("leadpost_submissions_rejected_total", "error_code" => code).increment(1);
    }
    answer.into_response()
}

async fn answer_post(
    state: &AppState,
    peer: SocketAddr,
    headers: &HeaderMap,
    body: Body,
) -> Answer {
    // Rate limits come first: an abusive client's body is never read.
    let ip = state.limits.client_ip(peer, headers);
    if let Err(wait) = state.limits.check_ip(ip).await {
        return json_failure(IntakeError::TooManyRequests { retry_after: wait });
    }
    let limit = state.settings.intake.body_limit;
    let mut log = Submission {
        id: new_id(),
        account_id: None,
        lead_source_id: None,
        client_id: None,
        outcome: Outcome::Rejected,
        error_code: None,
        message: None,
        replay_of: None,
        fields: Vec::new(),
        remote_ip: Some(ip.to_string()),
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        created_at: OffsetDateTime::now_utc(),
        spam_reasons: Vec::new(),
        released_client_id: None,
        released_at: None,
        release_error_code: None,
        channel: Channel::Form,
        raw_message: None,
        reparsed_at: None,
        request_id: None,
    };
    tracing::Span::current().record("submission_id", tracing::field::display(log.id));

    // Step 1: size, type, syntax. Never a redirect: the fields are not known.
    let bytes = match read_body(headers, body, limit).await {
        Ok(bytes) => bytes,
        Err(error) => return json_failure(error),
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let posted = match body::parse(content_type, bytes.clone()).await {
        Ok(mut posted) => {
            posted.remove_controls();
            posted
        }
        Err(e @ BodyError::UnsupportedType(_)) => {
            return json_failure(IntakeError::UnsupportedMediaType(e.to_string()));
        }
        Err(BodyError::Malformed(reason)) => {
            let mut raw =
                String::from_utf8_lossy(&bytes[..bytes.len().min(RAW_BODY_LOG_LIMIT)]).into_owned();
            remove_controls(&mut raw);
            log.fields = vec![("_body".into(), raw)];
            let error = IntakeError::BadRequest(reason);
            reject(state, log, &error).await;
            return json_failure(error);
        }
    };
    log.fields = posted.pairs.clone();
    let wants_html =
        negotiate::prefers_html(headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()));
    let request_id = headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let post = Post {
        posted: Arc::new(posted),
        headers,
        client_ip: ip,
        wants_html,
        request_id,
    };
    process(state, post, log).await
}

/// A post whose body has been read.
struct Post<'a> {
    posted: Arc<PostedPairs>,
    headers: &'a HeaderMap,
    client_ip: IpAddr,
    wants_html: bool,
    request_id: Option<String>,
}

/// Steps 2 to 6, and the store.
async fn process(state: &AppState, post: Post<'_>, mut log: Submission) -> Answer {
    let ip = post.client_ip;
    let form = Form::new(&post.posted);
    let redirect = match form.error_url() {
        Ok(redirect) => redirect,
        Err(problem) => {
            let error = IntakeError::BadRequest(format!("{} {}", problem.field, problem.reason));
            reject(state, log, &error).await;
            return Answer::Failure {
                error,
                redirect: None,
            };
        }
    };
    let fail = |error: IntakeError| Answer::Failure {
        error,
        redirect: redirect.clone(),
    };

    // A key longer than any key is refused unparsed and never reaches the limiter.
    let Some(Ok(key)) = form.web_key() else {
        reject(state, log, &IntakeError::InvalidWebKey).await;
        return fail(IntakeError::InvalidWebKey);
    };
    drop(form);
    let owner = match state.store.find_key_owner(&key).await {
        Ok(Some(owner)) => owner,
        Ok(None) => {
            reject(state, log, &IntakeError::InvalidWebKey).await;
            return fail(IntakeError::InvalidWebKey);
        }
        Err(e) => {
            tracing::error!(error = %e, "could not resolve the web_key");
            reject(state, log, &IntakeError::StorageUnavailable).await;
            return fail(IntakeError::StorageUnavailable);
        }
    };
    log.account_id = Some(owner.account_id);
    log.lead_source_id = owner.lead_source.as_ref().map(|s| s.id);
    tracing::Span::current().record("account_id", tracing::field::display(owner.account_id));
    // The per-key limit, counted per known key and client IP (so junk posts from one
    // address cannot use up an account's budget): JSON, never a redirect; the log
    // keeps one row per key and minute with a count.
    if let Err(wait) = state.limits.check_key(&key, ip).await {
        let error = IntakeError::TooManyRequests { retry_after: wait };
        if let Err(e) = state.store.record_rate_limited(&log).await {
            tracing::warn!(error = %e, "could not log a rate-limited post");
        }
        return json_failure(error);
    }
    let hosted = (owner.hosted_pages && post.wants_html).then_some(owner.account_id);
    // Step 3b: allowed origins refuse like any failure.
    let answer = if spam_check::origin_allowed(&owner, post.headers) {
        process_for_owner(state, &post, log, owner, redirect).await
    } else {
        reject(state, log, &IntakeError::OriginNotAllowed).await;
        fail(IntakeError::OriginNotAllowed)
    };
    if let Some(account_id) = hosted {
        let base = state.settings.server.public_url().unwrap_or_default();
        answer.on_hosted_page(base, account_id)
    } else {
        answer
    }
}

/// Steps 4 to 6 and the store, once the web_key and the origin are known good: the shared
/// pipeline (`service::intake`).
async fn process_for_owner(
    state: &AppState,
    post: &Post<'_>,
    log: Submission,
    owner: KeyOwner,
    redirect: Option<RedirectUrl>,
) -> Answer {
    let arrival = Arrival {
        owner,
        fields: post.posted.clone(),
        log,
        client_ip: post.client_ip,
        request_id: post.request_id.clone(),
        fingerprint: None,
    };
    match settle(pipeline(state), arrival).await {
        Settled::Accepted { success_url, .. } | Settled::Spam { success_url } => Answer::Success {
            redirect: success_url,
        },
        Settled::Refused { error, .. } => Answer::Failure { error, redirect },
    }
}

/// The shared intake pipeline over this application's store and settings.
pub fn pipeline(state: &AppState) -> Pipeline<'_> {
    Pipeline {
        store: state.store.as_ref(),
        captcha: &state.captcha,
        replay_window_seconds: state.settings.intake.replay_window_seconds,
        events: &state.lead_events,
    }
}

/// A failure answered with JSON whatever OnErrorURL says (steps 1 and 2, limits).
fn json_failure(error: IntakeError) -> Answer {
    tracing::Span::current().record("outcome", error.code());
    Answer::Failure {
        error,
        redirect: None,
    }
}

/// Log a refused post; a log that cannot be written is reported, not fatal.
async fn reject(state: &AppState, log: Submission, error: &IntakeError) {
    service::intake::reject(state.store.as_ref(), log, error).await;
}

/// Read at most `limit` bytes; a declared or actual larger body is refused unread.
pub(crate) async fn read_body(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<Bytes, IntakeError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        return Err(IntakeError::PayloadTooLarge { limit });
    }
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => {
            Err(IntakeError::PayloadTooLarge { limit })
        }
        Err(e) => Err(IntakeError::BadRequest(format!(
            "the request body could not be read: {e}"
        ))),
    }
}
