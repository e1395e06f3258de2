//! Retention: how long an account keeps its submission log, its spam and its leads, and the
//! purge's small steps that enforce it. Each step is one short write transaction over at most
//! `limit` rows, so ingest never waits long behind a purge.
//!
//! Words used here and in `docs/data.md`: a submission row is **stripped** when its raw fields,
//! message, IP address and user agent are cleared (`stripped_at` set) while its outcome, error
//! code, ids and time stay; a row is **removed** when it is deleted (spam past its retention, and
//! leads past `lead_days`, which are erased like `DELETE /admin/v1/clients/{id}`).

use time::OffsetDateTime;
use uuid::Uuid;

use super::records::{from_json_text, to_json_text};
use super::sql::{Backend, Bind, SqlStore, execute, fetch_optional, sql};
use super::types::{DbId, DbTime};
use super::{Outcome, StoreError};
use crate::spam::SpamSettings;
use crate::spam::settings::DEFAULT_SPAM_RETENTION_DAYS;

/// Days a submission keeps its raw fields unless the account says otherwise.
pub const DEFAULT_SUBMISSION_LOG_DAYS: u32 = 90;

/// An account's retention settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Retention {
    /// Submissions older than this lose their raw fields (stripped).
    pub submission_log_days: u32,
    /// Spam submissions older than this are deleted (the spam settings' own value).
    pub spam_retention_days: u32,
    /// Leads older than this are erased; `null` keeps them forever.
    pub lead_days: Option<u32>,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            submission_log_days: DEFAULT_SUBMISSION_LOG_DAYS,
            spam_retention_days: DEFAULT_SPAM_RETENTION_DAYS,
            lead_days: None,
        }
    }
}

/// An account's retention row.
#[derive(sqlx::FromRow)]
struct RetentionRow {
    id: DbId,
    submission_log_days: i32,
    lead_days: Option<i32>,
    spam_settings: String,
}

impl RetentionRow {
    fn retention(&self) -> Retention {
        let spam: SpamSettings = match self.spam_settings.as_str() {
            "" => SpamSettings::default(),
            text => from_json_text(text),
        };
        Retention {
            submission_log_days: days(self.submission_log_days),
            spam_retention_days: spam.spam_retention_days,
            lead_days: self.lead_days.map(days),
        }
    }
}

fn days(stored: i32) -> u32 {
    u32::try_from(stored).unwrap_or(1).max(1)
}

fn stored(days: u32) -> i32 {
    i32::try_from(days).unwrap_or(i32::MAX)
}

const RETENTION_ROWS: &str = "SELECT id, submission_log_days, lead_days, \
    COALESCE(spam_settings, '') AS spam_settings FROM accounts";

/// The `SET` list that strips a submission, ending in `stripped_at = ` for the caller's time
/// parameter.
macro_rules! strip_set {
    () => {
        "fields = '[]', message = NULL, raw_message = NULL, remote_ip = NULL, user_agent = NULL, \
         stripped_at = "
    };
}
pub(super) use strip_set;

/// Retention settings and the purge's steps.
#[async_trait::async_trait]
pub trait RetentionStore: Send + Sync {
    /// The account's retention settings.
    async fn get_retention(&self, account_id: Uuid) -> Result<Retention, StoreError>;
    /// Replace the account's retention settings (the spam retention inside its spam settings).
    async fn set_retention(
        &self,
        account_id: Uuid,
        retention: &Retention,
    ) -> Result<(), StoreError>;
    /// Every account's retention settings.
    async fn list_retention(&self) -> Result<Vec<(Uuid, Retention)>, StoreError>;
    /// Strip at most `limit` submissions of the account (`None`: those of no account) made
    /// before `before`; how many.
    async fn strip_old_submissions(
        &self,
        account_id: Option<Uuid>,
        before: OffsetDateTime,
        limit: i64,
    ) -> Result<u64, StoreError>;
    /// Delete at most `limit` spam submissions (not released) of the account made before
    /// `before`; how many.
    async fn delete_old_spam(
        &self,
        account_id: Uuid,
        before: OffsetDateTime,
        limit: i64,
    ) -> Result<u64, StoreError>;
    /// At most `limit` clients of the account made before `before`.
    async fn old_clients(
        &self,
        account_id: Uuid,
        before: OffsetDateTime,
        limit: i64,
    ) -> Result<Vec<Uuid>, StoreError>;
}

#[async_trait::async_trait]
impl<DB: Backend> RetentionStore for SqlStore<DB> {
    async fn get_retention(&self, account_id: Uuid) -> Result<Retention, StoreError> {
        let query = sql_where_id::<DB>().param(DbId(account_id));
        let row: RetentionRow = self.read_one(query).await?;
        Ok(row.retention())
    }

    async fn set_retention(
        &self,
        account_id: Uuid,
        retention: &Retention,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let query = sql_where_id::<DB>().param(DbId(account_id));
        let row: RetentionRow = fetch_optional(query, DB::on_conn(&mut tx))
            .await?
            .ok_or(StoreError::NotFound)?;
        let mut spam: SpamSettings = match row.spam_settings.as_str() {
            "" => SpamSettings::default(),
            text => from_json_text(text),
        };
        spam.spam_retention_days = retention.spam_retention_days;
        let update = sql(
            "UPDATE accounts SET submission_log_days = $2, lead_days = $3, \
             spam_settings = $4 WHERE id = $1",
        )
        .param(DbId(account_id))
        .param(stored(retention.submission_log_days))
        .param(retention.lead_days.map(stored))
        .param(to_json_text(&spam));
        execute(update, DB::on_conn(&mut tx)).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn list_retention(&self) -> Result<Vec<(Uuid, Retention)>, StoreError> {
        let rows: Vec<RetentionRow> = self.read_all(sql(RETENTION_ROWS)).await?;
        Ok(rows.iter().map(|r| (r.id.0, r.retention())).collect())
    }

    async fn strip_old_submissions(
        &self,
        account_id: Option<Uuid>,
        before: OffsetDateTime,
        limit: i64,
    ) -> Result<u64, StoreError> {
        let query = match account_id {
            Some(account_id) => sql(STRIP_ACCOUNT).param(DbId(account_id)),
            None => sql(STRIP_NO_ACCOUNT),
        };
        let query = query
            .param(DbTime::now())
            .param(DbTime::from(before))
            .param(limit);
        let mut tx = self.begin_write().await?;
        let changed = execute(query, DB::on_conn(&mut tx)).await?;
        tx.commit().await?;
        Ok(changed)
    }

    async fn delete_old_spam(
        &self,
        account_id: Uuid,
        before: OffsetDateTime,
        limit: i64,
    ) -> Result<u64, StoreError> {
        let query = sql(
            "DELETE FROM submissions WHERE id IN (SELECT id FROM submissions \
             WHERE account_id = $1 AND outcome = $2 AND created_at < $3 \
             AND released_client_id IS NULL ORDER BY created_at LIMIT $4)",
        )
        .param(DbId(account_id))
        .param(Outcome::Spam.as_str())
        .param(DbTime::from(before))
        .param(limit);
        let mut tx = self.begin_write().await?;
        let removed = execute(query, DB::on_conn(&mut tx)).await?;
        tx.commit().await?;
        Ok(removed)
    }

    async fn old_clients(
        &self,
        account_id: Uuid,
        before: OffsetDateTime,
        limit: i64,
    ) -> Result<Vec<Uuid>, StoreError> {
        let query = sql(
            "SELECT id FROM clients WHERE account_id = $1 AND created_at < $2 \
             ORDER BY created_at LIMIT $3",
        )
        .param(DbId(account_id))
        .param(DbTime::from(before))
        .param(limit);
        let rows: Vec<super::records::IdRow> = self.read_all(query).await?;
        Ok(rows.into_iter().map(|r| r.id.0).collect())
    }
}

fn sql_where_id<DB: Backend>() -> super::sql::Query<DB> {
    sql(concat!(
        "SELECT id, submission_log_days, lead_days, COALESCE(spam_settings, '') AS spam_settings \
         FROM accounts",
        " WHERE id = $1"
    ))
}

/// `$1`: the account, `$2` now, `$3` the cut-off, `$4` the batch size.
const STRIP_ACCOUNT: &str = concat!(
    "UPDATE submissions SET ",
    strip_set!(),
    "$2 WHERE id IN (SELECT id FROM submissions WHERE account_id = $1 AND stripped_at IS NULL \
     AND created_at < $3 ORDER BY created_at LIMIT $4)"
);

/// The submissions of no account: `$1` now, `$2` the cut-off, `$3` the batch size.
const STRIP_NO_ACCOUNT: &str = concat!(
    "UPDATE submissions SET ",
    strip_set!(),
    "$1 WHERE id IN (SELECT id FROM submissions WHERE account_id IS NULL AND stripped_at IS NULL \
     AND created_at < $2 ORDER BY created_at LIMIT $3)"
);
