//! What happened in an account: in-app notifications (and marking them read),
//! the submission log, and the job queue with each job's attempts and a manual retry.

use axum::Json;
use axum::extract::{Path, State};

use super::error::{AdminError, ErrorBody};
use super::extract::{JsonBody, QueryParams, parse_id};
use crate::service::activity::{
    self, NotificationList, SubmissionList, SubmissionQuery, UpdateNotification,
};
use crate::service::jobs::{self, JobList, JobQuery};
use crate::service::page::PageParams;
use crate::state::AppState;
use crate::store::{JobWithAttempts, Notification};

/// List the account's in-app notifications, newest first.
#[utoipa::path(get, path = "/admin/v1/accounts/{id}/notifications", tag = "activity",
    params(("id" = Uuid, Path, description = "Account id"), PageParams),
    responses((status = 200, body = NotificationList), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_notifications(
    State(state): State<AppState>,
    Path(id): Path<String>,
    QueryParams(params): QueryParams<PageParams>,
) -> Result<Json<NotificationList>, AdminError> {
    let account_id = parse_id(&id, "account")?;
    Ok(Json(
        activity::list_notifications(state.store.as_ref(), account_id, &params).await?,
    ))
}

/// Mark a notification read or unread.
#[utoipa::path(patch, path = "/admin/v1/accounts/{id}/notifications/{notification_id}", tag = "activity",
    params(("id" = Uuid, Path, description = "Account id"), ("notification_id" = Uuid, Path, description = "Notification id")),
    request_body = UpdateNotification,
    responses((status = 200, body = Notification), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_notification(
    State(state): State<AppState>,
    Path((id, notification_id)): Path<(String, String)>,
    JsonBody(body): JsonBody<UpdateNotification>,
) -> Result<Json<Notification>, AdminError> {
    let account_id = parse_id(&id, "account")?;
    let notification_id = parse_id(&notification_id, "notification")?;
    Ok(Json(
        activity::update_notification(state.store.as_ref(), account_id, notification_id, &body)
            .await?,
    ))
}

/// The account's submission log, newest first.
#[utoipa::path(get, path = "/admin/v1/accounts/{id}/submissions", tag = "activity",
    params(("id" = Uuid, Path, description = "Account id"), SubmissionQuery),
    responses((status = 200, body = SubmissionList), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_account_submissions(
    State(state): State<AppState>,
    Path(id): Path<String>,
    QueryParams(query): QueryParams<SubmissionQuery>,
) -> Result<Json<SubmissionList>, AdminError> {
    let account_id = parse_id(&id, "account")?;
    Ok(Json(
        activity::list_submissions(state.store.as_ref(), Some(account_id), &query).await?,
    ))
}

/// Every submission, across accounts (also those that matched no account), newest first.
#[utoipa::path(get, path = "/admin/v1/submissions", tag = "activity",
    params(SubmissionQuery),
    responses((status = 200, body = SubmissionList), (status = 422, body = ErrorBody)))]
pub async fn list_all_submissions(
    State(state): State<AppState>,
    QueryParams(query): QueryParams<SubmissionQuery>,
) -> Result<Json<SubmissionList>, AdminError> {
    Ok(Json(
        activity::list_submissions(state.store.as_ref(), None, &query).await?,
    ))
}

/// The account's jobs (webhook, email, text), newest first, each with its attempts.
#[utoipa::path(get, path = "/admin/v1/accounts/{id}/jobs", tag = "activity",
    params(("id" = Uuid, Path, description = "Account id"), JobQuery),
    responses((status = 200, body = JobList), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_jobs(
    State(state): State<AppState>,
    Path(id): Path<String>,
    QueryParams(query): QueryParams<JobQuery>,
) -> Result<Json<JobList>, AdminError> {
    let account_id = parse_id(&id, "account")?;
    Ok(Json(
        jobs::list(state.store.as_ref(), account_id, &query).await?,
    ))
}

/// Queue a delivered, dead or skipped job again, due now, with the same `message_id`.
#[utoipa::path(post, path = "/admin/v1/jobs/{id}/retry", tag = "activity",
    params(("id" = Uuid, Path, description = "Job id")),
    responses(
        (status = 200, description = "Queued again", body = JobWithAttempts),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The job is still queued, running or retrying", body = ErrorBody),
    ))]
pub async fn retry_job(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<JobWithAttempts>, AdminError> {
    let id = parse_id(&id, "job")?;
    Ok(Json(jobs::retry(state.store.as_ref(), None, id).await?))
}
