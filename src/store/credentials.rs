//! Credentials: account API tokens and console sessions, both kept only as SHA-256 hex digests of
//! the secret, and the look-up of which account an object belongs to (for access checks).

use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

use super::records::{IdRow, into_all};
use super::sql::{Backend, Bind, SqlStore, conflict_or, sql, sql_built};
use super::types::{DbId, DbTime};
use super::{StoreError, new_id};
use crate::people::TokenScope;

/// An account API token as stored (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ApiTokenInfo {
    pub id: Uuid,
    pub account_id: Uuid,
    pub name: String,
    pub scope: TokenScope,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_used_at: Option<OffsetDateTime>,
    /// When it was revoked (revoked tokens are not listed).
    #[serde(skip)]
    pub revoked_at: Option<OffsetDateTime>,
}

impl ApiTokenInfo {
    /// Whether it still opens the admin API at `now`.
    pub fn is_live(&self, now: OffsetDateTime) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|end| now < end)
    }
}

/// A new account API token, by the digest of its secret.
#[derive(Debug, Clone)]
pub struct NewApiToken {
    pub account_id: Uuid,
    pub name: String,
    pub scope: TokenScope,
    pub token_hash: String,
    pub expires_at: Option<OffsetDateTime>,
}

/// A console session as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    pub user_id: Uuid,
    /// The session's CSRF token (not a secret by itself: without the cookie it opens nothing).
    pub csrf_token: String,
    pub created_at: OffsetDateTime,
    pub last_seen_at: OffsetDateTime,
}

/// Objects reached by their own id on the admin API, whose account is looked up for access checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnedObject {
    Client,
    Job,
    Submission,
    Webhook,
    Notification,
}

impl OwnedObject {
    /// The statement that reads the object's account as `id`.
    fn account_sql(self) -> &'static str {
        match self {
            OwnedObject::Client => "SELECT account_id AS id FROM clients WHERE id = $1",
            OwnedObject::Job => "SELECT account_id AS id FROM jobs WHERE id = $1",
            OwnedObject::Submission => {
                "SELECT account_id AS id FROM submissions WHERE id = $1 AND account_id IS NOT NULL"
            }
            OwnedObject::Webhook => "SELECT account_id AS id FROM webhooks WHERE id = $1",
            OwnedObject::Notification => "SELECT account_id AS id FROM notifications WHERE id = $1",
        }
    }
}

/// API tokens, sessions, and whose an object is.
#[async_trait::async_trait]
pub trait CredentialStore: Send + Sync {
    async fn create_api_token(&self, new: &NewApiToken) -> Result<ApiTokenInfo, StoreError>;
    /// The account's tokens that are not revoked, newest first.
    async fn list_api_tokens(&self, account_id: Uuid) -> Result<Vec<ApiTokenInfo>, StoreError>;
    /// Revoke one of the account's tokens at `now`; `NotFound` if it has no such live token.
    async fn revoke_api_token(
        &self,
        account_id: Uuid,
        id: Uuid,
        now: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// The token with this digest, revoked or not.
    async fn find_api_token(&self, token_hash: &str) -> Result<Option<ApiTokenInfo>, StoreError>;
    /// Record a use of the token.
    async fn touch_api_token(&self, id: Uuid, now: OffsetDateTime) -> Result<(), StoreError>;

    /// Start a session for the user.
    async fn create_session(
        &self,
        id_hash: &str,
        user_id: Uuid,
        csrf_token: &str,
        now: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// The session with this digest, if any (live or not).
    async fn find_session(&self, id_hash: &str) -> Result<Option<SessionInfo>, StoreError>;
    /// Record a use of the session.
    async fn touch_session(&self, id_hash: &str, now: OffsetDateTime) -> Result<(), StoreError>;
    /// End one session.
    async fn delete_session(&self, id_hash: &str) -> Result<(), StoreError>;

    /// The account an object belongs to, if the object exists.
    async fn account_of(&self, object: OwnedObject, id: Uuid) -> Result<Option<Uuid>, StoreError>;
}

const TOKEN_COLUMNS: &str =
    "id, account_id, name, scope, created_at, expires_at, last_used_at, revoked_at";

/// An API token row.
#[derive(sqlx::FromRow)]
struct ApiTokenRow {
    id: DbId,
    account_id: DbId,
    name: String,
    scope: String,
    created_at: DbTime,
    expires_at: Option<DbTime>,
    last_used_at: Option<DbTime>,
    revoked_at: Option<DbTime>,
}

impl From<ApiTokenRow> for ApiTokenInfo {
    fn from(r: ApiTokenRow) -> Self {
        ApiTokenInfo {
            id: r.id.0,
            account_id: r.account_id.0,
            name: r.name,
            // An unreadable scope reads as the least one.
            scope: TokenScope::parse(&r.scope).unwrap_or(TokenScope::Read),
            created_at: r.created_at.0,
            expires_at: r.expires_at.map(|t| t.0),
            last_used_at: r.last_used_at.map(|t| t.0),
            revoked_at: r.revoked_at.map(|t| t.0),
        }
    }
}

/// A session row.
#[derive(sqlx::FromRow)]
struct SessionRow {
    user_id: DbId,
    csrf_token: String,
    created_at: DbTime,
    last_seen_at: DbTime,
}

impl From<SessionRow> for SessionInfo {
    fn from(r: SessionRow) -> Self {
        SessionInfo {
            user_id: r.user_id.0,
            csrf_token: r.csrf_token,
            created_at: r.created_at.0,
            last_seen_at: r.last_seen_at.0,
        }
    }
}

#[async_trait::async_trait]
impl<DB: Backend> CredentialStore for SqlStore<DB> {
    async fn create_api_token(&self, new: &NewApiToken) -> Result<ApiTokenInfo, StoreError> {
        let id = new_id();
        let now = DbTime::now();
        let expires_at = new.expires_at.map(DbTime::from);
        let insert = sql(
            "INSERT INTO api_tokens (id, account_id, name, scope, token_hash, \
             created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .param(DbId(id))
        .param(DbId(new.account_id))
        .param(new.name.clone())
        .param(new.scope.as_str())
        .param(new.token_hash.clone())
        .param(now)
        .param(expires_at);
        self.write(insert)
            .await
            .map_err(|e| conflict_or(e, "token"))?;
        Ok(ApiTokenInfo {
            id,
            account_id: new.account_id,
            name: new.name.clone(),
            scope: new.scope,
            created_at: now.0,
            expires_at: expires_at.map(|t| t.0),
            last_used_at: None,
            revoked_at: None,
        })
    }

    async fn list_api_tokens(&self, account_id: Uuid) -> Result<Vec<ApiTokenInfo>, StoreError> {
        let text = format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE account_id = $1 \
             AND revoked_at IS NULL ORDER BY id DESC"
        );
        let query = sql_built(&text).param(DbId(account_id));
        Ok(into_all::<ApiTokenRow, _>(self.read_all(query).await?))
    }

    async fn revoke_api_token(
        &self,
        account_id: Uuid,
        id: Uuid,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let query = sql("UPDATE api_tokens SET revoked_at = $3 WHERE id = $1 \
             AND account_id = $2 AND revoked_at IS NULL")
        .param(DbId(id))
        .param(DbId(account_id))
        .param(DbTime::from(now));
        if self.write(query).await? == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn find_api_token(&self, token_hash: &str) -> Result<Option<ApiTokenInfo>, StoreError> {
        let text = format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE token_hash = $1");
        let row: Option<ApiTokenRow> = self
            .read_optional(sql_built(&text).param(token_hash.to_string()))
            .await?;
        Ok(row.map(Into::into))
    }

    async fn touch_api_token(&self, id: Uuid, now: OffsetDateTime) -> Result<(), StoreError> {
        let query = sql("UPDATE api_tokens SET last_used_at = $2 WHERE id = $1")
            .param(DbId(id))
            .param(DbTime::from(now));
        self.write(query).await?;
        Ok(())
    }

    async fn create_session(
        &self,
        id_hash: &str,
        user_id: Uuid,
        csrf_token: &str,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let now = DbTime::from(now);
        let insert = sql(
            "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, \
             last_seen_at) VALUES ($1, $2, $3, $4, $4)",
        )
        .param(id_hash.to_string())
        .param(DbId(user_id))
        .param(csrf_token.to_string())
        .param(now);
        self.write(insert).await?;
        Ok(())
    }

    async fn find_session(&self, id_hash: &str) -> Result<Option<SessionInfo>, StoreError> {
        let query = sql(
            "SELECT user_id, csrf_token, created_at, last_seen_at FROM sessions \
             WHERE id_hash = $1",
        )
        .param(id_hash.to_string());
        let row: Option<SessionRow> = self.read_optional(query).await?;
        Ok(row.map(Into::into))
    }

    async fn touch_session(&self, id_hash: &str, now: OffsetDateTime) -> Result<(), StoreError> {
        let query = sql("UPDATE sessions SET last_seen_at = $2 WHERE id_hash = $1")
            .param(id_hash.to_string())
            .param(DbTime::from(now));
        self.write(query).await?;
        Ok(())
    }

    async fn delete_session(&self, id_hash: &str) -> Result<(), StoreError> {
        let query = sql("DELETE FROM sessions WHERE id_hash = $1").param(id_hash.to_string());
        self.write(query).await?;
        Ok(())
    }

    async fn account_of(&self, object: OwnedObject, id: Uuid) -> Result<Option<Uuid>, StoreError> {
        let row: Option<IdRow> = self
            .read_optional(sql(object.account_sql()).param(DbId(id)))
            .await?;
        Ok(row.map(|r| r.id.0))
    }
}
