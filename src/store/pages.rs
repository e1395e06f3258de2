//! The per-account settings of the browser side: hosted thank-you pages.

use uuid::Uuid;

use super::StoreError;
use super::records::FlagRow;
use super::sql::{Backend, Bind, SqlStore, sql};
use super::types::DbId;

/// Account settings used by the pages and the intake's content negotiation.
#[async_trait::async_trait]
pub trait PagesStore: Send + Sync + 'static {
    /// Turn the account's hosted thank-you pages on or off.
    async fn set_hosted_pages(&self, account_id: Uuid, on: bool) -> Result<(), StoreError>;
    /// Whether the account has hosted thank-you pages on.
    async fn get_hosted_pages(&self, account_id: Uuid) -> Result<bool, StoreError>;
}

#[async_trait::async_trait]
impl<DB: Backend> PagesStore for SqlStore<DB> {
    async fn set_hosted_pages(&self, account_id: Uuid, on: bool) -> Result<(), StoreError> {
        let query = sql("UPDATE accounts SET hosted_pages = $2 WHERE id = $1")
            .param(DbId(account_id))
            .param(i16::from(on));
        if self.write(query).await? == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn get_hosted_pages(&self, account_id: Uuid) -> Result<bool, StoreError> {
        let query =
            sql("SELECT hosted_pages AS flag FROM accounts WHERE id = $1").param(DbId(account_id));
        let row: FlagRow = self.read_one(query).await?;
        Ok(row.flag != 0)
    }
}
