//! Spam: an account's spam settings, a lead source's own origin rules, and the two ways a lead
//! crosses the spam line after the fact — a kept spam post released into a client, and a client
//! marked spam (removed, its waiting jobs skipped, its submission kept as spam).

use uuid::Uuid;

use super::clients::insert_client;
use super::records::{KeyOwnerRow, SubmissionRow, TextRow, to_json_text};
use super::sql::{Backend, Bind, SqlStore, execute, fetch_optional, sql};
use super::submissions::{insert_client_details, insert_duplicate_notice};
use super::types::{DbId, DbTime};
use super::{JobState, KeyOwner, LeadToStore, Outcome, StoreError, Submission};
use crate::spam::{OriginPattern, SpamReason, SpamSettings};

/// What a release did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReleaseOutcome {
    /// The client was created, with its plan's jobs and notifications.
    Released { client_id: Uuid },
    /// The account already has a client with this email: Duplicate Record raised, nothing made.
    DuplicateEmail { existing_client_id: Uuid },
    /// The submission is not spam, or was released already.
    NotReleasable,
}

/// A lead source's own origin rules; `None` leaves the account's in force.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceOrigins {
    pub allowed_origins: Option<Vec<OriginPattern>>,
    pub require_origin: Option<bool>,
}

/// Spam settings and the release and mark-spam moves.
#[async_trait::async_trait]
pub trait SpamStore: Send + Sync {
    /// The account's spam settings (the defaults until first changed).
    async fn get_spam_settings(&self, account_id: Uuid) -> Result<SpamSettings, StoreError>;
    /// Replace the account's spam settings.
    async fn set_spam_settings(
        &self,
        account_id: Uuid,
        settings: &SpamSettings,
    ) -> Result<(), StoreError>;
    /// Replace a lead source's own origin rules.
    async fn set_source_origins(
        &self,
        account_id: Uuid,
        lead_source_id: Uuid,
        origins: &SourceOrigins,
    ) -> Result<(), StoreError>;
    /// One logged submission.
    async fn get_submission(&self, id: Uuid) -> Result<Submission, StoreError>;
    /// Who a post to the account (or one of its lead sources) would have reached.
    async fn owner_of(
        &self,
        account_id: Uuid,
        lead_source_id: Option<Uuid>,
    ) -> Result<KeyOwner, StoreError>;
    /// Turn the kept spam post `lead.submission` into the client `lead.client`.
    async fn release_spam(&self, lead: &LeadToStore) -> Result<ReleaseOutcome, StoreError>;
    /// Remove a client as spam; the id of its submission, now `spam` with reason `manual`.
    async fn mark_client_spam(&self, client_id: Uuid) -> Result<Uuid, StoreError>;
    /// Delete those of `ids` that are spam submissions of the account not yet released;
    /// answers how many went.
    async fn delete_spam_submissions(
        &self,
        account_id: Uuid,
        ids: &[Uuid],
    ) -> Result<u64, StoreError>;
}

const OWNER_OF: &str = "SELECT a.id AS account_id, a.name AS account_name, a.owner_email, \
    a.owner_phone, a.default_action_plan_id, a.hosted_pages, s.id AS lead_source_id, \
    s.name AS source_name, s.action_plan_id AS source_plan_id, a.spam_settings, \
    s.allowed_origins AS source_allowed_origins, s.require_origin AS source_require_origin, \
    a.lenient_phones, a.new_lead_notification_default, s.autoresponder AS source_autoresponder \
    FROM accounts a LEFT JOIN lead_sources s ON s.id = $2 AND s.account_id = a.id \
    WHERE a.id = $1";

#[async_trait::async_trait]
impl<DB: Backend> SpamStore for SqlStore<DB> {
    async fn get_spam_settings(&self, account_id: Uuid) -> Result<SpamSettings, StoreError> {
        let query = sql("SELECT COALESCE(spam_settings, '') AS text FROM accounts WHERE id = $1")
            .param(DbId(account_id));
        let row: TextRow = self.read_one(query).await?;
        Ok(match row.text.as_str() {
            "" => SpamSettings::default(),
            text => super::records::from_json_text(text),
        })
    }

    async fn set_spam_settings(
        &self,
        account_id: Uuid,
        settings: &SpamSettings,
    ) -> Result<(), StoreError> {
        let query = sql("UPDATE accounts SET spam_settings = $2 WHERE id = $1")
            .param(DbId(account_id))
            .param(to_json_text(settings));
        let mut tx = self.begin_write().await?;
        let changed = execute(query, DB::on_conn(&mut tx)).await?;
        tx.commit().await?;
        if changed == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn set_source_origins(
        &self,
        account_id: Uuid,
        lead_source_id: Uuid,
        origins: &SourceOrigins,
    ) -> Result<(), StoreError> {
        let query = sql(
            "UPDATE lead_sources SET allowed_origins = $3, require_origin = $4 \
             WHERE id = $2 AND account_id = $1",
        )
        .param(DbId(account_id))
        .param(DbId(lead_source_id))
        .param(origins.allowed_origins.as_ref().map(to_json_text))
        .param(origins.require_origin.map(i16::from));
        let mut tx = self.begin_write().await?;
        let changed = execute(query, DB::on_conn(&mut tx)).await?;
        tx.commit().await?;
        if changed == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn get_submission(&self, id: Uuid) -> Result<Submission, StoreError> {
        let query = sql("SELECT * FROM submissions WHERE id = $1").param(DbId(id));
        let row: SubmissionRow = self.read_one(query).await?;
        Ok(row.into())
    }

    async fn owner_of(
        &self,
        account_id: Uuid,
        lead_source_id: Option<Uuid>,
    ) -> Result<KeyOwner, StoreError> {
        let query = sql(OWNER_OF)
            .param(DbId(account_id))
            .param(lead_source_id.map(DbId));
        let row: KeyOwnerRow = self.read_one(query).await?;
        Ok(row.into())
    }

    async fn release_spam(&self, lead: &LeadToStore) -> Result<ReleaseOutcome, StoreError> {
        let now = DbTime::now();
        let client_id = super::new_id();
        let submission_id = lead.submission.id;
        let mut tx = self.begin_write().await?;
        // Claim the submission first: a second release of it finds nothing to claim.
        let claim = sql(
            "UPDATE submissions SET released_client_id = $2, released_at = $3, \
             release_error_code = NULL WHERE id = $1 AND outcome = $4 \
             AND released_client_id IS NULL",
        )
        .param(DbId(submission_id))
        .param(DbId(client_id))
        .param(now)
        .param(Outcome::Spam.as_str());
        if execute(claim, DB::on_conn(&mut tx)).await? == 0 {
            tx.rollback().await?;
            return Ok(ReleaseOutcome::NotReleasable);
        }
        if !insert_client::<DB>(&mut tx, client_id, lead, now).await? {
            tx.rollback().await?;
            let mut tx = self.begin_write().await?;
            let existing = insert_duplicate_notice::<DB>(&mut tx, lead).await?;
            let refused = sql("UPDATE submissions SET release_error_code = $2 WHERE id = $1")
                .param(DbId(submission_id))
                .param("ct103");
            execute(refused, DB::on_conn(&mut tx)).await?;
            tx.commit().await?;
            return Ok(ReleaseOutcome::DuplicateEmail {
                existing_client_id: existing,
            });
        }
        insert_client_details::<DB>(&mut tx, client_id, lead, now).await?;
        tx.commit().await?;
        Ok(ReleaseOutcome::Released { client_id })
    }

    async fn mark_client_spam(&self, client_id: Uuid) -> Result<Uuid, StoreError> {
        let now = DbTime::now();
        let mut tx = self.begin_write().await?;
        let query =
            sql("SELECT submission_id AS id FROM clients WHERE id = $1").param(DbId(client_id));
        let submission: super::records::IdRow = fetch_optional(query, DB::on_conn(&mut tx))
            .await?
            .ok_or(StoreError::NotFound)?;
        // Jobs outlive the client (their history stays readable); the waiting ones never run.
        let skip = sql(
            "UPDATE jobs SET state = $2, last_error = $3, updated_at = $4 \
             WHERE client_id = $1 AND state IN ($5, $6)",
        )
        .param(DbId(client_id))
        .param(JobState::Skipped)
        .param("marked spam")
        .param(now)
        .param(JobState::Queued)
        .param(JobState::Retrying);
        execute(skip, DB::on_conn(&mut tx)).await?;
        let detach =
            sql("UPDATE jobs SET client_id = NULL WHERE client_id = $1").param(DbId(client_id));
        execute(detach, DB::on_conn(&mut tx)).await?;
        // Tags, custom values and notes go with the client (ON DELETE CASCADE).
        let remove = sql("DELETE FROM clients WHERE id = $1").param(DbId(client_id));
        execute(remove, DB::on_conn(&mut tx)).await?;
        let reasons = to_json_text(&[SpamReason::Manual]);
        let keep = sql("UPDATE submissions SET outcome = $2, spam_reasons = $3 \
             WHERE id = $1 AND outcome <> $2")
        .param(submission.id)
        .param(Outcome::Spam.as_str())
        .param(reasons);
        execute(keep, DB::on_conn(&mut tx)).await?;
        tx.commit().await?;
        Ok(submission.id.0)
    }

    async fn delete_spam_submissions(
        &self,
        account_id: Uuid,
        ids: &[Uuid],
    ) -> Result<u64, StoreError> {
        let mut tx = self.begin_write().await?;
        let mut deleted = 0;
        for id in ids {
            let query = sql("DELETE FROM submissions WHERE id = $1 AND account_id = $2 \
                 AND outcome = $3 AND released_client_id IS NULL")
            .param(DbId(*id))
            .param(DbId(account_id))
            .param(Outcome::Spam.as_str());
            deleted += execute(query, DB::on_conn(&mut tx)).await?;
        }
        tx.commit().await?;
        Ok(deleted)
    }
}
