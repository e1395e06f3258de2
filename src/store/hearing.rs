//! Hearing back: an account's visitor-facing settings (display name, website, lenient phones,
//! the new-lead notification default, hosted pages), a lead source's autoresponder, and the
//! autoresponder's memory of the addresses it answered — kept as a SHA-256 of the lower-case
//! address, so that at most one autoreply goes to an address per account per 24 hours.

use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::records::{TextRow, to_json_text};
use super::sql::{Backend, Bind, Conn, SqlStore, Tx, execute, fetch_optional, sql};
use super::types::{DbId, DbTime};
use super::{AccountChanges, Autoresponder, StoreError};

/// How long an answered address is not answered again.
pub const AUTOREPLY_WINDOW_SECONDS: i64 = 24 * 3600;

/// Why an autoreply job is skipped when its address was answered within the window.
pub const AUTOREPLY_SUPPRESSED: &str = "an autoreply went to this address within the last 24 hours";

/// A lead source's autoresponder and the autoresponder's memory.
#[async_trait::async_trait]
pub trait AutoreplyStore: Send + Sync {
    /// Set (or with `None` turn off) a lead source's autoresponder.
    async fn set_autoresponder(
        &self,
        account_id: Uuid,
        lead_source_id: Uuid,
        autoresponder: Option<&Autoresponder>,
    ) -> Result<(), StoreError>;
    /// Whether an autoreply went to `email` (any case) for the account within the last 24 hours.
    async fn autoreply_remembered(&self, account_id: Uuid, email: &str)
    -> Result<bool, StoreError>;
    /// Forget that an autoreply went to `email` (any case) for the account (erasure): the next
    /// lead with that address is answered again. Whether there was anything to forget.
    async fn forget_autoreply_address(
        &self,
        account_id: Uuid,
        email: &str,
    ) -> Result<bool, StoreError>;
}

/// The remembered form of an address: the SHA-256 (hex) of its trimmed lower-case spelling.
pub fn address_hash(email: &str) -> String {
    let digest = Sha256::digest(email.trim().to_lowercase().as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The start of the window an autoreply sent at `now` looks back over.
pub(super) fn autoreply_window_start(now: DbTime) -> DbTime {
    DbTime::from(now.0 - time::Duration::seconds(AUTOREPLY_WINDOW_SECONDS))
}

/// Remember an autoreply to an address unless one went there since a time; the row when
/// claimed. `$1`–`$4`: account, address hash, time, window start.
pub(super) const CLAIM_AUTOREPLY: &str = "INSERT INTO autoreply_memory (account_id, address_hash, \
    sent_at) VALUES ($1, $2, $3) ON CONFLICT (account_id, address_hash) DO UPDATE SET \
    sent_at = excluded.sent_at WHERE autoreply_memory.sent_at < $4 RETURNING address_hash AS text";

/// Remember that an autoreply goes to `email` now, unless one went there within the window:
/// whether this one may go. In the lead's transaction, so two leads cannot both claim it.
pub(super) async fn claim_autoreply<DB: Backend>(
    tx: &mut Conn<DB>,
    account_id: Uuid,
    email: &str,
    now: DbTime,
) -> Result<bool, StoreError> {
    let cutoff = autoreply_window_start(now);
    let claim = sql(CLAIM_AUTOREPLY)
        .param(DbId(account_id))
        .param(address_hash(email))
        .param(now)
        .param(cutoff);
    let claimed: Option<TextRow> = fetch_optional(claim, DB::on_conn(tx)).await?;
    Ok(claimed.is_some())
}

/// Apply the hearing-back settings of `changes` inside the account update's transaction.
pub(super) async fn update_account_settings<DB: Backend>(
    tx: &mut Tx<DB>,
    id: Uuid,
    changes: &AccountChanges,
) -> Result<(), StoreError> {
    if let Some(name) = &changes.display_name {
        let query = sql("UPDATE accounts SET display_name = $2 WHERE id = $1")
            .param(DbId(id))
            .param(name.clone());
        execute(query, DB::on_conn(tx)).await?;
    }
    if let Some(url) = &changes.website_url {
        let query = sql("UPDATE accounts SET website_url = $2 WHERE id = $1")
            .param(DbId(id))
            .param(url.clone());
        execute(query, DB::on_conn(tx)).await?;
    }
    let flags = [
        (
            "UPDATE accounts SET lenient_phones = $2 WHERE id = $1",
            changes.lenient_phones.map(i16::from),
        ),
        (
            "UPDATE accounts SET hosted_pages = $2 WHERE id = $1",
            changes.hosted_pages.map(i16::from),
        ),
        (
            "UPDATE accounts SET new_lead_notification_default = $2 WHERE id = $1",
            changes
                .new_lead_notification_default
                .and_then(|level| i16::try_from(level).ok()),
        ),
    ];
    for (text, value) in flags {
        if let Some(value) = value {
            execute(sql(text).param(DbId(id)).param(value), DB::on_conn(tx)).await?;
        }
    }
    Ok(())
}

#[async_trait::async_trait]
impl<DB: Backend> AutoreplyStore for SqlStore<DB> {
    async fn set_autoresponder(
        &self,
        account_id: Uuid,
        lead_source_id: Uuid,
        autoresponder: Option<&Autoresponder>,
    ) -> Result<(), StoreError> {
        let query =
            sql("UPDATE lead_sources SET autoresponder = $3 WHERE id = $2 AND account_id = $1")
                .param(DbId(account_id))
                .param(DbId(lead_source_id))
                .param(autoresponder.map(to_json_text));
        if self.write(query).await? == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn autoreply_remembered(
        &self,
        account_id: Uuid,
        email: &str,
    ) -> Result<bool, StoreError> {
        let cutoff = autoreply_window_start(DbTime::now());
        let query = sql("SELECT address_hash AS text FROM autoreply_memory \
             WHERE account_id = $1 AND address_hash = $2 AND sent_at >= $3")
        .param(DbId(account_id))
        .param(address_hash(email))
        .param(cutoff);
        let row: Option<TextRow> = self.read_optional(query).await?;
        Ok(row.is_some())
    }

    async fn forget_autoreply_address(
        &self,
        account_id: Uuid,
        email: &str,
    ) -> Result<bool, StoreError> {
        let query = sql("DELETE FROM autoreply_memory WHERE account_id = $1 AND address_hash = $2")
            .param(DbId(account_id))
            .param(address_hash(email));
        Ok(self.write(query).await? > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_remembered_by_its_lower_case_hash() {
        assert_eq!(
            address_hash(" Ann@Example.COM "),
            address_hash("ann@example.com")
        );
        assert_eq!(address_hash("ann@example.com").len(), 64);
        assert!(!address_hash("ann@example.com").contains("ann"));
        assert_ne!(
            address_hash("ann@example.com"),
            address_hash("bea@example.com")
        );
    }
}
