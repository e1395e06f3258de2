//! A valid lead in one statement, on PostgreSQL (DESIGN.md §13): the rows that
//! SQLite writes with a dozen statements (sqlite_lead.rs) are
//! built here as one JSON value, and the `leadpost_accept_lead` function of
//! migrations/postgres/0014_lead_statement.sql writes them in one call. With the
//! pool's liveness check, a lead costs two round trips; leads queued together
//! are written by one call for the group (lead_groups.rs).
//!
//! The value's shape (every time RFC 3339, every id a UUID string):
//!
//! - `account_id`, `fingerprint`, `now`, `cutoff` (the double-submit window's start), `request_id`;
//! - `client`: the new client's row, every column of `clients` (clients.rs builds it);
//! - `submission`: the log row as posted (`outcome`, `client_id` and `replay_of` set by the function);
//! - `tags`: `[{id, name, name_key, position}]`, `custom`: `[{id, name, value}]`, `note`: `{id, body}`;
//! - `plan_id`: the action plan whose steps become webhook jobs, in step order;
//! - `notification`: the in-app New Lead notice `{id, message}`, or null;
//! - `jobs`: the owner's notices `[{kind, state, last_error}]`, queued after the plan's webhooks;
//! - `autoreply`: `{address_hash, cutoff, suppressed}` when the source auto-replies, or null;
//! - `duplicate`: the Duplicate Record notice `{id, message}` used when the email is taken.

use serde_json::{Map, Value, json};
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

use super::clients::{ClientValue, client_row};
use super::hearing::autoreply_window_start;
use super::lead_groups::Written;
use super::records::AcceptedRow;
use super::sql::{Backend, Bind, SqlStore, fetch_optional, sql};
use super::submissions::{duplicate_message, new_lead_message, owner_notice_jobs};
use super::types::DbTime;
use super::{AUTOREPLY_SUPPRESSED, AcceptOutcome, LeadToStore, StoreError, Submission, new_id};

/// The call: one statement, in a transaction of its own.
const ACCEPT_LEAD: &str =
    "SELECT lead_outcome, lead_client, first_submission FROM leadpost_accept_lead($1)";

impl<DB: Backend> SqlStore<DB> {
    /// Store a valid lead with one statement (on a backend with `leadpost_accept_lead`).
    pub(super) async fn accept_in_one_statement(
        &self,
        lead: &LeadToStore,
    ) -> Result<AcceptOutcome, StoreError> {
        let mut payload = payload(lead, DbTime::now())?;
        if let Some(groups) = &self.lead_groups {
            match groups.run(payload).await? {
                Written::Row(row) => return outcome(row),
                // It lost a lock race with another group: alone this time.
                Written::Again(lead) => payload = lead,
            }
        }
        let query = sql::<DB>(ACCEPT_LEAD).param(sqlx::types::Json(payload));
        let row: AcceptedRow = fetch_optional(query, DB::on_pool(&self.writer))
            .await?
            .ok_or(StoreError::NotFound)?;
        outcome(row)
    }
}

/// The function's row as the lead's outcome.
fn outcome(row: AcceptedRow) -> Result<AcceptOutcome, StoreError> {
    match (row.lead_outcome.as_str(), row.first_submission) {
        ("created", _) => Ok(AcceptOutcome::Created {
            client_id: row.lead_client.0,
        }),
        ("replay", Some(first)) => Ok(AcceptOutcome::Replay {
            of_submission: first.0,
            client_id: row.lead_client.0,
        }),
        ("duplicate", _) => Ok(AcceptOutcome::DuplicateEmail {
            existing_client_id: row.lead_client.0,
        }),
        _ => Err(StoreError::Unsupported(
            "an outcome leadpost_accept_lead does not return",
        )),
    }
}

/// The lead as the function's one JSON argument (its shape: the module's doc).
fn payload(lead: &LeadToStore, now: DbTime) -> Result<Value, StoreError> {
    let c = &lead.client;
    let cutoff = DbTime::from(now.0 - time::Duration::seconds(lead.replay_window_seconds));
    let mut client = Map::new();
    for (column, value) in client_row(new_id(), lead, now) {
        client.insert(column.to_string(), client_value(value)?);
    }
    let tags: Vec<Value> = c
        .tags
        .as_slice()
        .iter()
        .enumerate()
        .map(|(position, tag)| {
            json!({"id": new_id(), "name": tag.to_string(), "name_key": tag.to_lowercase(),
                "position": position})
        })
        .collect();
    let custom: Vec<Value> = c
        .custom
        .iter()
        .map(|(name, value)| json!({"id": new_id(), "name": name, "value": value}))
        .collect();
    let jobs: Vec<Value> = owner_notice_jobs(lead, now)
        .into_iter()
        .map(|job| {
            json!({"kind": job.kind.as_str(), "state": job.state.as_str(),
                "last_error": job.last_error})
        })
        .collect();
    let autoreply = match (&lead.owner.autoresponder, c.fields.email()) {
        (Some(_), Some(email)) => json!({
            "address_hash": super::address_hash(email),
            "cutoff": rfc3339(autoreply_window_start(now))?,
            "suppressed": AUTOREPLY_SUPPRESSED,
        }),
        _ => Value::Null,
    };
    Ok(json!({
        "account_id": lead.owner.account_id,
        "fingerprint": lead.fingerprint,
        "now": rfc3339(now)?,
        "cutoff": rfc3339(cutoff)?,
        "request_id": lead.request_id,
        "client": client,
        "submission": submission(&lead.submission)?,
        "tags": tags,
        "custom": custom,
        "note": c.fields.notes().map(|body| json!({"id": new_id(), "body": body})),
        "plan_id": lead.owner.action_plan_id,
        "notification": new_lead_message(lead).map(|message| json!({"id": new_id(), "message": message})),
        "jobs": jobs,
        "autoreply": autoreply,
        "duplicate": {"id": new_id(), "message": duplicate_message(lead)},
    }))
}

/// The log row's columns the function reads.
fn submission(s: &Submission) -> Result<Value, StoreError> {
    Ok(json!({
        "id": s.id,
        "account_id": s.account_id,
        "lead_source_id": s.lead_source_id,
        "error_code": s.error_code,
        "message": s.message,
        "fields": s.fields,
        "remote_ip": s.remote_ip,
        "user_agent": s.user_agent,
        "created_at": rfc3339(DbTime::from(s.created_at))?,
        "spam_reasons": (!s.spam_reasons.is_empty())
            .then(|| super::records::to_json_text(&s.spam_reasons)),
        "channel": s.channel.as_str(),
        "raw_message": s.raw_message,
    }))
}

/// One client column as JSON (`jsonb_populate_record` reads it into the column's type).
fn client_value(value: ClientValue) -> Result<Value, StoreError> {
    Ok(match value {
        ClientValue::Id(id) => json!(id.map(|id: Uuid| id.to_string())),
        ClientValue::Time(t) => json!(rfc3339(t)?),
        ClientValue::Text(text) => json!(text),
        ClientValue::BigInt(n) => json!(n),
        ClientValue::SmallInt(n) => json!(n),
        ClientValue::Date(d) => json!(d.map(|d| d.to_string())),
    })
}

/// A time as RFC 3339 with its microseconds.
fn rfc3339(t: DbTime) -> Result<String, StoreError> {
    t.0.format(&Rfc3339)
        .map_err(|_| StoreError::Unsupported("a time RFC 3339 cannot write"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_written_with_their_microseconds_in_utc() {
        let t = DbTime::from(time::macros::datetime!(2026-01-02 03:04:05.000_007 +02:00));
        assert_eq!(rfc3339(t).expect("formats"), "2026-01-02T01:04:05.000007Z");
    }
}
