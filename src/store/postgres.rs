//! The PostgreSQL backend: a shared server, several `serve` processes at once.
//! A due job is claimed by an UPDATE that checks again that it is still due, so
//! workers of different processes never take the same job, and a job queued by
//! one process wakes the workers of all of them (LISTEN/NOTIFY, `wakeup.rs`).

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgQueryResult, PgRow};
use sqlx::{Executor, PgConnection, PgPool, Postgres};
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use super::StoreError;
use super::attempt_groups::{AttemptGroups, FinishAttempts};
use super::jobs::{ClaimWalk, claim_statement};
use super::lead_groups::{AcceptLeads, LeadGroups};
use super::sql::{Backend, Param, Query, Record, SqlStore};
use crate::config::DatabaseSettings;

/// Storage on PostgreSQL.
pub type PgStore = SqlStore<Postgres>;

static MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

impl Backend for Postgres {
    const BACKEND: &'static str = "postgres";
    const BEGIN_WRITE: &'static str = "BEGIN";
    const LEAD_IN_ONE_STATEMENT: bool = true;
    const CLAIM_ALONE: bool = true;

    fn claim_due_jobs_sql() -> &'static str {
        static CLAIM: LazyLock<String> = LazyLock::new(|| claim_statement(ClaimWalk::Lateral));
        &CLAIM
    }

    fn listen_for_jobs(
        pool: &PgPool,
        wake: Arc<Notify>,
        shutdown: watch::Receiver<bool>,
    ) -> Option<JoinHandle<()>> {
        Some(super::wakeup::spawn(pool, wake, shutdown))
    }

    async fn run_migrations(pool: &PgPool) -> Result<(), StoreError> {
        MIGRATIONS.run(pool).await?;
        Ok(())
    }

    fn bind<T: Param>(query: Query<Self>, value: T) -> Query<Self> {
        query.bind(value)
    }

    fn record<R: Record>(row: &PgRow) -> Result<R, sqlx::Error> {
        R::from_row(row)
    }

    fn rows_affected(result: &PgQueryResult) -> u64 {
        result.rows_affected()
    }

    fn on_pool(pool: &PgPool) -> impl Executor<'_, Database = Self> {
        pool
    }

    fn on_conn(conn: &mut PgConnection) -> impl Executor<'_, Database = Self> {
        conn
    }
}

impl PgStore {
    /// Open a pool (lazily: a down server makes requests fail with ct105, not start-up).
    pub async fn connect(settings: &DatabaseSettings) -> Result<Self, StoreError> {
        let options: PgConnectOptions = settings.url.parse()?;
        Ok(Self::with_options(options, settings))
    }

    /// A pool on the given options (tests use this to pick a schema).
    pub fn with_options(options: PgConnectOptions, settings: &DatabaseSettings) -> Self {
        // No JIT compilation: the service's statements are short, and the claim's
        // recursive plan is estimated costly enough to be compiled on every run, which
        // takes far longer (tens of milliseconds) than running it.
        let options = options.options([("jit", "off")]);
        let pool = PgPoolOptions::new()
            .max_connections(settings.max_connections)
            .acquire_timeout(Duration::from_secs(settings.acquire_timeout_seconds))
            .connect_lazy_with(options.clone());
        // A worker's loop claims one batch at a time: two connections are plenty.
        let claims = PgPoolOptions::new()
            .max_connections(2)
            .acquire_timeout(Duration::from_secs(settings.acquire_timeout_seconds))
            .connect_lazy_with(options.options([("synchronous_commit", "off")]));
        let mut store = SqlStore::from_pools(pool.clone(), pool);
        store.claims = claims;
        // Leads are written in groups by half the pool's connections at most (the
        // rest serve reads and deliveries meanwhile); outside a runtime, one by one.
        if tokio::runtime::Handle::try_current().is_ok() {
            let writers = usize::try_from(settings.max_connections / 2).unwrap_or(1);
            store.lead_groups = Some(LeadGroups::start(&store.writer, writers, AcceptLeads));
            // The deliveries' attempts likewise, by an eighth of them.
            let writers = usize::try_from(settings.max_connections / 8).unwrap_or(1);
            store.attempt_groups =
                Some(AttemptGroups::start(&store.writer, writers, FinishAttempts));
        }
        store
    }
}
