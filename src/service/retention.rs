//! Retention: reading and changing an account's retention settings, and the purge that enforces
//! them — run by the worker every `data.purge_interval_seconds` and on demand by
//! `POST /admin/v1/purge`. The purge works in batches of [`PURGE_BATCH`] rows, one short
//! transaction each, yielding between them so ingest keeps its pace.
//!
//! Per account, in this order: spam submissions older than `spam_retention_days` are deleted
//! (released ones excepted: they belong to a lead now); submissions older than
//! `submission_log_days` are stripped (raw fields, message, IP and user agent cleared; outcome,
//! code, ids and time kept); with `lead_days` set, leads older than that are erased like
//! `DELETE /admin/v1/clients/{id}`. Submissions that matched no account follow the default
//! `submission_log_days`.

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::ServiceError;
use super::input::{Problems, double_option};
use crate::fields::FieldProblem;
use crate::spam::settings::MAX_RETENTION_DAYS;
use crate::store::{DEFAULT_SUBMISSION_LOG_DAYS, Retention, Store};

/// Rows one purge transaction touches at most.
pub const PURGE_BATCH: i64 = 500;

/// `PATCH /admin/v1/accounts/{id}/retention`: a key left out stays.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RetentionPatch {
    /// Days a submission keeps its raw fields; a whole number, 1 to 36,500.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = u32, minimum = 1, maximum = 36500)]
    pub submission_log_days: Option<Option<u32>>,
    /// Days a spam submission is kept; a whole number, 1 to 36,500 (the same setting as in the
    /// spam settings).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = u32, minimum = 1, maximum = 36500)]
    pub spam_retention_days: Option<Option<u32>>,
    /// Days a lead is kept, 1 to 36,500; `null` keeps leads forever.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<u32>, minimum = 1, maximum = 36500)]
    pub lead_days: Option<Option<u32>>,
}

/// What a purge removed or stripped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PurgeCounts {
    /// Submissions stripped of their raw fields.
    pub submissions: u64,
    /// Spam submissions deleted.
    pub spam: u64,
    /// Leads erased.
    pub leads: u64,
}

/// The account's retention settings.
pub async fn get(store: &dyn Store, account_id: Uuid) -> Result<Retention, ServiceError> {
    store
        .get_retention(account_id)
        .await
        .map_err(|e| ServiceError::from_store(e, "account"))
}

/// A whole number of days, 1 to [`MAX_RETENTION_DAYS`].
fn whole_days(field: &str, value: Option<u32>) -> Result<u32, FieldProblem> {
    value
        .filter(|d| (1..=MAX_RETENTION_DAYS).contains(d))
        .ok_or_else(|| FieldProblem::new(field, "must be a whole number of days, 1 to 36500"))
}

/// Change the account's retention settings; every refused value is reported.
pub async fn update(
    store: &dyn Store,
    account_id: Uuid,
    patch: RetentionPatch,
) -> Result<Retention, ServiceError> {
    let mut next = get(store, account_id).await?;
    let mut problems = Problems::default();
    let mut days_of = |field: &str, days: Option<Option<u32>>| {
        days.and_then(|d| problems.check(whole_days(field, d)))
    };
    if let Some(days) = days_of("submission_log_days", patch.submission_log_days) {
        next.submission_log_days = days;
    }
    if let Some(days) = days_of("spam_retention_days", patch.spam_retention_days) {
        next.spam_retention_days = days;
    }
    if let Some(days) = patch.lead_days {
        next.lead_days = match days {
            None => None,
            Some(days) => problems.check(whole_days("lead_days", Some(days))),
        };
    }
    problems.finish()?;
    store
        .set_retention(account_id, &next)
        .await
        .map_err(|e| ServiceError::from_store(e, "account"))?;
    tracing::info!(%account_id, "retention settings changed");
    Ok(next)
}

/// The moment `days` before `now` (the epoch at the earliest: nothing stored is older).
fn cut_off(now: OffsetDateTime, days: u32) -> OffsetDateTime {
    now.checked_sub(Duration::days(i64::from(days)))
        .map_or(OffsetDateTime::UNIX_EPOCH, |t| {
            t.max(OffsetDateTime::UNIX_EPOCH)
        })
}

/// Run batches of `step` until one comes back short; the rows it touched in all.
async fn in_batches<F, Fut>(mut step: F) -> Result<u64, ServiceError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<u64, crate::store::StoreError>>,
{
    let mut total = 0;
    loop {
        let done = step().await?;
        total += done;
        if done < PURGE_BATCH as u64 {
            return Ok(total);
        }
        tokio::task::yield_now().await;
    }
}

/// Enforce every account's retention as of `now`: what it removed and stripped.
pub async fn purge(store: &dyn Store, now: OffsetDateTime) -> Result<PurgeCounts, ServiceError> {
    let mut counts = PurgeCounts::default();
    for (account_id, retention) in store.list_retention().await? {
        counts.spam += purge_account_spam(store, account_id, &retention, now).await?;
        let before = cut_off(now, retention.submission_log_days);
        counts.submissions +=
            in_batches(|| store.strip_old_submissions(Some(account_id), before, PURGE_BATCH))
                .await?;
        if let Some(days) = retention.lead_days {
            counts.leads += purge_account_leads(store, account_id, cut_off(now, days)).await?;
        }
    }
    let before = cut_off(now, DEFAULT_SUBMISSION_LOG_DAYS);
    counts.submissions +=
        in_batches(|| store.strip_old_submissions(None, before, PURGE_BATCH)).await?;
    if counts != PurgeCounts::default() {
        tracing::info!(
            submissions = counts.submissions,
            spam = counts.spam,
            leads = counts.leads,
            "purge done"
        );
    }
    Ok(counts)
}

async fn purge_account_spam(
    store: &dyn Store,
    account_id: Uuid,
    retention: &Retention,
    now: OffsetDateTime,
) -> Result<u64, ServiceError> {
    let before = cut_off(now, retention.spam_retention_days);
    in_batches(|| store.delete_old_spam(account_id, before, PURGE_BATCH)).await
}

/// Erase the account's leads made before `before`, one short transaction per lead.
async fn purge_account_leads(
    store: &dyn Store,
    account_id: Uuid,
    before: OffsetDateTime,
) -> Result<u64, ServiceError> {
    let mut total = 0;
    loop {
        let batch = store.old_clients(account_id, before, PURGE_BATCH).await?;
        for client_id in &batch {
            match store.erase_client(*client_id).await {
                Ok(_) | Err(crate::store::StoreError::NotFound) => total += 1,
                Err(e) => return Err(e.into()),
            }
        }
        if (batch.len() as i64) < PURGE_BATCH {
            return Ok(total);
        }
        tokio::task::yield_now().await;
    }
}

/// Purge every `interval` until `stop` turns true (the worker's loop); errors are logged.
pub async fn run_purges(
    store: std::sync::Arc<dyn Store>,
    interval: std::time::Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let start = tokio::time::Instant::now() + interval;
    let mut every = tokio::time::interval_at(start, interval);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        if *stop.borrow() {
            return;
        }
        tokio::select! {
            _ = every.tick() => {
                if let Err(e) = purge(store.as_ref(), OffsetDateTime::now_utc()).await {
                    tracing::warn!(error = %e, "purge failed; trying again next time");
                }
            }
            changed = stop.changed() => {
                if changed.is_err() {
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_off_beyond_the_calendar_is_the_epoch_not_a_panic() {
        let now = OffsetDateTime::now_utc();
        assert_eq!(cut_off(now, u32::MAX), OffsetDateTime::UNIX_EPOCH);
        assert_eq!(cut_off(now, 1), now - Duration::days(1));
    }

    #[test]
    fn more_than_a_hundred_years_names_the_field() {
        let problem = whole_days("lead_days", Some(MAX_RETENTION_DAYS + 1)).unwrap_err();
        assert_eq!(problem.field, "lead_days");
        assert!(whole_days("lead_days", Some(MAX_RETENTION_DAYS)).is_ok());
    }

    #[test]
    fn zero_days_names_the_field() {
        assert_eq!(
            whole_days("lead_days", Some(0)).map_err(|p| p.field),
            Err("lead_days".into())
        );
        assert_eq!(
            whole_days("lead_days", None).map_err(|p| p.field),
            Err("lead_days".into())
        );
        assert_eq!(whole_days("lead_days", Some(1)), Ok(1));
    }
}
