//! A lead on SQLite, written on the writer's own handle inside a group commit
//! (group_commit.rs), with the SQL of submissions.rs: direct calls instead of a
//! dozen round trips to the connection's worker thread. PostgreSQL writes the
//! same rows with one statement instead (lead_statement.rs).

use rusqlite::types::{ToSqlOutput, Value};
use rusqlite::{Row, ToSql};
use uuid::Uuid;

use super::clients::{ClientValue, INSERT_CLIENT, client_values};
use super::group_commit::Conn;
use super::hearing::{CLAIM_AUTOREPLY, address_hash, autoreply_window_start};
use super::records::to_json_text;
use super::sql::{Backend, SqlStore};
use super::sqlite_handle::{bound, execute, first_row, id_at};
use super::submissions::{
    CREATE_CUSTOM_FIELD, CREATE_TAG, EXISTING_CLIENT, INSERT_JOB, INSERT_NOTE, INSERT_NOTIFICATION,
    INSERT_SUBMISSION, LINK_CUSTOM_VALUE, LINK_TAG, NewJob, PLAN_STEPS, duplicate_message,
    new_lead_message, owner_notice_jobs,
};
use super::types::{DbId, DbTime};
use super::{AcceptOutcome, LeadToStore, Outcome, StoreError, Submission, new_id};

/// Claim a post's fingerprint unless an identical post took it within the window;
/// the row when claimed. `$1`–`$6`: account, fingerprint, submission, client, time,
/// window start.
const CLAIM_REPLAY: &str = "INSERT INTO replay_guard (account_id, fingerprint, \
    submission_id, client_id, created_at) VALUES ($1, $2, $3, $4, $5) \
    ON CONFLICT (account_id, fingerprint) DO UPDATE SET \
    submission_id = excluded.submission_id, client_id = excluded.client_id, \
    created_at = excluded.created_at WHERE replay_guard.created_at < $6 \
    RETURNING submission_id, client_id";

/// The post that holds a fingerprint. `$1`, `$2`: account, fingerprint.
const FIRST_OF_REPLAY: &str = "SELECT submission_id, client_id FROM replay_guard \
    WHERE account_id = $1 AND fingerprint = $2";

impl<DB: Backend> SqlStore<DB> {
    /// Store a valid lead in the next group of the group committer (SQLite).
    pub(super) async fn accept_in_group(
        &self,
        lead: &LeadToStore,
    ) -> Result<AcceptOutcome, StoreError> {
        let Some(group) = &self.group else {
            return Err(StoreError::Unsupported(
                "storing a lead without a lead function or a group committer",
            ));
        };
        let lead = lead.clone();
        group.run(move |db| accept(db, &lead)).await
    }
}

/// Store a valid lead (a new client with everything that follows, a double
/// submit's log row, or a duplicate's notice and log row) inside the group's
/// transaction.
fn accept(db: &Conn, lead: &LeadToStore) -> Result<AcceptOutcome, StoreError> {
    execute(db, "SAVEPOINT attempt", &[])?;
    match store_lead(db, lead)? {
        Some(outcome) => {
            execute(db, "RELEASE attempt", &[])?;
            Ok(outcome)
        }
        None => {
            // The account has the email: undo the claim and the rows, record the duplicate.
            db.execute_batch("ROLLBACK TO attempt; RELEASE attempt")?;
            insert_duplicate(db, lead)
        }
    }
}

/// The ids of a replay guard row: the first post and its client.
fn replay_ids(row: &Row) -> Result<(Uuid, Uuid), StoreError> {
    Ok((id_at(row, 0)?, id_at(row, 1)?))
}

/// A new client with everything that follows, or a double submit's log row.
/// `None` when the account already has the email: the caller undoes these writes
/// and records the duplicate instead.
fn store_lead(db: &Conn, lead: &LeadToStore) -> Result<Option<AcceptOutcome>, StoreError> {
    let now = DbTime::now();
    let account = DbId(lead.owner.account_id);
    let client_id = new_id();
    // Claim the fingerprint first: an identical post accepted within the
    // window (or being accepted right now) makes this one a replay.
    let cutoff = DbTime::from(now.0 - time::Duration::seconds(lead.replay_window_seconds));
    let fingerprint = &lead.fingerprint;
    let claim: [&dyn ToSql; 6] = [
        &account,
        fingerprint,
        &DbId(lead.submission.id),
        &DbId(client_id),
        &now,
        &cutoff,
    ];
    let claimed = first_row(db, CLAIM_REPLAY, &claim, |_| Ok(()))?;
    let mut submission = lead.submission.clone();
    submission.outcome = Outcome::Accepted;
    if claimed.is_none() {
        let (first, client) = first_row(db, FIRST_OF_REPLAY, &[&account, fingerprint], replay_ids)?
            .ok_or(StoreError::NotFound)?;
        submission.replay_of = Some(first);
        submission.client_id = Some(client);
        insert_submission(db, &submission)?;
        return Ok(Some(AcceptOutcome::Replay {
            of_submission: first,
            client_id: client,
        }));
    }
    let values = client_values(client_id, lead, now);
    let refs: Vec<&dyn ToSql> = values.iter().map(|v| v as &dyn ToSql).collect();
    if first_row(db, &INSERT_CLIENT, &refs, |_| Ok(()))?.is_none() {
        return Ok(None);
    }
    insert_client_details(db, client_id, lead, now)?;
    submission.client_id = Some(client_id);
    submission.request_id = lead.request_id.clone();
    insert_submission(db, &submission)?;
    Ok(Some(AcceptOutcome::Created { client_id }))
}

/// As [`submissions::insert_client_details`](super::submissions): tags, custom
/// values, note, action-plan jobs, notifications.
fn insert_client_details(
    db: &Conn,
    client_id: Uuid,
    lead: &LeadToStore,
    now: DbTime,
) -> Result<(), StoreError> {
    let c = &lead.client;
    let account = DbId(lead.owner.account_id);
    let client = DbId(client_id);
    for (position, tag) in c.tags.as_slice().iter().enumerate() {
        let key = tag.to_lowercase();
        let position = position as i32;
        let link: [&dyn ToSql; 4] = [&client, &account, &position, &key];
        if execute(db, LINK_TAG, &link)? == 0 {
            let name = tag.to_string();
            execute(
                db,
                CREATE_TAG,
                &[&DbId(new_id()), &account, &name, &key, &now],
            )?;
            execute(db, LINK_TAG, &link)?;
        }
    }
    for (name, value) in &c.custom {
        let link: [&dyn ToSql; 4] = [&client, &account, value, name];
        if execute(db, LINK_CUSTOM_VALUE, &link)? == 0 {
            execute(
                db,
                CREATE_CUSTOM_FIELD,
                &[&DbId(new_id()), &account, name, &now],
            )?;
            execute(db, LINK_CUSTOM_VALUE, &link)?;
        }
    }
    if let Some(note) = c.fields.notes() {
        execute(db, INSERT_NOTE, &[&DbId(new_id()), &client, &note, &now])?;
    }
    if let Some(plan_id) = lead.owner.action_plan_id {
        let mut steps = bound(db, PLAN_STEPS, &[&DbId(plan_id)])?;
        let mut rows = steps.raw_query();
        let mut jobs = Vec::new();
        while let Some(row) = rows.next()? {
            jobs.push(NewJob::plan_step(id_at(row, 1)?, row.get(2)?, now));
        }
        drop(rows);
        drop(steps);
        for job in jobs {
            insert_job(db, lead, client_id, job, now)?;
        }
    }
    if let Some(message) = new_lead_message(lead) {
        insert_notification(db, lead, "new_lead", client_id, message, now)?;
    }
    for job in owner_notice_jobs(lead, now) {
        insert_job(db, lead, client_id, job, now)?;
    }
    if let (Some(_), Some(email)) = (&lead.owner.autoresponder, c.fields.email()) {
        let since = autoreply_window_start(now);
        let claim: [&dyn ToSql; 4] = [&account, &address_hash(email), &now, &since];
        let fresh = first_row(db, CLAIM_AUTOREPLY, &claim, |_| Ok(()))?.is_some();
        insert_job(db, lead, client_id, NewJob::autoreply(fresh, now), now)?;
    }
    Ok(())
}

fn insert_job(
    db: &Conn,
    lead: &LeadToStore,
    client_id: Uuid,
    job: NewJob<'_>,
    now: DbTime,
) -> Result<(), StoreError> {
    let values: [&dyn ToSql; 11] = [
        &DbId(new_id()),
        &DbId(lead.owner.account_id),
        &DbId(client_id),
        &job.kind.as_str(),
        &job.webhook_id.map(DbId),
        &job.state.as_str(),
        &job.due_at,
        &super::sql::message_id(),
        &job.last_error,
        &now,
        &lead.request_id,
    ];
    execute(db, INSERT_JOB, &values)?;
    Ok(())
}

fn insert_notification(
    db: &Conn,
    lead: &LeadToStore,
    kind: &'static str,
    client_id: Uuid,
    message: String,
    now: DbTime,
) -> Result<(), StoreError> {
    let values: [&dyn ToSql; 6] = [
        &DbId(new_id()),
        &DbId(lead.owner.account_id),
        &kind,
        &DbId(client_id),
        &message,
        &now,
    ];
    execute(db, INSERT_NOTIFICATION, &values)?;
    Ok(())
}

fn insert_submission(db: &Conn, s: &Submission) -> Result<(), StoreError> {
    let spam_reasons = (!s.spam_reasons.is_empty()).then(|| to_json_text(&s.spam_reasons));
    let values: [&dyn ToSql; 16] = [
        &DbId(s.id),
        &s.account_id.map(DbId),
        &s.lead_source_id.map(DbId),
        &s.client_id.map(DbId),
        &s.outcome.as_str(),
        &s.error_code,
        &s.message,
        &s.replay_of.map(DbId),
        &to_json_text(&s.fields),
        &s.remote_ip,
        &s.user_agent,
        &DbTime::from(s.created_at),
        &spam_reasons,
        &s.channel.as_str(),
        &s.raw_message,
        &s.request_id,
    ];
    execute(db, INSERT_SUBMISSION, &values)?;
    Ok(())
}

/// A refused duplicate: the Duplicate Record notification on the existing
/// client and the ct103 log row.
fn insert_duplicate(db: &Conn, lead: &LeadToStore) -> Result<AcceptOutcome, StoreError> {
    let now = DbTime::now();
    let account = DbId(lead.owner.account_id);
    let email_key = lead.client.email_key();
    let existing = first_row(db, EXISTING_CLIENT, &[&account, &email_key], |row| {
        id_at(row, 0)
    })?
    .ok_or(StoreError::NotFound)?;
    let message = duplicate_message(lead);
    insert_notification(db, lead, "duplicate", existing, message, now)?;
    let mut submission = lead.submission.clone();
    submission.outcome = Outcome::Rejected;
    submission.error_code = Some("ct103".into());
    submission.message = Some("Duplicate Client creation attempted".into());
    insert_submission(db, &submission)?;
    Ok(AcceptOutcome::DuplicateEmail {
        existing_client_id: existing,
    })
}

/// A new client's column as SQLite keeps it (the text forms of types.rs).
impl ToSql for ClientValue {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        const DATE: &[time::format_description::FormatItem<'static>] =
            time::macros::format_description!("[year]-[month]-[day]");
        Ok(match self {
            ClientValue::Id(id) => match id {
                Some(id) => ToSqlOutput::Owned(Value::Text(id.hyphenated().to_string())),
                None => ToSqlOutput::Owned(Value::Null),
            },
            ClientValue::Time(t) => return t.to_sql(),
            ClientValue::Text(text) => return text.to_sql(),
            ClientValue::BigInt(n) => return n.to_sql(),
            ClientValue::SmallInt(n) => ToSqlOutput::Owned(n.map_or(Value::Null, |n| n.into())),
            ClientValue::Date(date) => match date {
                Some(date) => ToSqlOutput::Owned(Value::Text(
                    date.format(DATE)
                        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?,
                )),
                None => ToSqlOutput::Owned(Value::Null),
            },
        })
    }
}
