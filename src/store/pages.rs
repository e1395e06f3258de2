//! The per-account settings of the browser side: hosted thank-you pages.
//! A sub-trait of [`Store`](super::Store), implemented for both backends by
//! [`impl_pages_store!`] next to `impl_store!`.

use uuid::Uuid;

use super::StoreError;

/// Account settings used by the pages and the intake's content negotiation.
#[async_trait::async_trait]
pub trait PagesStore: Send + Sync + 'static {
    /// Turn the account's hosted thank-you pages on or off.
    async fn set_hosted_pages(&self, account_id: Uuid, on: bool) -> Result<(), StoreError>;
    /// Whether the account has hosted thank-you pages on.
    async fn hosted_pages(&self, account_id: Uuid) -> Result<bool, StoreError>;
}

macro_rules! impl_pages_store {
    ($store:ident) => {
        #[async_trait::async_trait]
        impl $crate::store::PagesStore for $store {
            async fn set_hosted_pages(
                &self,
                account_id: uuid::Uuid,
                on: bool,
            ) -> Result<(), $crate::store::StoreError> {
                let done = sqlx::query("UPDATE accounts SET hosted_pages = $2 WHERE id = $1")
                    .bind($crate::store::types::DbId(account_id))
                    .bind(i16::from(on))
                    .execute(&self.pool)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err($crate::store::StoreError::NotFound);
                }
                Ok(())
            }

            async fn hosted_pages(
                &self,
                account_id: uuid::Uuid,
            ) -> Result<bool, $crate::store::StoreError> {
                let row: Option<(i16,)> =
                    sqlx::query_as("SELECT hosted_pages FROM accounts WHERE id = $1")
                        .bind($crate::store::types::DbId(account_id))
                        .fetch_optional(&self.pool)
                        .await?;
                match row {
                    Some((flag,)) => Ok(flag != 0),
                    None => Err($crate::store::StoreError::NotFound),
                }
            }
        }
    };
}

pub(crate) use impl_pages_store;
