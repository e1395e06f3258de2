//! The SQLite backend: one file, WAL with `synchronous=FULL` so that a success
//! answer means the lead is on disk. SQLite has one writer at a time, so write
//! transactions queue for a single dedicated connection (fair, FIFO) and take
//! the write lock at once (`BEGIN IMMEDIATE`) instead of spinning in SQLite's
//! busy handler; reads use their own pool.

use std::str::FromStr;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteQueryResult, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{Executor, Sqlite, SqliteConnection, SqlitePool};
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use super::StoreError;
use super::group_commit::GroupCommit;
use super::jobs::{ClaimWalk, claim_statement};
use super::sql::{Backend, Param, Query, Record, SqlStore};
use crate::config::DatabaseSettings;

/// Storage in a SQLite file.
pub type SqliteStore = SqlStore<Sqlite>;

static MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");

impl Backend for Sqlite {
    const BACKEND: &'static str = "sqlite";
    // Take the write lock now, so a transaction never has to upgrade a read.
    const BEGIN_WRITE: &'static str = "BEGIN IMMEDIATE";
    const LEAD_IN_ONE_STATEMENT: bool = false;
    const CLAIM_ALONE: bool = false;

    fn claim_due_jobs_sql() -> &'static str {
        static CLAIM: LazyLock<String> = LazyLock::new(|| claim_statement(ClaimWalk::Scalar));
        &CLAIM
    }

    fn listen_for_jobs(
        _pool: &SqlitePool,
        _wake: Arc<Notify>,
        _shutdown: watch::Receiver<bool>,
    ) -> Option<JoinHandle<()>> {
        // One process per file: the in-process signal reaches every worker.
        None
    }

    async fn run_migrations(pool: &SqlitePool) -> Result<(), StoreError> {
        MIGRATIONS.run(pool).await?;
        Ok(())
    }

    fn bind<T: Param>(query: Query<Self>, value: T) -> Query<Self> {
        query.bind(value)
    }

    fn record<R: Record>(row: &SqliteRow) -> Result<R, sqlx::Error> {
        R::from_row(row)
    }

    fn rows_affected(result: &SqliteQueryResult) -> u64 {
        result.rows_affected()
    }

    fn on_pool(pool: &SqlitePool) -> impl Executor<'_, Database = Self> {
        pool
    }

    fn on_conn(conn: &mut SqliteConnection) -> impl Executor<'_, Database = Self> {
        conn
    }
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
        // One connection: every write transaction, in turn. Its savepoint sub-journals
        // stay in memory, not in temporary files: each lead of a group writes under two
        // savepoints, and each first change of a page under one would otherwise be a
        // write() to a temporary file. (Readers keep large sorts on disk.)
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(acquire)
            .connect_with(options.pragma("temp_store", "memory"))
            .await?;
        let mut store = SqlStore::from_pools(pool, writer);
        // Leads are committed in groups on the writer.
        store.group = Some(GroupCommit::start(store.writer.clone())?);
        Ok(store)
    }
}
