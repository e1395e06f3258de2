//! What the data tests share: searching every table of the schema for a text, and running the
//! purge as of a chosen moment.

use leadpost::service::retention::{self, PurgeCounts};
use sqlx::{Connection, PgConnection, Row, SqliteConnection};
use time::OffsetDateTime;

use super::{RawDb, TestApp};

impl TestApp {
    /// Every table of the schema (read from the catalog) whose rows carry `needle` in any case,
    /// with how many rows do.
    pub async fn tables_carrying(&self, needle: &str) -> Vec<(String, i64)> {
        let pattern = format!("%{}%", needle.to_lowercase());
        let mut found = Vec::new();
        match &self.raw {
            RawDb::Sqlite(url) => {
                let mut conn = SqliteConnection::connect(url).await.expect("sqlite");
                let tables: Vec<String> = sqlx::query_scalar(
                    "SELECT name FROM sqlite_master WHERE type = 'table' \
                     AND name NOT LIKE 'sqlite_%'",
                )
                .fetch_all(&mut conn)
                .await
                .expect("tables");
                assert!(tables.len() > 10, "{tables:?}");
                for table in tables {
                    let columns: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                        "SELECT name FROM pragma_table_info('{table}')"
                    )))
                    .fetch_all(&mut conn)
                    .await
                    .expect("columns");
                    let text = columns
                        .iter()
                        .map(|c| format!("COALESCE(CAST(\"{c}\" AS TEXT), '')"))
                        .collect::<Vec<_>>()
                        .join(" || ' ' || ");
                    let sql =
                        format!("SELECT COUNT(*) FROM \"{table}\" WHERE LOWER({text}) LIKE ?");
                    let count: i64 = sqlx::query(sqlx::AssertSqlSafe(sql))
                        .bind(&pattern)
                        .fetch_one(&mut conn)
                        .await
                        .expect("count")
                        .get(0);
                    if count > 0 {
                        found.push((table, count));
                    }
                }
            }
            RawDb::Postgres(options) => {
                let mut conn = PgConnection::connect_with(options.as_ref())
                    .await
                    .expect("postgres");
                let tables: Vec<String> = sqlx::query_scalar(
                    "SELECT table_name::text FROM information_schema.tables \
                     WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
                )
                .fetch_all(&mut conn)
                .await
                .expect("tables");
                assert!(tables.len() > 10, "{tables:?}");
                for table in tables {
                    let sql =
                        format!("SELECT COUNT(*) FROM \"{table}\" t WHERE LOWER(t::text) LIKE $1");
                    let count: i64 = sqlx::query(sqlx::AssertSqlSafe(sql))
                        .bind(&pattern)
                        .fetch_one(&mut conn)
                        .await
                        .expect("count")
                        .get(0);
                    if count > 0 {
                        found.push((table, count));
                    }
                }
            }
        }
        found
    }

    /// Run the purge as if it were `now`.
    pub async fn purge_at(&self, now: OffsetDateTime) -> PurgeCounts {
        retention::purge(self.store.as_ref(), now)
            .await
            .expect("purge runs")
    }
}
