//! What the console keeps besides the leads: the account a session is looking at, when each person
//! last opened each account's inbox, and the unread count the navigation shows.

use time::OffsetDateTime;
use uuid::Uuid;

use super::StoreError;
use super::sql::{Backend, Bind, SqlStore, sql};
use super::types::{DbId, DbTime};

/// The console's own state.
#[async_trait::async_trait]
pub trait ConsoleStore: Send + Sync {
    /// The account the session last chose, if any.
    async fn session_account(&self, id_hash: &str) -> Result<Option<Uuid>, StoreError>;
    /// Keep `account_id` as the session's current account.
    async fn set_session_account(&self, id_hash: &str, account_id: Uuid) -> Result<(), StoreError>;
    /// How many of the account's in-app notifications are unread.
    async fn count_unread_notifications(&self, account_id: Uuid) -> Result<i64, StoreError>;
    /// When the user last opened the account's inbox, if ever.
    async fn last_inbox_visit(
        &self,
        user_id: Uuid,
        account_id: Uuid,
    ) -> Result<Option<OffsetDateTime>, StoreError>;
    /// Remember that the user opened the account's inbox at `at`.
    async fn record_inbox_visit(
        &self,
        user_id: Uuid,
        account_id: Uuid,
        at: OffsetDateTime,
    ) -> Result<(), StoreError>;
}

/// A nullable id column.
#[derive(sqlx::FromRow)]
struct MaybeIdRow {
    id: Option<DbId>,
}

/// A count.
#[derive(sqlx::FromRow)]
struct CountRow {
    n: i64,
}

/// A moment.
#[derive(sqlx::FromRow)]
struct MomentRow {
    at: DbTime,
}

#[async_trait::async_trait]
impl<DB: Backend> ConsoleStore for SqlStore<DB> {
    async fn session_account(&self, id_hash: &str) -> Result<Option<Uuid>, StoreError> {
        let query = sql("SELECT account_id AS id FROM sessions WHERE id_hash = $1")
            .param(id_hash.to_string());
        let row: Option<MaybeIdRow> = self.read_optional(query).await?;
        Ok(row.and_then(|r| r.id).map(|id| id.0))
    }

    async fn set_session_account(&self, id_hash: &str, account_id: Uuid) -> Result<(), StoreError> {
        let query = sql("UPDATE sessions SET account_id = $2 WHERE id_hash = $1")
            .param(id_hash.to_string())
            .param(DbId(account_id));
        self.write(query).await?;
        Ok(())
    }

    async fn count_unread_notifications(&self, account_id: Uuid) -> Result<i64, StoreError> {
        let query =
            sql("SELECT COUNT(*) AS n FROM notifications WHERE account_id = $1 AND read = 0")
                .param(DbId(account_id));
        let row: CountRow = self.read_one(query).await?;
        Ok(row.n)
    }

    async fn last_inbox_visit(
        &self,
        user_id: Uuid,
        account_id: Uuid,
    ) -> Result<Option<OffsetDateTime>, StoreError> {
        let query = sql(
            "SELECT visited_at AS at FROM console_visits WHERE user_id = $1 AND account_id = $2",
        )
        .param(DbId(user_id))
        .param(DbId(account_id));
        let row: Option<MomentRow> = self.read_optional(query).await?;
        Ok(row.map(|r| r.at.0))
    }

    async fn record_inbox_visit(
        &self,
        user_id: Uuid,
        account_id: Uuid,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let query = sql(
            "INSERT INTO console_visits (user_id, account_id, visited_at) VALUES ($1, $2, $3) \
             ON CONFLICT (user_id, account_id) DO UPDATE SET visited_at = excluded.visited_at",
        )
        .param(DbId(user_id))
        .param(DbId(account_id))
        .param(DbTime::from(at));
        self.write(query).await?;
        Ok(())
    }
}
