//! Storage: one [`Store`] trait made of narrow parts (one per domain), one
//! generic implementation [`SqlStore`] on PostgreSQL or SQLite chosen by the URL
//! scheme, and the records they read and write. All SQL lives here: written once
//! in `sql.rs` and the domain files, with only the dialect differences in
//! `postgres.rs` and `sqlite.rs`.

mod accounts;
mod attempt_groups;
mod audit;
mod automation;
mod backup;
mod clients;
mod console;
mod credentials;
mod erasure;
mod group_commit;
mod hearing;
mod inbound;
mod job_enums;
mod jobs;
mod key_cache;
mod lead_details;
mod lead_groups;
mod lead_statement;
mod model;
mod pages;
mod people;
mod pg_groups;
mod postgres;
mod queue;
mod records;
mod retention;
mod spam;
mod sql;
mod sqlite;
mod sqlite_handle;
mod sqlite_lead;
mod submissions;
mod types;
mod wakeup;

use std::sync::Arc;

use uuid::Uuid;

use crate::config::DatabaseSettings;

pub use accounts::AccountStore;
pub use audit::{ActorKind, AuditActor, AuditEntry, AuditFilter, AuditStore, NewAuditEntry};
pub use automation::AutomationStore;
pub use backup::BackupStore;
pub use clients::ClientStore;
pub use console::ConsoleStore;
pub use credentials::{ApiTokenInfo, CredentialStore, NewApiToken, OwnedObject, SessionInfo};
pub use erasure::{CLIENT_ERASURE, EmailErasure, ErasureStep, ErasureStore};
pub use hearing::{AUTOREPLY_SUPPRESSED, AutoreplyStore, address_hash};
pub use inbound::{InboundStore, ReparseOutcome, StoredParser, VendorLead, generate_inbound_token};
pub use job_enums::{JobKind, JobState, UnknownName};
pub use jobs::{AccountRef, DeliveryContext, JobNext, JobStore, NewAttempt};
pub use lead_details::{LeadDetailStore, LeadOrigin};
pub use model::*;
pub use pages::PagesStore;
pub use people::{
    InviteUse, Member, Membership, NewInvite, NewUser, OwnerCheck, PeopleStore, User, UserLogin,
};
pub use postgres::PgStore;
pub use queue::{JobAttempt, JobFilter, JobWithAttempts, QueueStore, RetryOutcome};
pub use retention::{DEFAULT_SUBMISSION_LOG_DAYS, Retention, RetentionStore};
pub use spam::{ReleaseOutcome, SourceOrigins, SpamStore};
pub use sql::{Backend, SqlStore};
pub use sqlite::SqliteStore;
pub use submissions::IntakeStore;

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No such object (or not one of the account's).
    #[error("not found")]
    NotFound,
    /// A value that must be unique already exists (a web_key, say).
    #[error("{0} is already taken")]
    Conflict(&'static str),
    /// The database failed or could not be reached: not the caller's fault.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// The database failed on SQLite's group-commit path (its raw handle).
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The schema could not be brought up to date.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The URL names no backend this build knows.
    #[error("unsupported database URL (expected sqlite:// or postgres://): {0}")]
    UnsupportedUrl(String),
    /// This backend does not do this (a SQLite backup on PostgreSQL).
    #[error("not supported here: {0}")]
    Unsupported(&'static str),
}

/// Open the store named by `settings.url` (created if it is a missing SQLite file).
pub async fn connect(settings: &DatabaseSettings) -> Result<Arc<dyn Store>, StoreError> {
    let url = settings.url.as_str();
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PgStore::connect(settings).await?))
    } else if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::connect(settings).await?))
    } else {
        Err(StoreError::UnsupportedUrl(url.to_string()))
    }
}

/// Everything the service keeps, behind one interface for both backends. Each
/// part is its own trait, so that a component can ask for only what it uses.
#[async_trait::async_trait]
pub trait Store:
    AccountStore
    + AutomationStore
    + IntakeStore
    + ClientStore
    + JobStore
    + QueueStore
    + PagesStore
    + SpamStore
    + PeopleStore
    + CredentialStore
    + InboundStore
    + RetentionStore
    + ErasureStore
    + AuditStore
    + BackupStore
    + AutoreplyStore
    + ConsoleStore
    + LeadDetailStore
    + Send
    + Sync
    + 'static
{
    /// `"postgres"` or `"sqlite"`.
    fn backend(&self) -> &'static str;
    /// Bring the schema up to date.
    async fn migrate(&self) -> Result<(), StoreError>;
    /// Is the database reachable?
    async fn ping(&self) -> Result<(), StoreError>;
    /// Connections of the pool: open, idle, and the most allowed.
    fn pool_stats(&self) -> PoolStats;
    /// Signalled when a job due now has been queued: by this process, and on
    /// PostgreSQL by any process once [`Store::listen_for_jobs`] runs.
    fn jobs_queued(&self) -> Arc<tokio::sync::Notify>;
    /// Start relaying jobs queued by other processes into [`Store::jobs_queued`]
    /// (PostgreSQL LISTEN/NOTIFY, reconnecting in the background, never failing);
    /// it stops when `shutdown` turns true. `None` on SQLite. The delivery worker
    /// starts it: a CLI's store never listens.
    fn listen_for_jobs(
        &self,
        shutdown: tokio::sync::watch::Receiver<bool>,
    ) -> Option<tokio::task::JoinHandle<()>>;
    /// Close the pools once their connections are returned (new requests for one
    /// fail). On SQLite the last connection's close checkpoints the WAL into the
    /// database file and removes it, so the file alone is a whole copy.
    async fn close(&self);
}

#[async_trait::async_trait]
impl<DB: Backend> Store for SqlStore<DB> {
    fn backend(&self) -> &'static str {
        DB::BACKEND
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        DB::run_migrations(&self.pool).await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sql::execute(sql::sql("SELECT 1"), DB::on_pool(&self.pool)).await?;
        Ok(())
    }

    fn pool_stats(&self) -> PoolStats {
        PoolStats {
            open: self.pool.size(),
            idle: self.pool.num_idle() as u32,
            max: self.pool.options().get_max_connections(),
        }
    }

    fn jobs_queued(&self) -> Arc<tokio::sync::Notify> {
        self.jobs_queued.clone()
    }

    fn listen_for_jobs(
        &self,
        shutdown: tokio::sync::watch::Receiver<bool>,
    ) -> Option<tokio::task::JoinHandle<()>> {
        DB::listen_for_jobs(&self.pool, self.jobs_queued.clone(), shutdown)
    }

    async fn close(&self) {
        self.claims.close().await;
        self.writer.close().await;
        self.pool.close().await;
    }
}

/// A new random web_key: 144 random bits, URL-safe.
pub fn generate_web_key() -> String {
    use base64::Engine;
    let bytes: [u8; 18] = rand::random();
    format!(
        "lp_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// A new time-ordered id.
pub fn new_id() -> Uuid {
    Uuid::now_v7()
}
