//! The leads of many posts written together on PostgreSQL (group commit,
//! pg_groups.rs): one call of `leadpost_accept_leads`
//! (migrations/postgres/0017_lead_groups.sql) for the group, each lead in a
//! subtransaction of its own so that a lead that fails is refused alone. Each
//! lead is the JSON value lead_statement.rs builds.

use serde_json::Value;
use sqlx::PgPool;
use sqlx::types::Json;

use super::StoreError;
use super::pg_groups::{GroupCall, Groups, failed};
use super::records::{AcceptedRow, LeadGroupRow};

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

/// The lead writers' queue.
pub type LeadGroups = Groups<AcceptLeads>;

/// A group of leads, written by `leadpost_accept_leads`.
pub struct AcceptLeads;

impl GroupCall for AcceptLeads {
    type Item = Value;
    type Done = Written;
    const SIZE_METRIC: &'static str = "leadpost_lead_group_size";
    const ITEM: &'static str = "lead";

    async fn call(
        &self,
        pool: &PgPool,
        mut leads: Vec<Value>,
    ) -> Result<Vec<Result<Written, StoreError>>, sqlx::Error> {
        let rows = sqlx::query_as::<_, LeadGroupRow>(ACCEPT_LEADS)
            .bind(Json(&leads))
            .fetch_all(pool)
            .await?;
        let mut answers: Vec<Option<Result<Written, StoreError>>> =
            leads.iter().map(|_| None).collect();
        for row in rows {
            let Some(index) = usize::try_from(row.lead_index)
                .ok()
                .filter(|i| *i < leads.len())
            else {
                continue;
            };
            answers[index] = Some(match (row.accepted(), row.error_state) {
                (Some(accepted), None) => Ok(Written::Row(accepted)),
                (_, Some(state)) if RACES.contains(&state.as_str()) => {
                    Ok(Written::Again(std::mem::take(&mut leads[index])))
                }
                (_, state) => Err(StoreError::Database(sqlx::Error::Protocol(format!(
                    "the lead was not stored: {} {}",
                    state.unwrap_or_default(),
                    row.error_message.unwrap_or_default()
                )))),
            });
        }
        Ok(answers
            .into_iter()
            .map(|answer| {
                answer.unwrap_or_else(|| Err(failed::<Self>("no answer for the lead in its group")))
            })
            .collect())
    }
}
