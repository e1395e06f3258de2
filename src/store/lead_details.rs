//! What a person does to one lead on its console page, and what the page shows besides the
//! client: notes added, tags added and removed, and the submission the lead came from (with the
//! request id of that post).

use time::OffsetDateTime;
use uuid::Uuid;

use super::records::SubmissionRow;
use super::sql::{Backend, Bind, SqlStore, sql};
use super::types::{DbId, DbTime};
use super::{StoreError, Submission, new_id};

/// The post a lead came from.
#[derive(Debug, Clone)]
pub struct LeadOrigin {
    pub submission: Submission,
    /// The `x-request-id` the post's answer carried.
    pub request_id: Option<String>,
}

/// Notes, tags and the origin of one lead.
#[async_trait::async_trait]
pub trait LeadDetailStore: Send + Sync {
    /// Add a note to one of the account's clients; `NotFound` if it is not one.
    async fn add_note(
        &self,
        account_id: Uuid,
        client_id: Uuid,
        body: &str,
        now: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// Tag one of the account's clients (the account's tag of that name in any case, created when
    /// missing; nothing changes if the client has it); `NotFound` if it is not one.
    async fn add_tag(
        &self,
        account_id: Uuid,
        client_id: Uuid,
        name: &str,
        now: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// Take a tag (any case) off one of the account's clients; whether it had it.
    async fn remove_tag(
        &self,
        account_id: Uuid,
        client_id: Uuid,
        name: &str,
    ) -> Result<bool, StoreError>;
    /// The submission that made one of the account's clients, if it is still kept.
    async fn lead_origin(
        &self,
        account_id: Uuid,
        client_id: Uuid,
    ) -> Result<Option<LeadOrigin>, StoreError>;
}

/// A submission with its request id.
#[derive(sqlx::FromRow)]
struct OriginRow {
    #[sqlx(flatten)]
    submission: SubmissionRow,
    request_id: Option<String>,
}

impl<DB: Backend> SqlStore<DB> {
    /// `NotFound` unless the client is one of the account's.
    async fn own_client(&self, account_id: Uuid, client_id: Uuid) -> Result<(), StoreError> {
        let query = sql("SELECT id FROM clients WHERE id = $1 AND account_id = $2")
            .param(DbId(client_id))
            .param(DbId(account_id));
        let found: Option<super::records::IdRow> = self.read_optional(query).await?;
        found.map(|_| ()).ok_or(StoreError::NotFound)
    }
}

#[async_trait::async_trait]
impl<DB: Backend> LeadDetailStore for SqlStore<DB> {
    async fn add_note(
        &self,
        account_id: Uuid,
        client_id: Uuid,
        body: &str,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.own_client(account_id, client_id).await?;
        let query =
            sql("INSERT INTO notes (id, client_id, body, created_at) VALUES ($1, $2, $3, $4)")
                .param(DbId(new_id()))
                .param(DbId(client_id))
                .param(body.to_string())
                .param(DbTime::from(now));
        self.write(query).await?;
        Ok(())
    }

    async fn add_tag(
        &self,
        account_id: Uuid,
        client_id: Uuid,
        name: &str,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.own_client(account_id, client_id).await?;
        let key = name.to_lowercase();
        let create = sql(
            "INSERT INTO tags (id, account_id, name, name_key, created_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (account_id, name_key) DO NOTHING",
        )
        .param(DbId(new_id()))
        .param(DbId(account_id))
        .param(name.to_string())
        .param(key.clone())
        .param(DbTime::from(now));
        self.write(create).await?;
        let link = sql("INSERT INTO client_tags (client_id, tag_id, position) \
             SELECT $1, t.id, (SELECT COALESCE(MAX(position), -1) + 1 FROM client_tags \
             WHERE client_id = $1) FROM tags t WHERE t.account_id = $2 AND t.name_key = $3 \
             ON CONFLICT (client_id, tag_id) DO NOTHING")
        .param(DbId(client_id))
        .param(DbId(account_id))
        .param(key);
        self.write(link).await?;
        Ok(())
    }

    async fn remove_tag(
        &self,
        account_id: Uuid,
        client_id: Uuid,
        name: &str,
    ) -> Result<bool, StoreError> {
        self.own_client(account_id, client_id).await?;
        let query = sql(
            "DELETE FROM client_tags WHERE client_id = $1 AND tag_id IN \
             (SELECT id FROM tags WHERE account_id = $2 AND name_key = $3)",
        )
        .param(DbId(client_id))
        .param(DbId(account_id))
        .param(name.trim().to_lowercase());
        Ok(self.write(query).await? > 0)
    }

    async fn lead_origin(
        &self,
        account_id: Uuid,
        client_id: Uuid,
    ) -> Result<Option<LeadOrigin>, StoreError> {
        let query = sql(
            "SELECT s.* FROM submissions s JOIN clients c ON c.submission_id = s.id \
             WHERE c.id = $1 AND c.account_id = $2",
        )
        .param(DbId(client_id))
        .param(DbId(account_id));
        let row: Option<OriginRow> = self.read_optional(query).await?;
        Ok(row.map(|r| LeadOrigin {
            submission: r.submission.into(),
            request_id: r.request_id,
        }))
    }
}
