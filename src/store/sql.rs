//! The one SQL implementation of the store, generic over the backend.
//!
//! The SQL is written once in the dialect PostgreSQL and SQLite share (`$N`
//! parameters, `ON CONFLICT`, `RETURNING`); the column types that differ go
//! through [`DbId`](super::types::DbId) and [`DbTime`](super::types::DbTime).
//! What truly differs per backend — how a write transaction starts, how due jobs
//! are locked, the migrations — is the [`Backend`] trait, implemented in
//! `postgres.rs` and `sqlite.rs`.
//!
//! sqlx states "this type can be bound/read on this backend" as bounds on the
//! value types, which Rust does not carry from a trait to its users. So instead
//! of repeating those bounds on every impl, values go through [`Param`] and rows
//! through [`Record`] — both satisfied by a type that both backends read and write —
//! and [`Backend`] turns them into the backend's own calls with one-line methods.

use std::future::Future;
use std::sync::Arc;

use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use sqlx::error::ErrorKind;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::{Database, Encode, Executor, FromRow, IntoArguments, Pool, Postgres, Sqlite, Type};

use super::StoreError;
use super::attempt_groups::AttemptGroups;
use super::group_commit::GroupCommit;
use super::key_cache::KeyCache;
use super::lead_groups::LeadGroups;

/// A query of the shared SQL, before or after its parameters are bound.
pub(super) type Query<DB> = sqlx::query::Query<'static, DB, <DB as Database>::Arguments>;

/// A value both backends can bind as a parameter.
pub trait Param:
    Encode<'static, Postgres> + Type<Postgres> + Encode<'static, Sqlite> + Type<Sqlite> + Send
{
}

impl<T> Param for T where
    T: Encode<'static, Postgres> + Type<Postgres> + Encode<'static, Sqlite> + Type<Sqlite> + Send
{
}

/// A row shape both backends can read (a `#[derive(sqlx::FromRow)]` record).
pub trait Record:
    for<'r> FromRow<'r, PgRow> + for<'r> FromRow<'r, SqliteRow> + Send + Unpin
{
}

impl<T> Record for T where
    T: for<'r> FromRow<'r, PgRow> + for<'r> FromRow<'r, SqliteRow> + Send + Unpin
{
}

/// What one database does its own way; everything else is shared.
pub trait Backend: Database<Arguments: IntoArguments<Self>> {
    /// `"postgres"` or `"sqlite"`.
    const BACKEND: &'static str;
    /// The statement that opens a write transaction.
    const BEGIN_WRITE: &'static str;
    /// Whether a valid lead is stored by one statement (the database's
    /// `leadpost_accept_lead`, lead_statement.rs) instead of a transaction of many.
    const LEAD_IN_ONE_STATEMENT: bool;
    /// Whether a claim runs as one statement on the store's claim pool
    /// (PostgreSQL: its connections commit without waiting for the disk, since a
    /// claim lost in a crash only leaves the job due again and delivery is at
    /// least once either way; one round trip instead of four). Otherwise it runs
    /// in a write transaction that takes SQLite's write lock before the statement
    /// reads, so a write by another process in between cannot fail its upgrade.
    const CLAIM_ALONE: bool;

    /// The statement that claims due jobs: it locks the chosen rows so other
    /// workers skip them on PostgreSQL; SQLite's writes are serial already.
    fn claim_due_jobs_sql() -> &'static str;
    /// Start relaying the database's "a job due now was queued" notifications,
    /// from whichever process queued it, into `wake`, until `shutdown` turns true;
    /// `None` where this process's own signal is all there is (SQLite: one
    /// process per file).
    fn listen_for_jobs(
        pool: &Pool<Self>,
        wake: Arc<Notify>,
        shutdown: watch::Receiver<bool>,
    ) -> Option<JoinHandle<()>>;
    /// Bring the schema up to date.
    fn run_migrations(pool: &Pool<Self>) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Bind one parameter.
    fn bind<T: Param>(query: Query<Self>, value: T) -> Query<Self>;
    /// Read a record from a row.
    fn record<R: Record>(row: &Self::Row) -> Result<R, sqlx::Error>;
    /// How many rows a statement changed.
    fn rows_affected(result: &Self::QueryResult) -> u64;
    /// The pool as a place to run queries.
    fn on_pool(pool: &Pool<Self>) -> impl Executor<'_, Database = Self>;
    /// A connection (inside a transaction) as a place to run queries.
    fn on_conn(conn: &mut Self::Connection) -> impl Executor<'_, Database = Self>;
}

/// The store on one backend: a pool for reads and a pool for write transactions
/// (the same pool on PostgreSQL; one dedicated connection on SQLite).
///
/// Leads go through the group committer when the backend has one (SQLite), and
/// web_key lookups through a short-lived cache that every other write forgets.
#[derive(Clone)]
pub struct SqlStore<DB: Database> {
    pub(super) pool: Pool<DB>,
    pub(super) writer: Pool<DB>,
    /// Where claims run when the backend claims with one statement
    /// ([`Backend::CLAIM_ALONE`]); the writer otherwise.
    pub(super) claims: Pool<DB>,
    pub(super) group: Option<GroupCommit>,
    /// PostgreSQL's lead writers, committing the leads queued together in groups.
    pub(super) lead_groups: Option<LeadGroups>,
    /// PostgreSQL's attempt writers, recording the deliveries' attempts in groups.
    pub(super) attempt_groups: Option<AttemptGroups>,
    pub(super) keys: Arc<KeyCache>,
    /// Signalled when a job due now was queued, so a worker need not wait for its poll.
    pub(super) jobs_queued: Arc<Notify>,
}

/// A connection of the backend (inside a transaction, for writes).
pub(super) type Conn<DB> = <DB as Database>::Connection;

/// An open write transaction.
pub(super) type Tx<DB> = sqlx::Transaction<'static, DB>;

impl<DB: Backend> SqlStore<DB> {
    /// A store on a read pool and a write pool.
    pub(super) fn from_pools(pool: Pool<DB>, writer: Pool<DB>) -> Self {
        SqlStore {
            pool,
            claims: writer.clone(),
            writer,
            group: None,
            lead_groups: None,
            attempt_groups: None,
            keys: Arc::default(),
            jobs_queued: Arc::default(),
        }
    }

    /// Open a write transaction (which may change a web_key's owner: the key cache
    /// forgets what it holds).
    pub(super) async fn begin_write(&self) -> Result<Tx<DB>, StoreError> {
        self.keys.forget_all();
        self.begin_hot_write().await
    }

    /// Open a write transaction that changes no key, account or lead source (the
    /// intake and delivery hot paths): the key cache keeps what it holds.
    pub(super) async fn begin_hot_write(&self) -> Result<Tx<DB>, StoreError> {
        Ok(self.writer.begin_with(DB::BEGIN_WRITE).await?)
    }

    /// All rows of a read.
    pub(super) async fn read_all<R: Record>(&self, query: Query<DB>) -> Result<Vec<R>, StoreError> {
        fetch_all(query, DB::on_pool(&self.pool)).await
    }

    /// The row of a read, if there is one.
    pub(super) async fn read_optional<R: Record>(
        &self,
        query: Query<DB>,
    ) -> Result<Option<R>, StoreError> {
        fetch_optional(query, DB::on_pool(&self.pool)).await
    }

    /// The row of a read; [`StoreError::NotFound`] if there is none.
    pub(super) async fn read_one<R: Record>(&self, query: Query<DB>) -> Result<R, StoreError> {
        self.read_optional(query).await?.ok_or(StoreError::NotFound)
    }

    /// Run one statement on the write connection, outside a transaction; the
    /// number of rows it changed.
    pub(super) async fn write(&self, query: Query<DB>) -> Result<u64, StoreError> {
        let changed = execute(query, DB::on_pool(&self.writer)).await;
        self.keys.forget_all();
        changed
    }
}

/// A query on `text`, ready for its parameters.
pub(super) fn sql<DB: Backend>(text: &'static str) -> Query<DB> {
    sqlx::query(text)
}

/// A query on text put together at start-up (from constant parts only).
pub(super) fn sql_built<DB: Backend>(text: &str) -> Query<DB> {
    sqlx::query(sqlx::AssertSqlSafe(text.to_string()))
}

/// Ids for an `IN ($1, $2, …)` list: padded to a power of two by repeating the
/// last id, so a handful of statement texts (each prepared once per connection)
/// serve every length.
pub(super) struct IdList {
    placeholders: String,
    ids: Vec<super::types::DbId>,
}

impl IdList {
    /// The list of `ids` (at least one: `IN ()` is not SQL).
    pub(super) fn new(ids: &[uuid::Uuid]) -> Self {
        let mut ids: Vec<super::types::DbId> =
            ids.iter().copied().map(super::types::DbId).collect();
        if let Some(&last) = ids.last() {
            ids.resize(ids.len().next_power_of_two(), last);
        }
        let placeholders: Vec<String> = (1..=ids.len()).map(|n| format!("${n}")).collect();
        IdList {
            placeholders: placeholders.join(", "),
            ids,
        }
    }

    /// The statement `text` makes of the placeholders, with the ids bound.
    pub(super) fn query<DB: Backend>(&self, text: impl FnOnce(&str) -> String) -> Query<DB> {
        let text = text(&self.placeholders);
        self.ids
            .iter()
            .fold(sql_built(&text), |query, id| query.param(*id))
    }
}

/// Binding parameters through [`Backend::bind`].
pub(super) trait Bind {
    /// Bind the next parameter.
    fn param<T: Param>(self, value: T) -> Self;
}

impl<DB: Backend> Bind for Query<DB> {
    fn param<T: Param>(self, value: T) -> Self {
        DB::bind(self, value)
    }
}

/// All rows of a query, as records.
pub(super) async fn fetch_all<'c, DB: Backend, R: Record>(
    query: Query<DB>,
    on: impl Executor<'c, Database = DB>,
) -> Result<Vec<R>, StoreError> {
    let rows = query.fetch_all(on).await?;
    Ok(rows.iter().map(DB::record).collect::<Result<_, _>>()?)
}

/// The row of a query, if any, as a record.
pub(super) async fn fetch_optional<'c, DB: Backend, R: Record>(
    query: Query<DB>,
    on: impl Executor<'c, Database = DB>,
) -> Result<Option<R>, StoreError> {
    match query.fetch_optional(on).await? {
        Some(row) => Ok(Some(DB::record(&row)?)),
        None => Ok(None),
    }
}

/// Run a statement; the number of rows it changed.
pub(super) async fn execute<'c, DB: Backend>(
    query: Query<DB>,
    on: impl Executor<'c, Database = DB>,
) -> Result<u64, StoreError> {
    Ok(DB::rows_affected(&query.execute(on).await?))
}

/// Map a unique violation to [`StoreError::Conflict`], anything else to a database error.
pub(super) fn conflict_or(err: StoreError, what: &'static str) -> StoreError {
    match &err {
        StoreError::Database(db)
            if matches!(
                db.as_database_error().map(|e| e.kind()),
                Some(ErrorKind::UniqueViolation)
            ) =>
        {
            StoreError::Conflict(what)
        }
        _ => err,
    }
}

/// `msg_` + a fresh id: the `webhook-id` a job keeps across retries.
pub(super) fn message_id() -> String {
    format!("msg_{}", super::new_id().simple())
}
