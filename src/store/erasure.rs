//! Erasure: removing one person from an account. [`CLIENT_ERASURE`] is the one list of every
//! table that holds a client's personal data and what erasing the client does to it; erasing a
//! client runs the whole list in one transaction. Erasing an email also strips every submission
//! of the account that carries it in any value (in any case), clients or not.
//!
//! A new table that holds personal data about a client is one more entry in [`CLIENT_ERASURE`]
//! (`vendor_leads` is one: a Thumbtack leadID remembered for a client is forgotten). The
//! autoresponder's memory (`autoreply_memory`) holds only a hash of the address, keyed by account,
//! and is forgotten beside the list. The test
//! `erasure.rs` searches the text of every table of the schema for the email afterwards.

use sqlx::types::Json;
use uuid::Uuid;

use super::StoreError;
use super::hearing::address_hash;
use super::retention::strip_set;
use super::sql::{Backend, Bind, SqlStore, Tx, execute, fetch_all, fetch_optional, sql};
use super::types::{DbId, DbTime};

/// The parameters a step's statement takes.
#[derive(Debug, Clone, Copy)]
pub enum ErasureBinds {
    /// `$1`: the client's id.
    Client,
    /// `$1`: the client's id, `$2`: now.
    ClientAndTime,
}

/// One table's part in erasing a client.
#[derive(Debug, Clone, Copy)]
pub struct ErasureStep {
    /// The table the statement changes.
    pub table: &'static str,
    /// The statement.
    pub sql: &'static str,
    /// What it binds.
    pub binds: ErasureBinds,
}

const fn step(table: &'static str, sql: &'static str, binds: ErasureBinds) -> ErasureStep {
    ErasureStep { table, sql, binds }
}

/// Every table holding a client's personal data, in the order erasure clears it (the client row
/// goes last: the steps before it find the client's rows through it).
pub const CLIENT_ERASURE: &[ErasureStep] = &[
    // Waiting deliveries never run (a running one finishes); their history stays, without the
    // client.
    step(
        "jobs",
        "UPDATE jobs SET state = 'skipped', last_error = 'client erased', updated_at = $2 \
         WHERE client_id = $1 AND state IN ('queued', 'retrying')",
        ErasureBinds::ClientAndTime,
    ),
    // What receivers answered may echo the lead.
    step(
        "job_attempts",
        "UPDATE job_attempts SET response = NULL \
         WHERE job_id IN (SELECT id FROM jobs WHERE client_id = $1)",
        ErasureBinds::Client,
    ),
    step(
        "notifications",
        "DELETE FROM notifications WHERE client_id = $1",
        ErasureBinds::Client,
    ),
    // The double-submit memory: a repost makes a new client.
    step(
        "replay_guard",
        "DELETE FROM replay_guard WHERE client_id = $1",
        ErasureBinds::Client,
    ),
    step(
        "submissions",
        concat!(
            "UPDATE submissions SET ",
            strip_set!(),
            "$2 WHERE client_id = $1 OR released_client_id = $1 \
             OR id IN (SELECT submission_id FROM clients WHERE id = $1)"
        ),
        ErasureBinds::ClientAndTime,
    ),
    // A vendor's lead id (Thumbtack `leadID`) remembered for the client: a repost is new.
    step(
        "vendor_leads",
        "DELETE FROM vendor_leads WHERE client_id = $1",
        ErasureBinds::Client,
    ),
    step(
        "client_tags",
        "DELETE FROM client_tags WHERE client_id = $1",
        ErasureBinds::Client,
    ),
    step(
        "client_custom_values",
        "DELETE FROM client_custom_values WHERE client_id = $1",
        ErasureBinds::Client,
    ),
    step(
        "notes",
        "DELETE FROM notes WHERE client_id = $1",
        ErasureBinds::Client,
    ),
    step(
        "jobs",
        "UPDATE jobs SET client_id = NULL WHERE client_id = $1",
        ErasureBinds::Client,
    ),
    step(
        "clients",
        "DELETE FROM clients WHERE id = $1",
        ErasureBinds::Client,
    ),
];

/// What erasing an email did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EmailErasure {
    /// Clients erased.
    pub clients: u64,
    /// Submissions of the account that carried the email (now stripped).
    pub submissions: u64,
}

/// A submission's id and raw fields.
#[derive(sqlx::FromRow)]
struct FieldsRow {
    id: DbId,
    fields: Json<Vec<(String, String)>>,
}

/// A client's account.
#[derive(sqlx::FromRow)]
struct AccountRow {
    account_id: DbId,
}

/// A client's account and address (the autoresponder remembers the address as a hash).
#[derive(sqlx::FromRow)]
struct ClientAddressRow {
    account_id: DbId,
    email: Option<String>,
}

/// Erasing people.
#[async_trait::async_trait]
pub trait ErasureStore: Send + Sync {
    /// Erase one client and everything [`CLIENT_ERASURE`] lists; its account's id.
    async fn erase_client(&self, client_id: Uuid) -> Result<Uuid, StoreError>;
    /// Erase every client of the account with this email (any case) and strip every submission
    /// of the account carrying it in any value.
    async fn erase_email(&self, account_id: Uuid, email: &str) -> Result<EmailErasure, StoreError>;
}

/// Run every step of [`CLIENT_ERASURE`] for one client.
pub(super) async fn erase_client_in<DB: Backend>(
    tx: &mut Tx<DB>,
    client_id: Uuid,
    now: DbTime,
) -> Result<(), StoreError> {
    let address = sql("SELECT account_id, email FROM clients WHERE id = $1").param(DbId(client_id));
    let address: Option<ClientAddressRow> = fetch_optional(address, DB::on_conn(tx)).await?;
    if let Some(ClientAddressRow {
        account_id,
        email: Some(email),
    }) = address
    {
        forget_autoreply_in(tx, account_id.0, &email).await?;
    }
    for step in CLIENT_ERASURE {
        let query = sql(step.sql).param(DbId(client_id));
        let query = match step.binds {
            ErasureBinds::Client => query,
            ErasureBinds::ClientAndTime => query.param(now),
        };
        execute(query, DB::on_conn(tx)).await?;
    }
    Ok(())
}

/// Forget the autoresponder's memory of `email` in the account (kept by its hash, so it is not a
/// step of [`CLIENT_ERASURE`]: the statement binds the address's hash, not the client's id).
async fn forget_autoreply_in<DB: Backend>(
    tx: &mut Tx<DB>,
    account_id: Uuid,
    email: &str,
) -> Result<(), StoreError> {
    let forget = sql("DELETE FROM autoreply_memory WHERE account_id = $1 AND address_hash = $2")
        .param(DbId(account_id))
        .param(address_hash(email));
    execute(forget, DB::on_conn(tx)).await?;
    Ok(())
}

/// Does any value equal `email` in any case?
fn carries(fields: &[(String, String)], email_lower: &str) -> bool {
    fields
        .iter()
        .any(|(_, value)| value.trim().to_lowercase() == email_lower)
}

#[async_trait::async_trait]
impl<DB: Backend> ErasureStore for SqlStore<DB> {
    async fn erase_client(&self, client_id: Uuid) -> Result<Uuid, StoreError> {
        let mut tx = self.begin_write().await?;
        let query = sql("SELECT account_id FROM clients WHERE id = $1").param(DbId(client_id));
        let found: AccountRow = fetch_optional(query, DB::on_conn(&mut tx))
            .await?
            .ok_or(StoreError::NotFound)?;
        erase_client_in(&mut tx, client_id, DbTime::now()).await?;
        tx.commit().await?;
        Ok(found.account_id.0)
    }

    async fn erase_email(&self, account_id: Uuid, email: &str) -> Result<EmailErasure, StoreError> {
        let email_lower = email.trim().to_lowercase();
        let now = DbTime::now();
        let mut tx = self.begin_write().await?;
        let exists = sql("SELECT id FROM accounts WHERE id = $1").param(DbId(account_id));
        let account: Option<super::records::IdRow> =
            fetch_optional(exists, DB::on_conn(&mut tx)).await?;
        if account.is_none() {
            return Err(StoreError::NotFound);
        }
        // Candidates by text, then each value compared exactly (in any case).
        let candidates = sql("SELECT id, fields FROM submissions WHERE account_id = $1 \
             AND LOWER(CAST(fields AS TEXT)) LIKE $2")
        .param(DbId(account_id))
        .param(format!("%{email_lower}%"));
        let rows: Vec<FieldsRow> = fetch_all(candidates, DB::on_conn(&mut tx)).await?;
        let carrying: Vec<Uuid> = rows
            .into_iter()
            .filter(|r| carries(&r.fields.0, &email_lower))
            .map(|r| r.id.0)
            .collect();
        let clients = sql("SELECT id FROM clients WHERE account_id = $1 \
             AND (email_key = $2 OR LOWER(email) = $2)")
        .param(DbId(account_id))
        .param(email_lower.clone());
        let clients: Vec<super::records::IdRow> = fetch_all(clients, DB::on_conn(&mut tx)).await?;
        for client in &clients {
            erase_client_in(&mut tx, client.id.0, now).await?;
        }
        forget_autoreply_in(&mut tx, account_id, &email_lower).await?;
        for id in &carrying {
            let strip = sql(concat!(
                "UPDATE submissions SET ",
                strip_set!(),
                "$2 WHERE id = $1"
            ))
            .param(DbId(*id))
            .param(now);
            execute(strip, DB::on_conn(&mut tx)).await?;
        }
        tx.commit().await?;
        Ok(EmailErasure {
            clients: clients.len() as u64,
            submissions: carrying.len() as u64,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_carries_the_email_in_any_case() {
        let fields = vec![
            ("email".to_string(), "Ann@Example.com".to_string()),
            ("name".to_string(), "Ann".to_string()),
        ];
        assert!(carries(&fields, "ann@example.com"));
        assert!(!carries(&fields, "ann@example.co"));
    }

    #[test]
    fn the_job_states_in_the_statements_are_the_enum_s_names() {
        use crate::store::JobState;
        let sql = CLIENT_ERASURE[0].sql;
        for state in [JobState::Skipped, JobState::Queued, JobState::Retrying] {
            assert!(sql.contains(&format!("'{}'", state.as_str())));
        }
    }

    #[test]
    fn every_step_names_its_table_in_its_statement() {
        for step in CLIENT_ERASURE {
            assert!(step.sql.contains(step.table), "{}", step.table);
        }
    }
}
