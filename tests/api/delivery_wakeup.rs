//! Cross-process wake-up on PostgreSQL (DESIGN §13): a lead accepted by one
//! `serve` process wakes the delivery worker of another process on the same
//! database at once (LISTEN/NOTIFY), instead of at that worker's next poll, and
//! still does after the listener's connection was cut.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use leadpost::store::{Account, NewAccount, NewActionPlan, NewWebhook, PlanStep, Store};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::helpers::process::{ServeProcess, postgres_schema};
use crate::receiver::Receiver;

/// What the listener logs once it is listening.
const LISTENING: &str = "listening for jobs queued by any process";

/// `serve` on a free port with `[delivery]` settings `delivery` (TOML lines).
fn start_serve(
    database_url: &str,
    dir: &std::path::Path,
    name: &str,
    delivery: &str,
) -> ServeProcess {
    let config = dir.join(format!("{name}.toml"));
    std::fs::write(&config, format!("[delivery]\n{delivery}\n")).expect("config written");
    ServeProcess::start(database_url, &[], |command| {
        command
            .env("LEADPOST_CONFIG", &config)
            .env("LEADPOST_ALLOW_PRIVATE_TARGETS", "true")
            .env(
                "RUST_LOG",
                "warn,leadpost::app=info,leadpost::delivery=info,leadpost::store::wakeup=info",
            );
    })
}

/// Wait until `done` holds, for at most `limit`.
async fn wait_until(limit: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// An account of `store` whose plan calls `url` at once.
async fn account_calling(store: &Arc<dyn Store>, url: &str) -> Account {
    let account = store
        .create_account(&NewAccount {
            name: "Acme".into(),
            ..Default::default()
        })
        .await
        .expect("account");
    let hook = store
        .create_webhook(
            account.id,
            &NewWebhook {
                name: "CRM".into(),
                url: url.into(),
                method: "POST".into(),
                headers: serde_json::json!({}),
                ..Default::default()
            },
        )
        .await
        .expect("webhook");
    let plan = store
        .create_action_plan(
            account.id,
            &NewActionPlan {
                name: "at once".into(),
                steps: vec![PlanStep {
                    webhook_id: hook.id,
                    delay_seconds: 0,
                }],
            },
        )
        .await
        .expect("plan");
    store
        .set_default_action_plan(account.id, Some(plan.id))
        .await
        .expect("plan set");
    account
}

/// Post a lead of `account` to the process at `address`.
async fn post_lead(address: &str, account: &Account, name: &str) {
    let response = reqwest::Client::new()
        .post(format!("{address}/v1/external-api/external-form-lead"))
        .form(&[("web_key", account.web_key.as_str()), ("name", name)])
        .send()
        .await
        .expect("posted");
    assert_eq!(response.status(), 200);
}

/// A loopback TCP proxy to `upstream` whose open connections can be cut at once
/// (as a restarting database server would), while new ones still get through.
struct CuttableProxy {
    port: u16,
    open: Arc<Mutex<Vec<JoinHandle<()>>>>,
    accept: JoinHandle<()>,
}

impl CuttableProxy {
    async fn start(upstream: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("proxy binds");
        let port = listener.local_addr().expect("address").port();
        let open: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let conns = open.clone();
        let accept = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let upstream = upstream.clone();
                let task = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(&upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                conns.lock().expect("lock").push(task);
            }
        });
        CuttableProxy { port, open, accept }
    }

    /// Close every connection open through the proxy.
    fn cut(&self) {
        for task in self.open.lock().expect("lock").drain(..) {
            task.abort();
        }
    }
}

impl Drop for CuttableProxy {
    fn drop(&mut self) {
        self.cut();
        self.accept.abort();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lead_accepted_by_one_process_wakes_the_worker_of_another_before_its_poll() {
    let Some((url, store)) = postgres_schema().await else {
        return;
    };
    let receiver = Receiver::start(vec![]).await;
    let account = account_calling(&store, &receiver.url).await;

    let dir = tempfile::tempdir().expect("temp dir");
    // A takes leads and delivers nothing; B delivers, and would look for due jobs
    // on its own only once a minute.
    let a = start_serve(&url, dir.path(), "a", "concurrency = 0");
    let b = start_serve(
        &url,
        dir.path(),
        "b",
        "concurrency = 2\npoll_interval_ms = 60000",
    );
    wait_until(Duration::from_secs(15), "B to listen", || {
        b.count_lines(|line| line.contains(LISTENING)) > 0
    })
    .await;

    let posted = Instant::now();
    post_lead(&a.address, &account, "Ann Lee").await;
    wait_until(Duration::from_secs(15), "the webhook", || {
        receiver.arrived() >= 1
    })
    .await;
    eprintln!(
        "lead to webhook through another process: {:?}",
        posted.elapsed()
    );
    // B logs its attempt once the receiver has answered: the log line may follow the arrival.
    wait_until(Duration::from_secs(15), "B to log its attempt", || {
        b.count_lines(|line| line.contains("delivery attempt")) >= 1
    })
    .await;
    assert_eq!(
        a.count_lines(|line| line.contains(LISTENING)),
        0,
        "an intake-only process runs no worker and no listener"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_listener_listens_again_after_its_connection_is_cut() {
    let Some((url, store)) = postgres_schema().await else {
        return;
    };
    let receiver = Receiver::start(vec![]).await;
    let account = account_calling(&store, &receiver.url).await;
    // B reaches PostgreSQL through a proxy that can drop its connections.
    let mut proxied = reqwest::Url::parse(&url).expect("database url");
    let upstream = format!(
        "{}:{}",
        proxied.host_str().expect("host"),
        proxied.port().unwrap_or(5432)
    );
    let proxy = CuttableProxy::start(upstream).await;
    proxied.set_host(Some("127.0.0.1")).expect("host");
    proxied.set_port(Some(proxy.port)).expect("port");

    let dir = tempfile::tempdir().expect("temp dir");
    let a = start_serve(&url, dir.path(), "a", "concurrency = 0");
    let b = start_serve(
        proxied.as_str(),
        dir.path(),
        "b",
        "concurrency = 2\npoll_interval_ms = 60000",
    );
    let listening = |b: &ServeProcess| b.count_lines(|line| line.contains(LISTENING));
    wait_until(Duration::from_secs(15), "B to listen", || {
        listening(&b) == 1
    })
    .await;
    proxy.cut();
    wait_until(Duration::from_secs(15), "B to listen again", || {
        listening(&b) >= 2
    })
    .await;
    assert!(
        b.count_lines(|line| line.contains("lost the job notifications")) >= 1,
        "the loss is logged"
    );

    post_lead(&a.address, &account, "Bo Lee").await;
    wait_until(Duration::from_secs(15), "the webhook", || {
        receiver.arrived() >= 1
    })
    .await;
}
