//! What happened in an account: in-app notifications (and marking them read),
//! the submission log, and the job queue with each job's attempts and a manual retry.

use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::accounts::account_of;
use super::error::{AdminError, ErrorBody, problem};
use super::extract::{JsonBody, PageParams, QueryParams, one_more, paginate, parse_id, present};
use super::input::Problems;
use crate::app::AppState;
use crate::store::{
    JobFilter, JobWithAttempts, Notification, Outcome, Page, RetryOutcome, Submission,
    SubmissionFilter,
};

/// The job states a list can be filtered by.
pub const JOB_STATES: &[&str] = &[
    "queued",
    "running",
    "retrying",
    "delivered",
    "dead",
    "skipped",
];

/// A page of notifications.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NotificationList {
    pub notifications: Vec<Notification>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// `PATCH .../notifications/{notification_id}`
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateNotification {
    /// `true` to mark it read, `false` for unread.
    pub read: bool,
}

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
    let page = params.page()?;
    account_of(state.store.as_ref(), account_id).await?;
    let rows = state
        .store
        .list_notifications(account_id, one_more(page))
        .await?;
    let (notifications, next) = paginate(rows, page, |n| n.id);
    Ok(Json(NotificationList {
        notifications,
        next,
    }))
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
    let notification = state
        .store
        .set_notification_read(account_id, notification_id, body.read)
        .await
        .map_err(|e| AdminError::from_store(e, "notification"))?;
    Ok(Json(notification))
}

/// Query of the submission lists.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SubmissionQuery {
    /// `accepted` or `rejected`.
    #[param(inline, value_type = Option<crate::store::Outcome>)]
    pub outcome: Option<String>,
    /// An error code such as `ct103`.
    pub error_code: Option<String>,
    /// Page size, 1 to 500 (default 50).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 500)]
    pub limit: Option<String>,
    /// The `next` cursor of the previous page.
    #[param(pattern = "^[A-Za-z0-9_-]{22}$")]
    pub after: Option<String>,
}

impl SubmissionQuery {
    /// The filter (for `account_id`, if any) and the page (shared with the CLI).
    pub fn parse(&self, account_id: Option<Uuid>) -> Result<(SubmissionFilter, Page), AdminError> {
        let mut problems = Problems::default();
        let outcome = match present(&self.outcome) {
            None => None,
            Some("accepted") => Some(Outcome::Accepted),
            Some("rejected") => Some(Outcome::Rejected),
            Some(_) => problems.check(Err(problem("outcome", "must be accepted or rejected"))),
        };
        let page = page_into(&mut problems, &self.limit, &self.after)?;
        problems.finish()?;
        Ok((
            SubmissionFilter {
                account_id,
                outcome,
                error_code: present(&self.error_code).map(str::to_string),
            },
            page,
        ))
    }
}

/// Parse `limit` and `after`, adding their problems to the others.
fn page_into(
    problems: &mut Problems,
    limit: &Option<String>,
    after: &Option<String>,
) -> Result<Page, AdminError> {
    match (PageParams {
        limit: limit.clone(),
        after: after.clone(),
    })
    .page()
    {
        Ok(page) => Ok(page),
        Err(AdminError::Invalid(ps)) => {
            ps.into_iter().for_each(|p| problems.push(p));
            Ok(Page::first(super::extract::DEFAULT_LIMIT))
        }
        Err(other) => Err(other),
    }
}

/// A page of submissions.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SubmissionList {
    pub submissions: Vec<Submission>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
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
    let (filter, page) = query.parse(Some(account_id))?;
    account_of(state.store.as_ref(), account_id).await?;
    submissions(&state, &filter, page).await
}

/// Every submission, across accounts (also those that matched no account), newest first.
#[utoipa::path(get, path = "/admin/v1/submissions", tag = "activity",
    params(SubmissionQuery),
    responses((status = 200, body = SubmissionList), (status = 422, body = ErrorBody)))]
pub async fn list_all_submissions(
    State(state): State<AppState>,
    QueryParams(query): QueryParams<SubmissionQuery>,
) -> Result<Json<SubmissionList>, AdminError> {
    let (filter, page) = query.parse(None)?;
    submissions(&state, &filter, page).await
}

async fn submissions(
    state: &AppState,
    filter: &SubmissionFilter,
    page: Page,
) -> Result<Json<SubmissionList>, AdminError> {
    let rows = state.store.list_submissions(filter, one_more(page)).await?;
    let (submissions, next) = paginate(rows, page, |s| s.id);
    Ok(Json(SubmissionList { submissions, next }))
}

/// The job states a list may be filtered by (for the OpenAPI document).
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
enum JobStateParam {
    Queued,
    Running,
    Retrying,
    Delivered,
    Dead,
    Skipped,
}

/// Query of the job list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct JobQuery {
    /// `queued`, `running`, `retrying`, `delivered`, `dead` or `skipped`.
    #[param(inline, value_type = Option<JobStateParam>)]
    pub state: Option<String>,
    /// Page size, 1 to 500 (default 50).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 500)]
    pub limit: Option<String>,
    /// The `next` cursor of the previous page.
    #[param(pattern = "^[A-Za-z0-9_-]{22}$")]
    pub after: Option<String>,
}

impl JobQuery {
    /// The filter and the page (shared with the CLI).
    pub fn parse(&self) -> Result<(JobFilter, Page), AdminError> {
        let mut problems = Problems::default();
        let state = match present(&self.state) {
            None => None,
            Some(s) if JOB_STATES.contains(&s) => Some(s.to_string()),
            Some(_) => problems.check(Err(problem(
                "state",
                format!("must be one of {}", JOB_STATES.join(", ")),
            ))),
        };
        let page = page_into(&mut problems, &self.limit, &self.after)?;
        problems.finish()?;
        Ok((JobFilter { state }, page))
    }
}

/// A page of jobs.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct JobList {
    pub jobs: Vec<JobWithAttempts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
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
    let (filter, page) = query.parse()?;
    account_of(state.store.as_ref(), account_id).await?;
    let rows = state
        .store
        .find_jobs(account_id, &filter, one_more(page))
        .await?;
    let (jobs, next) = paginate(rows, page, |j| j.job.id);
    Ok(Json(JobList { jobs, next }))
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
    Ok(Json(requeue(state.store.as_ref(), None, id).await?))
}

/// Retry a job (shared with the CLI); `account_id` restricts it to one account.
pub async fn requeue(
    store: &dyn crate::store::Store,
    account_id: Option<Uuid>,
    id: Uuid,
) -> Result<JobWithAttempts, AdminError> {
    match store
        .retry_job(account_id, id)
        .await
        .map_err(|e| AdminError::from_store(e, "job"))?
    {
        RetryOutcome::Requeued(job) => {
            tracing::info!(job_id = %id, message_id = %job.message_id, "job queued again by hand");
            store
                .get_job(account_id, id)
                .await
                .map_err(|e| AdminError::from_store(e, "job"))
        }
        RetryOutcome::StillPending(job) => Err(AdminError::Conflict(format!(
            "the job is {}: only delivered, dead or skipped jobs can be retried",
            job.state
        ))),
    }
}
