//! The SQLite store: one file, WAL with `synchronous=FULL` so that a success
//! answer means the lead is on disk. SQLite has one writer at a time, so write
//! transactions queue for a single dedicated connection (fair, FIFO) instead of
//! spinning in SQLite's busy handler; reads use their own pool.

use std::str::FromStr;
use std::time::Duration;

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use super::StoreError;
use crate::config::DatabaseSettings;

type DbKind = sqlx::Sqlite;

/// Storage in a SQLite file.
#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    /// One connection: every write transaction, in turn.
    writer: SqlitePool,
}

impl SqliteStore {
    /// Open (creating if missing) the file named by the URL.
    pub async fn connect(settings: &DatabaseSettings) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(&settings.url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_millis(settings.sqlite_busy_timeout_ms));
        let acquire = Duration::from_secs(settings.acquire_timeout_seconds);
        let pool = SqlitePoolOptions::new()
            .max_connections(settings.max_connections.max(1))
            .acquire_timeout(acquire)
            .connect_with(options.clone())
            .await?;
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(acquire)
            .connect_with(options)
            .await?;
        Ok(SqliteStore { pool, writer })
    }

    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, DbKind>, StoreError> {
        // Take the write lock now, so a transaction never has to upgrade a read.
        Ok(self.writer.begin_with("BEGIN IMMEDIATE").await?)
    }

    async fn run_migrations(&self) -> Result<(), StoreError> {
        sqlx::migrate!("./migrations/sqlite")
            .run(&self.pool)
            .await?;
        Ok(())
    }
}

super::admin::impl_admin_store!(SqliteStore);
super::shared::impl_store!(SqliteStore, "sqlite");
super::jobs::impl_job_store!(SqliteStore, "");
super::pages::impl_pages_store!(SqliteStore);
