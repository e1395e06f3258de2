//! Backup: a consistent copy of a SQLite store made while it serves (`VACUUM INTO`). PostgreSQL
//! has its own tool (`pg_dump`), so there this answers [`StoreError::Unsupported`].

use super::StoreError;
use super::sql::{Backend, Bind, SqlStore, sql};

/// Copying the store.
#[async_trait::async_trait]
pub trait BackupStore: Send + Sync {
    /// Write a consistent copy of the database to the file `path`, which must not exist.
    async fn backup_into(&self, path: &str) -> Result<(), StoreError>;
}

#[async_trait::async_trait]
impl<DB: Backend> BackupStore for SqlStore<DB> {
    async fn backup_into(&self, path: &str) -> Result<(), StoreError> {
        if DB::BACKEND != "sqlite" {
            return Err(StoreError::Unsupported("backup of PostgreSQL: use pg_dump"));
        }
        // A read transaction of its own: writers go on while the copy is made.
        let query = sql("VACUUM INTO $1").param(path.to_string());
        super::sql::execute(query, DB::on_pool(&self.pool)).await?;
        Ok(())
    }
}
