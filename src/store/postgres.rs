//! The PostgreSQL store: a shared server, several `serve` processes at once.

use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use super::StoreError;
use crate::config::DatabaseSettings;

type DbKind = sqlx::Postgres;

/// Storage on PostgreSQL.
#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Open a pool (lazily: a down server makes requests fail with ct105, not start-up).
    pub async fn connect(settings: &DatabaseSettings) -> Result<Self, StoreError> {
        let options: PgConnectOptions = settings.url.parse()?;
        Ok(Self::with_options(options, settings))
    }

    /// A pool on the given options (tests use this to pick a schema).
    pub fn with_options(options: PgConnectOptions, settings: &DatabaseSettings) -> Self {
        let pool = PgPoolOptions::new()
            .max_connections(settings.max_connections)
            .acquire_timeout(Duration::from_secs(settings.acquire_timeout_seconds))
            .connect_lazy_with(options);
        PgStore { pool }
    }

    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, DbKind>, StoreError> {
        Ok(self.pool.begin().await?)
    }

    async fn run_migrations(&self) -> Result<(), StoreError> {
        sqlx::migrate!("./migrations/postgres")
            .run(&self.pool)
            .await?;
        Ok(())
    }
}

super::admin::impl_admin_store!(PgStore);
super::shared::impl_store!(PgStore, "postgres");
super::jobs::impl_job_store!(PgStore, "FOR UPDATE SKIP LOCKED");
super::pages::impl_pages_store!(PgStore);
