//! Delivery by the real `leadpost serve` processes: a process killed with SIGKILL
//! loses no job, and two processes on one PostgreSQL deliver each job once.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use leadpost::intake::body::PostedPairs;
use leadpost::intake::form::Form;
use leadpost::store::{
    AcceptOutcome, LeadToStore, NewAccount, NewWebhook, Outcome, Page, QueueStore, SqliteStore,
    Store, Submission, new_id,
};

use crate::helpers::base_settings;
use crate::helpers::process::{ServeProcess, postgres_schema, run_any, run_cli, value_of};
use crate::receiver::Receiver;

fn is_delivery(line: &str) -> bool {
    line.contains("delivery attempt") && line.contains("Delivered")
}

/// `serve` on a free port with the delivery settings of these tests.
fn start_serve(database_url: &str, config: &std::path::Path) -> ServeProcess {
    ServeProcess::start(database_url, &[], |command| {
        command
            .env("LEADPOST_CONFIG", config)
            .env("LEADPOST_ALLOW_PRIVATE_TARGETS", "true")
            .env("LEADPOST_RETRY_SCHEDULE", "1,1,1,1,1,1,1,1")
            .env("LEADPOST_DELIVERY_TIMEOUT", "2")
            .env(
                "RUST_LOG",
                "warn,leadpost::app=info,leadpost::delivery=info",
            );
    })
}

fn write_config(dir: &std::path::Path, concurrency: usize) -> std::path::PathBuf {
    let path = dir.join("leadpost.toml");
    std::fs::write(
        &path,
        format!(
            "[delivery]\nconcurrency = {concurrency}\npoll_interval_ms = 50\nlease_seconds = 1\nshutdown_grace_seconds = 5\n"
        ),
    )
    .expect("config written");
    path
}

/// Wait until `done` holds, for at most `limit`.
async fn wait_for<F, Fut>(limit: Duration, what: &str, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while !done().await {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// How many jobs of the account are in each state.
async fn states(store: &Arc<dyn Store>, account_id: uuid::Uuid) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    let mut page = Page::first(1000);
    loop {
        let jobs = store.list_jobs(account_id, page).await.expect("jobs");
        for job in &jobs {
            *counts.entry(job.state.to_string()).or_insert(0) += 1;
        }
        match jobs.last() {
            Some(last) if jobs.len() == 1000 => page.after = Some(last.id),
            _ => return counts,
        }
    }
}

/// How many requests the receiver got per `webhook-id`.
fn per_id(receiver: &Receiver) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for request in receiver.received() {
        *counts
            .entry(request.header("webhook-id").expect("webhook-id"))
            .or_insert(0) += 1;
    }
    counts
}

#[tokio::test(flavor = "multi_thread")]
async fn a_serve_killed_with_sigkill_loses_no_job_and_the_next_one_delivers_them_all() {
    let receiver = Receiver::start(vec![]).await;
    receiver.set_delay(Duration::from_millis(200));
    let dir = tempfile::tempdir().expect("temp dir");
    let db = format!("sqlite://{}", dir.path().join("crash.db").display());
    let config = write_config(dir.path(), 2);

    // Set up with the CLI, as an operator would.
    let account = run_cli(&db, &["account", "create", "--name", "Acme"]);
    let (account_id, web_key) = (
        value_of(&account, "account id:"),
        value_of(&account, "web_key:"),
    );
    let hook = run_cli(
        &db,
        &[
            "webhook",
            "create",
            "--account",
            &account_id,
            "--name",
            "CRM",
            "--url",
            &receiver.url,
            "--header",
            "X-Key: abc",
        ],
    );
    let hook_id = value_of(&hook, "webhook id:");
    let plan = run_cli(
        &db,
        &[
            "action-plan",
            "create",
            "--account",
            &account_id,
            "--name",
            "Notify",
            "--step",
            &format!("{hook_id}:0"),
        ],
    );
    let plan_id = value_of(&plan, "action plan id:");
    run_cli(
        &db,
        &[
            "account",
            "set-plan",
            "--account",
            &account_id,
            "--plan",
            &plan_id,
        ],
    );

    let mut first = start_serve(&db, &config);
    let http = reqwest::Client::new();
    const LEADS: usize = 12;
    for i in 0..LEADS {
        let response = http
            .post(format!(
                "{}/v1/external-api/external-form-lead",
                first.address
            ))
            .form(&[
                ("web_key", web_key.as_str()),
                ("name", &format!("Lead {i}")),
            ])
            .send()
            .await
            .expect("posted");
        assert_eq!(response.status(), 200);
    }
    wait_for(Duration::from_secs(10), "the first deliveries", || {
        let n = receiver.count();
        async move { n >= 2 }
    })
    .await;
    first.stop("-KILL");
    assert!(
        receiver.count() < LEADS,
        "the process was killed with jobs left to deliver"
    );

    let mut settings = base_settings();
    settings.database.url = db.clone();
    let store: Arc<dyn Store> = Arc::new(
        SqliteStore::connect(&settings.database)
            .await
            .expect("store opens"),
    );
    let account_id: uuid::Uuid = account_id.parse().expect("uuid");
    assert_eq!(
        states(&store, account_id).await.values().sum::<usize>(),
        LEADS,
        "every job is still there"
    );

    let mut second = start_serve(&db, &config);
    wait_for(Duration::from_secs(40), "every job delivered", || {
        let store = store.clone();
        async move { states(&store, account_id).await.get("delivered") == Some(&LEADS) }
    })
    .await;
    second.stop("-TERM");

    let jobs = store
        .list_jobs(account_id, Page::first(100))
        .await
        .expect("jobs");
    let received = per_id(&receiver);
    for job in &jobs {
        assert!(
            received.get(&job.message_id).copied().unwrap_or(0) >= 1,
            "job {} reached the receiver",
            job.id
        );
    }
    assert!(
        receiver
            .received()
            .iter()
            .all(|r| r.header("x-key").as_deref() == Some("abc"))
    );

    // What happened is visible from the CLI, and a webhook can be sent again on demand.
    let listed = run_cli(&db, &["job", "list", "--account", &account_id.to_string()]);
    assert_eq!(listed.matches("delivered").count(), LEADS, "{listed}");
    let client = store
        .list_clients(account_id, &Default::default(), Page::first(1))
        .await
        .expect("clients")
        .remove(0);
    let queued = run_cli(
        &db,
        &[
            "client",
            "send-webhook",
            "--client",
            &client.id.to_string(),
            "--webhook",
            &hook_id,
        ],
    );
    let job_id: uuid::Uuid = value_of(&queued, "job id:").parse().expect("job id");
    assert_eq!(store.get_job(job_id).await.expect("job").state, "queued");
}

#[test]
fn the_cli_refuses_an_invalid_webhook_naming_the_field() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = format!("sqlite://{}", dir.path().join("cli.db").display());
    let account = run_cli(&db, &["account", "create", "--name", "Acme"]);
    let account_id = value_of(&account, "account id:");
    let (ok, _, stderr) = run_any(
        &db,
        &[
            "webhook",
            "create",
            "--account",
            &account_id,
            "--name",
            "AL",
            "--preset",
            "acculynx",
        ],
    );
    assert!(!ok);
    assert!(stderr.contains("api_key: is required"), "{stderr}");
    let created = run_cli(
        &db,
        &[
            "webhook",
            "create",
            "--account",
            &account_id,
            "--name",
            "AL",
            "--preset",
            "acculynx",
            "--api-key",
            "K",
            "--secret",
        ],
    );
    assert!(value_of(&created, "secret:").starts_with("whsec_"));
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_lets_the_delivery_in_flight_finish_before_serve_exits() {
    let receiver = Receiver::start(vec![]).await;
    receiver.set_delay(Duration::from_millis(1500));
    let dir = tempfile::tempdir().expect("temp dir");
    let db = format!("sqlite://{}", dir.path().join("term.db").display());
    let config = write_config(dir.path(), 2);
    let account = run_cli(&db, &["account", "create", "--name", "Acme"]);
    let (account_id, web_key) = (
        value_of(&account, "account id:"),
        value_of(&account, "web_key:"),
    );
    let hook = run_cli(
        &db,
        &[
            "webhook",
            "create",
            "--account",
            &account_id,
            "--name",
            "CRM",
            "--url",
            &receiver.url,
        ],
    );
    let plan = run_cli(
        &db,
        &[
            "action-plan",
            "create",
            "--account",
            &account_id,
            "--name",
            "P",
            "--step",
            &value_of(&hook, "webhook id:"),
        ],
    );
    run_cli(
        &db,
        &[
            "account",
            "set-plan",
            "--account",
            &account_id,
            "--plan",
            &value_of(&plan, "action plan id:"),
        ],
    );
    let mut serve = start_serve(&db, &config);
    let response = reqwest::Client::new()
        .post(format!(
            "{}/v1/external-api/external-form-lead",
            serve.address
        ))
        .form(&[("web_key", web_key.as_str()), ("name", "Ann")])
        .send()
        .await
        .expect("posted");
    assert_eq!(response.status(), 200);
    wait_for(Duration::from_secs(10), "the request to arrive", || {
        let n = receiver.arrived();
        async move { n >= 1 }
    })
    .await;
    assert_eq!(receiver.count(), 0, "still in flight");
    let exit = serve.stop("-TERM");
    assert!(exit.success(), "{exit:?}");
    assert_eq!(receiver.count(), 1);
    let mut settings = base_settings();
    settings.database.url = db;
    let store = SqliteStore::connect(&settings.database)
        .await
        .expect("store opens");
    let jobs = store
        .list_jobs(account_id.parse().expect("uuid"), Page::first(10))
        .await
        .expect("jobs");
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].state, "delivered");
}

#[tokio::test(flavor = "multi_thread")]
async fn two_serve_processes_on_one_postgres_deliver_each_of_500_jobs_exactly_once() {
    let Some((url, store)) = postgres_schema().await else {
        return;
    };
    let receiver = Receiver::start(vec![]).await;
    receiver.set_delay(Duration::from_millis(20));
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
                name: "h".into(),
                url: receiver.url.clone(),
                method: "POST".into(),
                headers: serde_json::json!({}),
                ..Default::default()
            },
        )
        .await
        .expect("webhook");
    let owner = store
        .find_key_owner(&account.web_key)
        .await
        .expect("resolves")
        .expect("owner");
    let posted = PostedPairs {
        pairs: vec![("name".into(), "Ann Lee".into())],
        nested: Vec::new(),
    };
    let form = Form::new(&posted);
    let lead = LeadToStore {
        owner,
        client: form.lead(form.name().expect("name")).expect("lead").client,
        submission: Submission {
            id: new_id(),
            account_id: Some(account.id),
            lead_source_id: None,
            client_id: None,
            outcome: Outcome::Accepted,
            error_code: None,
            message: None,
            replay_of: None,
            fields: vec![],
            remote_ip: None,
            user_agent: None,
            created_at: time::OffsetDateTime::now_utc(),
            spam_reasons: Vec::new(),
            released_client_id: None,
            released_at: None,
            release_error_code: None,
            channel: Default::default(),
            raw_message: None,
            reparsed_at: None,
            request_id: None,
        },
        fingerprint: "f".into(),
        replay_window_seconds: 0,
        request_id: None,
    };
    let AcceptOutcome::Created { client_id } = store.accept_lead(&lead).await.expect("stored")
    else {
        panic!("client created");
    };
    const JOBS: usize = 500;
    for _ in 0..JOBS {
        store
            .queue_webhook_job(client_id, hook.id)
            .await
            .expect("queued");
    }

    let dir = tempfile::tempdir().expect("temp dir");
    let config = write_config(dir.path(), 8);
    let mut a = start_serve(&url, &config);
    let mut b = start_serve(&url, &config);
    wait_for(Duration::from_secs(60), "500 deliveries", || {
        let store = store.clone();
        async move { states(&store, account.id).await.get("delivered") == Some(&JOBS) }
    })
    .await;
    // Anything sent twice would have arrived by now.
    tokio::time::sleep(Duration::from_millis(500)).await;
    a.stop("-TERM");
    b.stop("-TERM");
    let (by_a, by_b) = (a.count_lines(is_delivery), b.count_lines(is_delivery));
    eprintln!("deliveries: {by_a} by one process, {by_b} by the other");
    assert_eq!(by_a + by_b, JOBS, "each delivery is logged once");
    assert!(
        by_a > 0 && by_b > 0,
        "both processes delivered: {by_a} + {by_b}"
    );

    let received = per_id(&receiver);
    assert_eq!(received.len(), JOBS, "every job reached the receiver");
    let twice: Vec<_> = received.iter().filter(|(_, n)| **n != 1).collect();
    assert!(twice.is_empty(), "delivered more than once: {twice:?}");
    assert_eq!(receiver.count(), JOBS);
}
