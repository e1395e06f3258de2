//! Group commit on PostgreSQL (DESIGN.md §13): the valid leads queued by many
//! posts are written by one call of `leadpost_accept_leads`
//! (migrations/postgres/0017_lead_groups.sql), one round trip and one commit for
//! the group, each lead in a subtransaction of its own so that a lead that fails
//! is refused alone. Each lead is the JSON value lead_statement.rs builds.
//!
//! There is no waiting window: a writer takes whatever is queued when it is
//! free (up to [`MAX_GROUP`]), so a lone lead is written at once and a burst
//! forms groups by itself while the writers are busy. A caller is answered after
//! the call returns, that is after the commit holding its lead.

use serde_json::Value;
use sqlx::PgPool;
use sqlx::types::Json;
use tokio::sync::oneshot;

use super::StoreError;
use super::records::{AcceptedRow, LeadGroupRow};

/// Most leads written by one call.
pub const MAX_GROUP: usize = 64;
/// Leads that may wait for a writer before posts wait to queue.
const QUEUE_DEPTH: usize = 4096;

/// The call: one statement, in a transaction of its own.
const ACCEPT_LEADS: &str = "SELECT lead_index, lead_outcome, lead_client, first_submission, \
    error_state, error_message FROM leadpost_accept_leads($1)";

/// SQLSTATEs of a lead that lost a lock race with another group (deadlock,
/// serialization failure): it is worth writing again on its own.
const RACES: [&str; 2] = ["40P01", "40001"];

/// What became of one lead of a group.
pub enum Written {
    /// Stored (or recognised as a double submit or a duplicate): the function's row.
    Row(AcceptedRow),
    /// It lost a lock race with another group and was rolled back: the lead,
    /// to be written again on its own.
    Again(Value),
}

/// How a lead's caller is answered: what became of the lead, and the group's
/// size for the first lead of the group (its caller records it).
type Reply = oneshot::Sender<(Result<Written, StoreError>, Option<usize>)>;

/// One lead waiting for a writer.
struct Pending {
    lead: Value,
    reply: Reply,
}

/// The queue in front of the lead writers. Cloning shares it.
#[derive(Clone)]
pub struct LeadGroups {
    queue: flume::Sender<Pending>,
}

impl LeadGroups {
    /// Start `writers` writer tasks on `pool` (each holds a connection only for
    /// its call); they end when every handle is dropped. Must be called inside
    /// the runtime.
    pub fn start(pool: &PgPool, writers: usize) -> Self {
        let (queue, pending) = flume::bounded(QUEUE_DEPTH);
        for _ in 0..writers.max(1) {
            tokio::spawn(write(pool.clone(), pending.clone()));
        }
        LeadGroups { queue }
    }

    /// Write `lead` in the next group; its row once the group is committed.
    pub async fn accept(&self, lead: Value) -> Result<Written, StoreError> {
        let (reply, answer) = oneshot::channel();
        if self
            .queue
            .send_async(Pending { lead, reply })
            .await
            .is_err()
        {
            return Err(failed("the lead writers have stopped"));
        }
        let Ok((written, size)) = answer.await else {
            return Err(failed("the lead writer dropped the lead"));
        };
        // Recorded by the caller, whose request has the application's metrics.
        if let Some(size) = size {
            metrics::histogram!("leadpost_lead_group_size").record(size as f64);
        }
        written
    }
}

/// A writer: take what is queued, write it with one call, answer each; again.
async fn write(pool: PgPool, pending: flume::Receiver<Pending>) {
    while let Ok(first) = pending.recv_async().await {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match pending.try_recv() {
                Ok(more) => group.push(more),
                Err(_) => break,
            }
        }
        let (mut leads, replies): (Vec<Value>, Vec<_>) =
            group.into_iter().map(|p| (p.lead, Some(p.reply))).unzip();
        let call = sqlx::query_as::<_, LeadGroupRow>(ACCEPT_LEADS)
            .bind(Json(&leads))
            .fetch_all(&pool)
            .await;
        answer(call, &mut leads, replies);
    }
}

/// Answer each lead of a group with its row, or all of them with the call's failure.
fn answer(
    call: Result<Vec<LeadGroupRow>, sqlx::Error>,
    leads: &mut [Value],
    mut replies: Vec<Option<Reply>>,
) {
    let size = replies.len();
    let first = |index: usize| (index == 0).then_some(size);
    let rows = match call {
        Ok(rows) => rows,
        Err(e) => {
            tracing::error!(error = %e, leads = replies.len(), "a group of leads was not written");
            for (index, reply) in replies.into_iter().enumerate() {
                if let Some(reply) = reply {
                    // The caller may have gone away (its request was cancelled).
                    let failure = StoreError::Database(same_failure(&e));
                    let _ = reply.send((Err(failure), first(index)));
                }
            }
            return;
        }
    };
    for row in rows {
        let Some(index) = usize::try_from(row.lead_index).ok() else {
            continue;
        };
        let Some(reply) = replies.get_mut(index).and_then(Option::take) else {
            continue;
        };
        let written = match (row.accepted(), row.error_state) {
            (Some(accepted), None) => Ok(Written::Row(accepted)),
            (_, Some(state)) if RACES.contains(&state.as_str()) => {
                Ok(Written::Again(std::mem::take(&mut leads[index])))
            }
            (_, state) => Err(StoreError::Database(sqlx::Error::Protocol(format!(
                "the lead was not stored: {} {}",
                state.unwrap_or_default(),
                row.error_message.unwrap_or_default()
            )))),
        };
        let _ = reply.send((written, first(index)));
    }
    for (index, reply) in replies.into_iter().enumerate() {
        if let Some(reply) = reply {
            let missing = failed("no answer for the lead in its group");
            let _ = reply.send((Err(missing), first(index)));
        }
    }
}

/// The failure of a group's call, once for each of its leads: the same kind of
/// error (a pool timeout stays a pool timeout: "storage unavailable"), its text
/// otherwise.
fn same_failure(e: &sqlx::Error) -> sqlx::Error {
    match e {
        sqlx::Error::PoolTimedOut => sqlx::Error::PoolTimedOut,
        sqlx::Error::PoolClosed => sqlx::Error::PoolClosed,
        sqlx::Error::Io(io) => sqlx::Error::Io(std::io::Error::new(io.kind(), io.to_string())),
        other => sqlx::Error::Protocol(other.to_string()),
    }
}

/// The error of a lead no writer could answer.
fn failed(why: &str) -> StoreError {
    StoreError::Database(sqlx::Error::Protocol(format!("lead group failed: {why}")))
}
