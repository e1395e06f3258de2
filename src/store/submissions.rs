//! Intake: storing a valid lead (client, tags, custom values, note, jobs,
//! notifications and the submission log row) in one transaction, logging a
//! refused post, and reading the submission log back.
//!
//! A lead is written by one statement on PostgreSQL (lead_statement.rs) and in a
//! group commit on SQLite (sqlite_lead.rs); the SQL both SQLite paths run, and the
//! notices and messages every path writes, are defined here once. The generic
//! helpers below write a new client's rows for spam release and reparse.

use uuid::Uuid;

use super::records::{IdRow, SubmissionRow, into_all, to_json_text};
use super::sql::{Backend, Bind, Conn, SqlStore, execute, fetch_optional, sql};
use super::types::{DbId, DbTime};
use super::{
    AcceptOutcome, JobKind, JobState, LeadToStore, Page, StoreError, Submission, SubmissionFilter,
    new_id,
};

/// What intake stores, and the log of every post.
#[async_trait::async_trait]
pub trait IntakeStore: Send + Sync {
    /// Store a valid lead and everything that follows from it in one transaction.
    async fn accept_lead(&self, lead: &LeadToStore) -> Result<AcceptOutcome, StoreError>;
    /// Log a refused post.
    async fn record_rejection(&self, submission: &Submission) -> Result<(), StoreError>;
    /// Log a post refused by the per-key rate limit: one row per key owner and minute
    /// (`submission`'s owner and time), whose message counts the posts refused.
    async fn record_rate_limited(&self, submission: &Submission) -> Result<(), StoreError>;
    /// Logged posts, newest first.
    async fn list_submissions(
        &self,
        filter: &SubmissionFilter,
        page: Page,
    ) -> Result<Vec<Submission>, StoreError>;
}

/// One row per key owner and minute for posts refused by the per-key rate limit;
/// each further one adds to its count. `$1`–`$6`: id, account, lead source, fields,
/// time, summary key.
const RECORD_RATE_LIMITED: &str = "INSERT INTO submissions (id, account_id, \
     lead_source_id, outcome, error_code, message, fields, created_at, summary_key) \
     VALUES ($1, $2, $3, 'rejected', 'ct106', 'Too many requests: 1 post refused in this minute', \
     $4, $5, $6) \
     ON CONFLICT (summary_key) DO UPDATE SET repeats = submissions.repeats + 1, \
     message = 'Too many requests: ' || (submissions.repeats + 1) || ' posts refused in this minute'";

/// A job queued by a new lead.
pub(super) struct NewJob<'a> {
    pub kind: JobKind,
    pub webhook_id: Option<Uuid>,
    pub state: JobState,
    pub due_at: DbTime,
    pub last_error: Option<&'a str>,
}

impl NewJob<'static> {
    /// An action-plan step's webhook, due `delay_seconds` after `now`.
    pub(super) fn plan_step(webhook_id: Uuid, delay_seconds: i64, now: DbTime) -> Self {
        NewJob {
            kind: JobKind::Webhook,
            webhook_id: Some(webhook_id),
            state: JobState::Queued,
            due_at: DbTime::from(now.0 + time::Duration::seconds(delay_seconds)),
            last_error: None,
        }
    }

    /// The autoreply to a new lead: queued when its address was `fresh` (no autoreply went
    /// there within the window), else skipped with the reason.
    pub(super) fn autoreply(fresh: bool, now: DbTime) -> Self {
        let (state, last_error) = if fresh {
            (JobState::Queued, None)
        } else {
            (JobState::Skipped, Some(super::AUTOREPLY_SUPPRESSED))
        };
        NewJob {
            kind: JobKind::Autoreply,
            webhook_id: None,
            state,
            due_at: now,
            last_error,
        }
    }
}

impl<'a> NewJob<'a> {
    /// An owner notification: queued when the owner has the address, else skipped.
    fn owner_notice(
        kind: JobKind,
        address: &Option<String>,
        due_at: DbTime,
        missing: &'a str,
    ) -> Self {
        let (state, last_error) = match address {
            Some(_) => (JobState::Queued, None),
            None => (JobState::Skipped, Some(missing)),
        };
        NewJob {
            kind,
            webhook_id: None,
            state,
            due_at,
            last_error,
        }
    }
}

/// A post's log row. `$1`–`$16`: the columns in order.
pub(super) const INSERT_SUBMISSION: &str = "INSERT INTO submissions (id, account_id, lead_source_id, \
    client_id, outcome, error_code, message, replay_of, fields, remote_ip, user_agent, created_at, \
    spam_reasons, channel, raw_message, request_id) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)";

/// An in-app notification. `$1`–`$6`: id, account, kind, client, message, time.
pub(super) const INSERT_NOTIFICATION: &str = "INSERT INTO notifications (id, account_id, kind, \
    client_id, message, read, created_at) VALUES ($1, $2, $3, $4, $5, 0, $6)";

/// A job of a new lead. `$1`–`$11`: id, account, client, kind, webhook, state, due,
/// message id, last error, time, request id.
pub(super) const INSERT_JOB: &str = "INSERT INTO jobs (id, account_id, client_id, kind, \
    webhook_id, state, due_at, attempts, message_id, last_error, created_at, updated_at, \
    request_id) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $9, $10, $10, $11)";

/// Link a client to the account's tag by its key. `$1`–`$4`: client, account, position, key.
pub(super) const LINK_TAG: &str = "INSERT INTO client_tags (client_id, tag_id, position) \
    SELECT $1, id, $3 FROM tags WHERE account_id = $2 AND name_key = $4";

/// A tag of the account, unless it exists. `$1`–`$5`: id, account, name, key, time.
pub(super) const CREATE_TAG: &str = "INSERT INTO tags (id, account_id, name, name_key, \
    created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (account_id, name_key) DO NOTHING";

/// A client's value of the account's custom field by name. `$1`–`$4`: client, account,
/// value, name.
pub(super) const LINK_CUSTOM_VALUE: &str = "INSERT INTO client_custom_values (client_id, \
    field_id, value) SELECT $1, id, $3 FROM custom_fields WHERE account_id = $2 AND name = $4";

/// A custom field of the account, unless it exists. `$1`–`$4`: id, account, name, time.
pub(super) const CREATE_CUSTOM_FIELD: &str = "INSERT INTO custom_fields (id, account_id, name, \
    created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (account_id, name) DO NOTHING";

/// A client's note. `$1`–`$4`: id, client, body, time.
pub(super) const INSERT_NOTE: &str =
    "INSERT INTO notes (id, client_id, body, created_at) VALUES ($1, $2, $3, $4)";

/// The steps of an action plan, in order. `$1`: the plan.
pub(super) const PLAN_STEPS: &str = "SELECT action_plan_id, webhook_id, delay_seconds \
    FROM action_plan_steps WHERE action_plan_id = $1 ORDER BY position";

/// The account's client with an email key. `$1`, `$2`: account, email key.
pub(super) const EXISTING_CLIENT: &str =
    "SELECT id FROM clients WHERE account_id = $1 AND email_key = $2";

async fn insert_submission<DB: Backend>(
    tx: &mut Conn<DB>,
    s: &Submission,
) -> Result<(), StoreError> {
    let query = sql(INSERT_SUBMISSION)
        .param(DbId(s.id))
        .param(s.account_id.map(DbId))
        .param(s.lead_source_id.map(DbId))
        .param(s.client_id.map(DbId))
        .param(s.outcome.as_str())
        .param(s.error_code.clone())
        .param(s.message.clone())
        .param(s.replay_of.map(DbId))
        .param(sqlx::types::Json(s.fields.clone()))
        .param(s.remote_ip.clone())
        .param(s.user_agent.clone())
        .param(DbTime::from(s.created_at))
        .param((!s.spam_reasons.is_empty()).then(|| to_json_text(&s.spam_reasons)))
        .param(s.channel.as_str())
        .param(s.raw_message.clone())
        .param(s.request_id.clone());
    execute(query, DB::on_conn(tx)).await?;
    Ok(())
}

async fn insert_notification<DB: Backend>(
    tx: &mut Conn<DB>,
    account_id: Uuid,
    kind: &'static str,
    client_id: Uuid,
    message: String,
    now: DbTime,
) -> Result<(), StoreError> {
    let query = sql(INSERT_NOTIFICATION)
        .param(DbId(new_id()))
        .param(DbId(account_id))
        .param(kind)
        .param(DbId(client_id))
        .param(message)
        .param(now);
    execute(query, DB::on_conn(tx)).await?;
    Ok(())
}

async fn insert_job<DB: Backend>(
    tx: &mut Conn<DB>,
    lead: &LeadToStore,
    client_id: Uuid,
    job: NewJob<'_>,
    now: DbTime,
) -> Result<(), StoreError> {
    let query = sql(INSERT_JOB)
        .param(DbId(new_id()))
        .param(DbId(lead.owner.account_id))
        .param(DbId(client_id))
        .param(job.kind)
        .param(job.webhook_id.map(DbId))
        .param(job.state)
        .param(job.due_at)
        .param(super::sql::message_id())
        .param(job.last_error.map(str::to_string))
        .param(now)
        .param(lead.request_id.clone());
    execute(query, DB::on_conn(tx)).await?;
    Ok(())
}

/// Link a client to the account's tag or custom field named `key`, creating it
/// when missing. `link` is one statement when the tag or field exists (the
/// common case); a new one is created first, then linked the same way.
async fn link_or_create<DB: Backend>(
    tx: &mut Conn<DB>,
    link: impl Fn() -> super::sql::Query<DB>,
    create: super::sql::Query<DB>,
) -> Result<(), StoreError> {
    if execute(link(), DB::on_conn(tx)).await? == 0 {
        // ON CONFLICT DO NOTHING: a concurrent post may have created it since.
        execute(create, DB::on_conn(tx)).await?;
        execute(link(), DB::on_conn(tx)).await?;
    }
    Ok(())
}

/// The in-app New Lead notification's text, when the lead asks for one.
pub(super) fn new_lead_message(lead: &LeadToStore) -> Option<String> {
    let c = &lead.client;
    if !c.fields.new_lead_notification().in_app() {
        return None;
    }
    let source = lead
        .owner
        .lead_source
        .as_ref()
        .map(|s| s.name.as_str())
        .unwrap_or("web form");
    Some(format!("New lead: {} ({source})", c.display_name()))
}

/// The owner's email and text notices of a new lead (none unless the lead asks for them): queued
/// when the account has the address, else skipped with the reason.
pub(super) fn owner_notice_jobs(lead: &LeadToStore, now: DbTime) -> Vec<NewJob<'static>> {
    if !lead.client.fields.new_lead_notification().email_and_text() {
        return Vec::new();
    }
    let owner = &lead.owner;
    vec![
        NewJob::owner_notice(
            JobKind::Email,
            &owner.owner_email,
            now,
            "the account has no owner email",
        ),
        NewJob::owner_notice(
            JobKind::Sms,
            &owner.owner_phone,
            now,
            "the account has no owner phone",
        ),
    ]
}

/// The Duplicate Record notification's text for a lead whose email an existing client has.
pub(super) fn duplicate_message(lead: &LeadToStore) -> String {
    let email = lead.client.fields.email().unwrap_or_default();
    format!(
        "Duplicate Record: {} posted the email {email} of an existing client",
        lead.client.display_name()
    )
}

/// Everything that follows from a new client: tags, custom values, note,
/// action-plan jobs, notifications.
pub(super) async fn insert_client_details<DB: Backend>(
    tx: &mut Conn<DB>,
    client_id: Uuid,
    lead: &LeadToStore,
    now: DbTime,
) -> Result<(), StoreError> {
    let c = &lead.client;
    let account_id = lead.owner.account_id;
    for (position, tag) in c.tags.as_slice().iter().enumerate() {
        let key = tag.to_lowercase();
        let link = || {
            sql::<DB>(LINK_TAG)
                .param(DbId(client_id))
                .param(DbId(account_id))
                .param(position as i32)
                .param(key.clone())
        };
        let create = sql(CREATE_TAG)
            .param(DbId(new_id()))
            .param(DbId(account_id))
            .param(tag.to_string())
            .param(key.clone())
            .param(now);
        link_or_create::<DB>(tx, link, create).await?;
    }
    for (name, value) in &c.custom {
        let link = || {
            sql::<DB>(LINK_CUSTOM_VALUE)
                .param(DbId(client_id))
                .param(DbId(account_id))
                .param(value.clone())
                .param(name.clone())
        };
        let create = sql(CREATE_CUSTOM_FIELD)
            .param(DbId(new_id()))
            .param(DbId(account_id))
            .param(name.clone())
            .param(now);
        link_or_create::<DB>(tx, link, create).await?;
    }
    if let Some(note) = c.fields.notes() {
        let query = sql(INSERT_NOTE)
            .param(DbId(new_id()))
            .param(DbId(client_id))
            .param(note.to_string())
            .param(now);
        execute(query, DB::on_conn(tx)).await?;
    }
    if let Some(plan_id) = lead.owner.action_plan_id {
        let query = sql(PLAN_STEPS).param(DbId(plan_id));
        let steps: Vec<super::records::PlanStepRow> =
            super::sql::fetch_all(query, DB::on_conn(tx)).await?;
        for step in steps.iter().map(super::PlanStep::from) {
            let job = NewJob::plan_step(step.webhook_id, step.delay_seconds, now);
            insert_job::<DB>(tx, lead, client_id, job, now).await?;
        }
    }
    if let Some(message) = new_lead_message(lead) {
        insert_notification::<DB>(tx, account_id, "new_lead", client_id, message, now).await?;
    }
    for job in owner_notice_jobs(lead, now) {
        insert_job::<DB>(tx, lead, client_id, job, now).await?;
    }
    if let (Some(_), Some(email)) = (&lead.owner.autoresponder, c.fields.email()) {
        let fresh = super::hearing::claim_autoreply::<DB>(tx, account_id, email, now).await?;
        insert_job::<DB>(tx, lead, client_id, NewJob::autoreply(fresh, now), now).await?;
    }
    Ok(())
}

impl<DB: Backend> SqlStore<DB> {
    /// Store a valid lead: by one statement where the database has it (PostgreSQL), else in
    /// the next group of the group committer (SQLite).
    async fn store_and_commit(&self, lead: &LeadToStore) -> Result<AcceptOutcome, StoreError> {
        if DB::LEAD_IN_ONE_STATEMENT {
            return self.accept_in_one_statement(lead).await;
        }
        self.accept_in_group(lead).await
    }
}

/// Raise the Duplicate Record notification for a lead whose email an existing client has; the
/// existing client's id.
pub(super) async fn insert_duplicate_notice<DB: Backend>(
    tx: &mut Conn<DB>,
    lead: &LeadToStore,
) -> Result<Uuid, StoreError> {
    let now = DbTime::now();
    let email_key = lead.client.email_key();
    let query = sql(EXISTING_CLIENT)
        .param(DbId(lead.owner.account_id))
        .param(email_key);
    let existing: IdRow = fetch_optional(query, DB::on_conn(tx))
        .await?
        .ok_or(StoreError::NotFound)?;
    let message = duplicate_message(lead);
    let account_id = lead.owner.account_id;
    insert_notification::<DB>(tx, account_id, "duplicate", existing.id.0, message, now).await?;
    Ok(existing.id.0)
}

#[async_trait::async_trait]
impl<DB: Backend> IntakeStore for SqlStore<DB> {
    async fn accept_lead(&self, lead: &LeadToStore) -> Result<AcceptOutcome, StoreError> {
        let outcome = self.store_and_commit(lead).await?;
        if matches!(outcome, AcceptOutcome::Created { .. }) {
            // Its jobs (if any) may be due now: wake a waiting worker.
            self.jobs_queued.notify_one();
        }
        Ok(outcome)
    }

    async fn record_rejection(&self, submission: &Submission) -> Result<(), StoreError> {
        let mut tx = self.begin_hot_write().await?;
        insert_submission::<DB>(&mut tx, submission).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn record_rate_limited(&self, submission: &Submission) -> Result<(), StoreError> {
        let minute = submission.created_at.unix_timestamp().div_euclid(60);
        let owner = submission.lead_source_id.or(submission.account_id);
        let summary_key = format!("ct106:{}:{minute}", owner.unwrap_or_default());
        let query = sql(RECORD_RATE_LIMITED)
            .param(DbId(submission.id))
            .param(submission.account_id.map(DbId))
            .param(submission.lead_source_id.map(DbId))
            .param(sqlx::types::Json(Vec::<(String, String)>::new()))
            .param(DbTime::from(submission.created_at))
            .param(summary_key);
        let mut tx = self.begin_hot_write().await?;
        execute(query, DB::on_conn(&mut tx)).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn list_submissions(
        &self,
        filter: &SubmissionFilter,
        page: Page,
    ) -> Result<Vec<Submission>, StoreError> {
        let query = sql(
            "SELECT * FROM submissions WHERE ($1 IS NULL OR account_id = $1) \
             AND ($2 IS NULL OR outcome = $2) AND ($3 IS NULL OR error_code = $3) \
             AND id < $4 AND ($6 IS NULL OR channel = $6) ORDER BY id DESC LIMIT $5",
        )
        .param(filter.account_id.map(DbId))
        .param(filter.outcome.map(|o| o.as_str()))
        .param(filter.error_code.clone())
        .param(DbId(page.upper_bound()))
        .param(page.limit)
        .param(filter.channel.map(|c| c.as_str()));
        Ok(into_all::<SubmissionRow, _>(self.read_all(query).await?))
    }
}
