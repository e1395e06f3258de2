//! What happened in an account: in-app notifications (and marking them read)
//! and the submission log.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::input::{Problems, present};
use super::page::{PageParams, fetch};
use super::{ServiceError, accounts};
use crate::fields::FieldProblem;
use crate::store::{Channel, Notification, Outcome, Page, Store, Submission, SubmissionFilter};

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

/// The account's in-app notifications, newest first.
pub async fn list_notifications(
    store: &dyn Store,
    account_id: Uuid,
    params: &PageParams,
) -> Result<NotificationList, ServiceError> {
    let page = params.page()?;
    accounts::get(store, account_id).await?;
    let (notifications, next) =
        fetch(page, |p| store.list_notifications(account_id, p), |n| n.id).await?;
    Ok(NotificationList {
        notifications,
        next,
    })
}

/// Mark one of the account's notifications read or unread.
pub async fn update_notification(
    store: &dyn Store,
    account_id: Uuid,
    id: Uuid,
    change: &UpdateNotification,
) -> Result<Notification, ServiceError> {
    store
        .set_notification_read(account_id, id, change.read)
        .await
        .map_err(|e| ServiceError::from_store(e, "notification"))
}

/// Filters and page of a submission list, as given.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SubmissionQuery {
    /// `accepted`, `rejected` or `spam`; empty for all.
    #[param(schema_with = outcome_schema)]
    pub outcome: Option<String>,
    /// An error code such as `ct103`.
    #[param(schema_with = super::input::text_schema)]
    pub error_code: Option<String>,
    /// How the posts arrived: `form`, `email` or `vendor`; empty for all.
    #[param(schema_with = channel_schema)]
    #[serde(default)]
    pub channel: Option<String>,
    /// Page size, 1 to 500 (default 50 when absent or empty).
    #[param(schema_with = super::page::limit_schema)]
    pub limit: Option<String>,
    /// The `next` cursor of the previous page; empty for the first page.
    #[param(schema_with = super::page::cursor_schema)]
    pub after: Option<String>,
}

/// The schema of the `channel` filter.
fn channel_schema() -> utoipa::openapi::Object {
    super::page::choice_or_empty_schema(&[
        Channel::Form.as_str(),
        Channel::Email.as_str(),
        Channel::Vendor.as_str(),
    ])
}

/// The schema of the `outcome` filter.
fn outcome_schema() -> utoipa::openapi::Object {
    super::page::choice_or_empty_schema(&[
        Outcome::Accepted.as_str(),
        Outcome::Rejected.as_str(),
        Outcome::Spam.as_str(),
    ])
}

impl SubmissionQuery {
    /// The filter (for `account_id`, if any) and the page.
    pub fn parse(
        &self,
        account_id: Option<Uuid>,
    ) -> Result<(SubmissionFilter, Page), ServiceError> {
        let mut problems = Problems::default();
        let outcome = match present(&self.outcome) {
            None => None,
            Some(name) => match Outcome::from_name(name) {
                Some(outcome) => Some(outcome),
                None => problems.check(Err(FieldProblem::new(
                    "outcome",
                    "must be accepted, rejected or spam",
                ))),
            },
        };
        let channel = match present(&self.channel) {
            None => None,
            Some(name) => match Channel::from_name(name) {
                Some(channel) => Some(channel),
                None => problems.check(Err(FieldProblem::new(
                    "channel",
                    "must be form, email or vendor",
                ))),
            },
        };
        let page = PageParams::new(self.limit.clone(), self.after.clone()).page_into(&mut problems);
        problems.finish()?;
        Ok((
            SubmissionFilter {
                account_id,
                outcome,
                error_code: present(&self.error_code).map(str::to_string),
                channel,
            },
            page,
        ))
    }
}

/// A page of submissions.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SubmissionList {
    pub submissions: Vec<Submission>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// The submission log, newest first: of one account, or of all (also the
/// posts that matched no account) when `account_id` is `None`.
pub async fn list_submissions(
    store: &dyn Store,
    account_id: Option<Uuid>,
    query: &SubmissionQuery,
) -> Result<SubmissionList, ServiceError> {
    let (filter, page) = query.parse(account_id)?;
    if let Some(account_id) = account_id {
        accounts::get(store, account_id).await?;
    }
    let (submissions, next) = fetch(page, |p| store.list_submissions(&filter, p), |s| s.id).await?;
    Ok(SubmissionList { submissions, next })
}
