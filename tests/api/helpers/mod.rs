//! `spawn_app`: a real server on a loopback port over a fresh store, SQLite (a
//! new file) or PostgreSQL (a new schema, dropped afterwards), and what tests do
//! with it; `process`: the real binary.

pub mod inbound;
pub mod people;
pub mod process;
pub mod redis;
pub mod spam;

use std::sync::Arc;

use leadpost::app::Application;
use leadpost::config::{DeliverySettings, Settings, parse_bool};
use leadpost::store::{
    Account, Client, LeadSource, NewAccount, NewLeadSource, Page, PgStore, SqliteStore, Store,
};
use leadpost::telemetry::Metrics;
use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection};

/// Which store a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A running service and its store.
pub struct TestApp {
    pub address: String,
    pub store: Arc<dyn Store>,
    pub http: reqwest::Client,
    pub settings: Settings,
    pub backend: Backend,
    /// The service's own metrics (a worker a test drives counts into them).
    pub metrics: Metrics,
    /// The SMTP listener's address, when the settings turn it on.
    pub smtp: Option<std::net::SocketAddr>,
    raw: RawDb,
    _guard: Guard,
}

/// The admin token every test app is configured with.
pub const ADMIN_TOKEN: &str = "test-admin-token-0123456789";

/// How a test reaches its database directly, to set up states no API makes.
#[derive(Clone)]
enum RawDb {
    Sqlite(String),
    Postgres(Box<PgConnectOptions>),
}

enum Guard {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    /// Test schemas are named `t_<unix seconds>_<random>`; old ones are swept at
    /// the start of later tests (dropping here could wait on this test's own
    /// still-open connections).
    Postgres,
}

/// How long a test schema is kept before a later test sweeps it away.
const SCHEMA_TTL_SECONDS: u64 = 3600;

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// Drop test schemas left by runs more than an hour old.
async fn sweep_old_schemas(conn: &mut PgConnection) {
    let names: Vec<(String,)> =
        sqlx::query_as("SELECT nspname::text FROM pg_namespace WHERE nspname LIKE 't\\_%\\_%'")
            .fetch_all(&mut *conn)
            .await
            .unwrap_or_default();
    let cutoff = unix_now().saturating_sub(SCHEMA_TTL_SECONDS);
    for (name,) in names {
        let created = name.split('_').nth(1).and_then(|t| t.parse::<u64>().ok());
        if created.is_some_and(|t| t < cutoff) {
            let sql = format!("SET lock_timeout = '1s'; DROP SCHEMA IF EXISTS \"{name}\" CASCADE");
            let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                .execute(&mut *conn)
                .await;
        }
    }
}

/// The PostgreSQL the tests use: `LEADPOST_TEST_POSTGRES_URL`, else the machine's own.
pub fn postgres_url() -> String {
    std::env::var("LEADPOST_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string())
}

/// When set (CI does), a PostgreSQL that cannot be reached fails the test instead of skipping it.
fn postgres_required() -> bool {
    std::env::var("LEADPOST_REQUIRE_POSTGRES").is_ok_and(|v| parse_bool(&v) == Some(true))
}

pub fn base_settings() -> Settings {
    let mut settings = Settings::load_from(None).expect("default settings");
    settings.server.bind = "127.0.0.1:0".into();
    settings.database.max_connections = 5;
    settings.admin.token = ADMIN_TOKEN.into();
    // Tests drive the delivery worker themselves (`Worker::run_once`).
    settings.delivery.concurrency = 0;
    // CAPTCHA providers: one loopback stub for the whole test run (spam::captcha_stub).
    let stub = spam::captcha_stub();
    settings.spam.turnstile_verify_url = stub.join("turnstile").expect("url").into();
    settings.spam.hcaptcha_verify_url = stub.join("hcaptcha").expect("url").into();
    settings.spam.recaptcha_verify_url = stub.join("recaptcha").expect("url").into();
    settings
}

/// A fresh store of the given backend; `None` when PostgreSQL is absent and not required.
pub async fn fresh_store(
    backend: Backend,
    mut settings: Settings,
) -> Option<(Arc<dyn Store>, Settings, GuardHandle)> {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("temp dir");
            settings.database.url =
                format!("sqlite://{}", dir.path().join("leadpost.db").display());
            let store = SqliteStore::connect(&settings.database)
                .await
                .expect("sqlite opens");
            store.migrate().await.expect("sqlite migrations");
            let raw = RawDb::Sqlite(settings.database.url.clone());
            Some((
                Arc::new(store),
                settings,
                GuardHandle(Guard::Sqlite(dir), raw),
            ))
        }
        Backend::Postgres => {
            let (url, schema) = create_test_schema().await?;
            let options = schema_options(&url, &schema);
            settings.database.url = url;
            let store = PgStore::with_options(options.clone(), &settings.database);
            store.migrate().await.expect("postgres migrations");
            let raw = RawDb::Postgres(Box::new(options));
            Some((Arc::new(store), settings, GuardHandle(Guard::Postgres, raw)))
        }
    }
}

/// A new empty schema on the test PostgreSQL: `(url, schema)`, or `None` when
/// PostgreSQL is absent and not required.
pub async fn create_test_schema() -> Option<(String, String)> {
    let url = postgres_url();
    let mut admin = match PgConnection::connect(&url).await {
        Ok(conn) => conn,
        Err(e) if !postgres_required() => {
            eprintln!(
                "SKIPPED: PostgreSQL not reachable at {url} ({e}); set LEADPOST_REQUIRE_POSTGRES=1 to fail instead"
            );
            return None;
        }
        Err(e) => panic!("PostgreSQL is required but not reachable at {url}: {e}"),
    };
    sweep_old_schemas(&mut admin).await;
    let schema = format!("t_{}_{}", unix_now(), uuid::Uuid::new_v4().simple());
    let sql = format!("CREATE SCHEMA \"{schema}\"");
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .execute(&mut admin)
        .await
        .expect("create schema");
    Some((url, schema))
}

/// Connection options for `url` that work inside `schema`.
pub fn schema_options(url: &str, schema: &str) -> PgConnectOptions {
    url.parse::<PgConnectOptions>()
        .expect("postgres url")
        .options([("search_path", schema)])
}

/// Keeps a test's database alive (a SQLite file's folder) and reachable for `exec`.
pub struct GuardHandle(Guard, RawDb);

impl GuardHandle {
    /// For a PostgreSQL schema made by [`create_test_schema`], reached with `options`.
    pub fn postgres(options: PgConnectOptions) -> Self {
        GuardHandle(Guard::Postgres, RawDb::Postgres(Box::new(options)))
    }
}

/// Start the service on a fresh store; `None` when PostgreSQL is skipped.
pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, |_| {}).await
}

/// As [`spawn_app`], with settings changed first.
pub async fn spawn_app_with(
    backend: Backend,
    change: impl FnOnce(&mut Settings),
) -> Option<TestApp> {
    let mut settings = base_settings();
    change(&mut settings);
    let (store, settings, guard) = fresh_store(backend, settings).await?;
    Some(serve(store, settings, guard, backend).await)
}

/// Start the service on an opened store.
pub async fn serve(
    store: Arc<dyn Store>,
    settings: Settings,
    GuardHandle(guard, raw): GuardHandle,
    backend: Backend,
) -> TestApp {
    let app = Application::with_store(settings.clone(), store.clone())
        .await
        .expect("binds");
    let address = format!("http://{}", app.local_addr().expect("bound address"));
    let metrics = app.metrics();
    let smtp = app.smtp_addr();
    tokio::spawn(app.run_until(std::future::pending()));
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("http client");
    TestApp {
        address,
        store,
        http,
        settings,
        backend,
        metrics,
        smtp,
        raw,
        _guard: guard,
    }
}

/// The intake endpoint's path.
pub const INTAKE: &str = "/v1/external-api/external-form-lead";

impl TestApp {
    /// Run SQL straight on the test's database (for states only workers make).
    pub async fn exec(&self, sql: &str) {
        match &self.raw {
            RawDb::Sqlite(url) => {
                let mut conn = sqlx::SqliteConnection::connect(url)
                    .await
                    .expect("sqlite connects");
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()))
                    .execute(&mut conn)
                    .await
                    .expect("sql runs");
            }
            RawDb::Postgres(options) => {
                let mut conn = PgConnection::connect_with(options.as_ref())
                    .await
                    .expect("postgres connects");
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()))
                    .execute(&mut conn)
                    .await
                    .expect("sql runs");
            }
        }
    }

    /// An admin request with the right token.
    pub fn admin(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.address))
            .bearer_auth(ADMIN_TOKEN)
    }

    /// `GET` an admin path; the status and the JSON answer.
    pub async fn admin_get(&self, path: &str) -> (u16, serde_json::Value) {
        let response = self
            .admin(reqwest::Method::GET, path)
            .send()
            .await
            .expect("request sent");
        json_of(response).await
    }

    /// Send a JSON body to an admin path; the status and the JSON answer.
    pub async fn admin_send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: serde_json::Value,
    ) -> (u16, serde_json::Value) {
        let response = self
            .admin(method, path)
            .json(&body)
            .send()
            .await
            .expect("request sent");
        json_of(response).await
    }

    /// `POST` JSON to an admin path.
    pub async fn admin_post(
        &self,
        path: &str,
        body: serde_json::Value,
    ) -> (u16, serde_json::Value) {
        self.admin_send(reqwest::Method::POST, path, body).await
    }

    /// A new account with a random key.
    pub async fn account(&self) -> Account {
        self.store
            .create_account(&NewAccount {
                name: "Acme Roofing".into(),
                ..Default::default()
            })
            .await
            .expect("account created")
    }

    /// Delivery settings for a worker the test drives itself: this retry
    /// schedule, loopback targets allowed, 5 s per attempt, 8 jobs at once.
    pub fn worker_settings(&self, schedule: &[u64]) -> DeliverySettings {
        let mut settings = self.settings.delivery.clone();
        settings.allow_private_targets = true;
        settings.retry_schedule = schedule.to_vec();
        settings.timeout_seconds = 5;
        settings.concurrency = 8;
        settings
    }

    /// A new lead source "Website" of the account, running `plan` when given.
    pub async fn lead_source(&self, account: &Account, plan: Option<uuid::Uuid>) -> LeadSource {
        self.store
            .create_lead_source(
                account.id,
                &NewLeadSource {
                    name: "Website".into(),
                    action_plan_id: plan,
                    web_key: None,
                },
            )
            .await
            .expect("lead source created")
    }

    /// `GET` a path of the service; the answer.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("request sent")
    }

    /// POST urlencoded pairs to the intake endpoint.
    pub async fn post_form(&self, pairs: &[(&str, &str)]) -> reqwest::Response {
        self.http
            .post(format!("{}{INTAKE}", self.address))
            .form(pairs)
            .send()
            .await
            .expect("request sent")
    }

    /// POST owned urlencoded pairs (for closures that outlive their borrows).
    pub fn post_form_owned(
        &self,
        pairs: Vec<(&'static str, String)>,
    ) -> impl std::future::Future<Output = reqwest::Response> + '_ {
        let request = self
            .http
            .post(format!("{}{INTAKE}", self.address))
            .form(&pairs);
        async move { request.send().await.expect("request sent") }
    }

    /// POST a raw body with the given content type (none when `None`).
    pub async fn post_raw(
        &self,
        content_type: Option<&str>,
        body: impl Into<reqwest::Body>,
    ) -> reqwest::Response {
        let mut request = self
            .http
            .post(format!("{}{INTAKE}", self.address))
            .body(body);
        if let Some(ct) = content_type {
            request = request.header("content-type", ct);
        }
        request.send().await.expect("request sent")
    }

    /// The account's newest client.
    pub async fn latest_client(&self, account: &Account) -> Option<Client> {
        self.store
            .list_clients(account.id, &Default::default(), Page::first(1))
            .await
            .expect("clients listed")
            .into_iter()
            .next()
    }

    /// How many clients the account has.
    pub async fn client_count(&self, account: &Account) -> usize {
        self.store
            .list_clients(account.id, &Default::default(), Page::first(1000))
            .await
            .expect("clients listed")
            .len()
    }
}

/// A plan of the account with one step per delay, each calling one webhook on a closed loopback port.
pub async fn plan_with_webhook(
    app: &TestApp,
    account_id: uuid::Uuid,
    delays: &[i64],
) -> uuid::Uuid {
    let webhook = app
        .store
        .create_webhook(
            account_id,
            &leadpost::store::NewWebhook {
                name: "CRM".into(),
                url: "http://127.0.0.1:9/hook".into(),
                method: "POST".into(),
                headers: serde_json::json!({}),
                ..Default::default()
            },
        )
        .await
        .expect("webhook");
    let steps = delays
        .iter()
        .map(|&delay_seconds| leadpost::store::PlanStep {
            webhook_id: webhook.id,
            delay_seconds,
        })
        .collect();
    app.store
        .create_action_plan(
            account_id,
            &leadpost::store::NewActionPlan {
                name: "Welcome".into(),
                steps,
            },
        )
        .await
        .expect("plan")
        .id
}

/// The status and the JSON body of an answer (`null` when it is not JSON).
pub async fn json_of(response: reqwest::Response) -> (u16, serde_json::Value) {
    let status = response.status().as_u16();
    let text = response.text().await.expect("body read");
    (
        status,
        serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
    )
}

/// Run each named `async fn(TestApp)` on SQLite and on PostgreSQL.
macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let app = crate::helpers::spawn_app(crate::helpers::Backend::Sqlite)
                        .await
                        .expect("sqlite app");
                    super::$name(app).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    if let Some(app) = crate::helpers::spawn_app(crate::helpers::Backend::Postgres).await {
                        super::$name(app).await
                    }
                }
            )*
        }
    };
}
pub(crate) use on_both_stores;
