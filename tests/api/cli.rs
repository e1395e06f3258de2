//! The `leadpost` binary as a newcomer uses it: create an account and a lead
//! source, serve, post a lead, stop with SIGTERM.

use crate::helpers::process::{ServeProcess, run_any, run_cli, value_of};

#[tokio::test]
async fn a_newcomer_creates_an_account_and_posts_a_lead_to_the_served_endpoint() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = format!("sqlite://{}", dir.path().join("cli.db").display());
    let account = run_cli(
        &db,
        &[
            "account",
            "create",
            "--name",
            "Acme Roofing",
            "--web-key",
            "CT_DEMO",
        ],
    );
    let account_id = value_of(&account, "account id:");
    assert_eq!(value_of(&account, "web_key:"), "CT_DEMO");
    let source = run_cli(
        &db,
        &[
            "lead-source",
            "create",
            "--account",
            &account_id,
            "--name",
            "Website",
        ],
    );
    let source_key = value_of(&source, "web_key:").to_string();
    assert!(
        source_key.len() >= 22,
        "a generated key carries 128+ random bits"
    );

    let mut serve = ServeProcess::start(&db, &[], |command| {
        command.env("LEADPOST_BIND", "127.0.0.1:1");
    });
    let address = serve.address.clone();
    let client = reqwest::Client::new();
    for key in ["CT_DEMO", source_key.as_str()] {
        let response = client
            .post(format!("{address}/v1/external-api/external-form-lead"))
            .form(&[("web_key", key), ("name", "Ann Lee")])
            .send()
            .await
            .expect("posted");
        assert_eq!(response.status(), 200);
    }

    let exit = serve.stop("-TERM");
    assert!(exit.success(), "SIGTERM ends serve with status 0: {exit:?}");
}

#[tokio::test]
async fn a_stopped_serve_leaves_its_sqlite_file_whole_with_no_wal_behind() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("stop.db");
    let db = format!("sqlite://{}", path.display());
    let account = run_cli(&db, &["account", "create", "--name", "Acme"]);
    let web_key = value_of(&account, "web_key:");
    let mut serve = ServeProcess::start(&db, &[], |command| {
        command.env("LEADPOST_BIND", "127.0.0.1:1");
    });
    let response = reqwest::Client::new()
        .post(format!(
            "{}/v1/external-api/external-form-lead",
            serve.address
        ))
        .form(&[("web_key", web_key.as_str()), ("name", "Ann Lee")])
        .send()
        .await
        .expect("posted");
    assert_eq!(response.status(), 200);
    assert!(serve.stop("-TERM").success());

    let wal = dir.path().join("stop.db-wal");
    assert!(
        !wal.exists(),
        "the WAL is checkpointed and removed on close"
    );
    // The file alone, copied as an operator would, holds the lead.
    let copy = dir.path().join("copy.db");
    std::fs::copy(&path, &copy).expect("copied");
    let copied = rusqlite::Connection::open(&copy).expect("opens");
    let clients: i64 = copied
        .query_row("SELECT COUNT(*) FROM clients", [], |row| row.get(0))
        .expect("counted");
    assert_eq!(clients, 1);
}

#[test]
fn an_unknown_account_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = format!("sqlite://{}", dir.path().join("cli.db").display());
    let (ok, _, stderr) = run_any(
        &db,
        &[
            "lead-source",
            "create",
            "--account",
            "01a21132-2300-76cf-a536-8de5501cbe4d",
            "--name",
            "X",
        ],
    );
    assert!(!ok);
    assert!(stderr.contains("no account with id"), "{stderr}");
}

#[test]
fn demo_sets_up_once_and_prints_the_key_a_curl_command_and_the_page() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = format!("sqlite://{}", dir.path().join("cli.db").display());
    let first = run_cli(&db, &["demo"]);
    assert!(first.contains("Created the demo account"), "{first}");
    assert_eq!(value_of(&first, "web_key:"), "demo_web_key");
    assert!(first.contains("curl -i http://127.0.0.1:8080/v1/external-api/external-form-lead"));
    assert_eq!(value_of(&first, "demo page:"), "http://127.0.0.1:8080/");
    let second = run_cli(&db, &["demo"]);
    assert!(second.contains("The demo account exists"), "{second}");
    assert_eq!(
        first
            .lines()
            .find(|l| l.contains("(id "))
            .map(|l| l.split("(id ").nth(1)),
        second
            .lines()
            .find(|l| l.contains("(id "))
            .map(|l| l.split("(id ").nth(1)),
        "the same account"
    );
}

#[test]
fn hosted_pages_are_switched_per_account_from_the_command_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = format!("sqlite://{}", dir.path().join("cli.db").display());
    let account = run_cli(&db, &["account", "create", "--name", "Acme"]);
    let id = value_of(&account, "account id:");
    let on = run_cli(
        &db,
        &["account", "set-hosted-pages", "--account", &id, "--on"],
    );
    assert!(on.contains("hosted thank-you pages: on"), "{on}");
    let off = run_cli(
        &db,
        &["account", "set-hosted-pages", "--account", &id, "--off"],
    );
    assert!(off.contains("hosted thank-you pages: off"), "{off}");
    let (ok, _, stderr) = run_any(
        &db,
        &[
            "account",
            "set-hosted-pages",
            "--account",
            "01a21132-2300-76cf-a536-8de5501cbe4d",
            "--on",
        ],
    );
    assert!(!ok);
    assert!(stderr.contains("no account with id"), "{stderr}");
}

#[tokio::test]
async fn serve_demo_serves_the_demo_page_for_the_demo_key() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = format!("sqlite://{}", dir.path().join("cli.db").display());
    let mut serve = ServeProcess::start(&db, &["--demo"], |command| {
        command.env_remove("LEADPOST_DEMO");
    });
    let address = serve.address.clone();
    let client = reqwest::Client::new();
    let home = client
        .get(format!("{address}/"))
        .send()
        .await
        .expect("home answered");
    assert_eq!(home.status(), 200);
    assert!(home.text().await.expect("body").contains("demo_web_key"));
    let posted = client
        .post(format!("{address}/v1/external-api/external-form-lead"))
        .form(&[("web_key", "demo_web_key"), ("name", "Ann Lee")])
        .send()
        .await
        .expect("posted");
    assert_eq!(posted.status(), 200);
    assert!(serve.stop("-TERM").success());
}

fn run_json(db: &str, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    serde_json::from_str(&run_cli(db, &all)).expect("JSON output")
}

#[test]
fn accounts_are_listed_shown_updated_and_rotated_from_the_command_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = format!("sqlite://{}", dir.path().join("cli.db").display());
    let created = run_cli(
        &db,
        &[
            "account",
            "create",
            "--name",
            "Acme Roofing",
            "--web-key",
            "CT_OLD",
        ],
    );
    let id = value_of(&created, "account id:").to_string();
    let table = run_cli(&db, &["account", "list"]);
    assert!(table.starts_with("ID"), "a table with a header: {table}");
    assert!(table.contains("Acme Roofing") && table.contains(&id));
    let listed = run_json(&db, &["account", "list"]);
    assert_eq!(listed["accounts"][0]["id"], id.as_str());
    let updated = run_json(
        &db,
        &[
            "account",
            "update",
            &id,
            "--owner-email",
            "owner@example.com",
            "--owner-phone",
            "8015550000",
        ],
    );
    assert_eq!(updated["owner_email"], "owner@example.com");
    let shown = run_cli(&db, &["account", "show", &id]);
    assert!(shown.contains("owner@example.com"), "{shown}");
    let rotated = run_json(
        &db,
        &["account", "rotate-key", &id, "--grace-seconds", "60"],
    );
    assert_eq!(rotated["previous_web_key"], "CT_OLD");
    let shown = run_json(&db, &["account", "show", &id]);
    assert_eq!(shown["web_key"], rotated["web_key"]);
}

#[test]
fn invalid_input_is_refused_naming_the_option() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = format!("sqlite://{}", dir.path().join("cli.db").display());
    let (ok, _, stderr) = run_any(
        &db,
        &["account", "create", "--name", "A", "--owner-phone", "12"],
    );
    assert!(!ok);
    assert!(stderr.contains("owner-phone"), "{stderr}");
    let (ok, _, stderr) = run_any(
        &db,
        &[
            "job",
            "list",
            "--account",
            "01a21132-2300-76cf-a536-8de5501cbe4d",
            "--state",
            "lost",
        ],
    );
    assert!(!ok);
    assert!(stderr.contains("state"), "{stderr}");
}

#[test]
fn lead_sources_are_listed_and_rotated_from_the_command_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = format!("sqlite://{}", dir.path().join("cli.db").display());
    let account = run_cli(&db, &["account", "create", "--name", "Acme"]);
    let account_id = value_of(&account, "account id:").to_string();
    let source = run_cli(
        &db,
        &[
            "lead-source",
            "create",
            "--account",
            &account_id,
            "--name",
            "Website",
            "--web-key",
            "SRC_OLD",
        ],
    );
    let source_id = value_of(&source, "lead source id:").to_string();
    let table = run_cli(&db, &["lead-source", "list", "--account", &account_id]);
    assert!(
        table.contains("Website") && table.contains("SRC_OLD"),
        "{table}"
    );
    let rotated = run_json(
        &db,
        &[
            "lead-source",
            "rotate-key",
            "--account",
            &account_id,
            &source_id,
        ],
    );
    assert_eq!(rotated["previous_web_key"], "SRC_OLD");
    let listed = run_json(&db, &["lead-source", "list", "--account", &account_id]);
    assert_eq!(listed["lead_sources"][0]["web_key"], rotated["web_key"]);
}

#[test]
fn a_lead_source_is_shown_with_its_inbound_url() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = format!("sqlite://{}", dir.path().join("cli.db").display());
    let account = run_cli(&db, &["account", "create", "--name", "Acme"]);
    let account_id = value_of(&account, "account id:").to_string();
    let source = run_cli(
        &db,
        &[
            "lead-source",
            "create",
            "--account",
            &account_id,
            "--name",
            "Website",
        ],
    );
    let source_id = value_of(&source, "lead source id:").to_string();
    let shown = run_json(
        &db,
        &["lead-source", "show", "--account", &account_id, &source_id],
    );
    let url = shown["inbound_url"].as_str().expect("inbound_url");
    assert!(url.starts_with("/v1/inbound/"), "{shown}");
    let text = run_cli(
        &db,
        &["lead-source", "show", "--account", &account_id, &source_id],
    );
    assert_eq!(value_of(&text, "inbound url:"), url);
    let table = run_cli(&db, &["lead-source", "list", "--account", &account_id]);
    assert!(
        table.contains("INBOUND URL") && table.contains(url),
        "{table}"
    );
}

#[tokio::test]
async fn leads_are_read_and_exported_from_the_command_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = format!("sqlite://{}", dir.path().join("cli.db").display());
    let account = run_cli(
        &db,
        &["account", "create", "--name", "Acme", "--web-key", "CT_CLI"],
    );
    let account_id = value_of(&account, "account id:").to_string();

    let mut settings = crate::helpers::base_settings();
    settings.database.url = db.clone();
    let app = leadpost::app::Application::build(settings)
        .await
        .expect("app");
    let address = format!("http://{}", app.local_addr().expect("addr"));
    tokio::spawn(app.run_until(std::future::pending()));
    let response = reqwest::Client::new()
        .post(format!("{address}/v1/external-api/external-form-lead"))
        .form(&[
            ("web_key", "CT_CLI"),
            ("name", "Ann Lee"),
            ("email", "ann@example.com"),
            ("new_lead_notification", "1"),
            ("Favorite Chocolate", "Dark"),
        ])
        .send()
        .await
        .expect("posted");
    assert_eq!(response.status(), 200);

    let table = run_cli(&db, &["client", "list", "--account", &account_id]);
    assert!(
        table.contains("Ann Lee") && table.contains("ann@example.com"),
        "{table}"
    );
    let clients = run_json(
        &db,
        &[
            "client",
            "list",
            "--account",
            &account_id,
            "--email",
            "ANN@example.com",
        ],
    );
    let client_id = clients["clients"][0]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let shown = run_json(&db, &["client", "show", &client_id]);
    assert_eq!(shown["custom_fields"]["Favorite Chocolate"], "Dark");
    let out = dir.path().join("clients.csv");
    run_cli(
        &db,
        &[
            "client",
            "export",
            "--account",
            &account_id,
            "--output",
            out.to_str().expect("path"),
        ],
    );
    let mut reader = csv::Reader::from_path(&out).expect("csv file");
    let header = reader.headers().expect("header").clone();
    assert_eq!(header.iter().next_back(), Some("Favorite Chocolate"));
    assert_eq!(reader.records().count(), 1);
    let notifications = run_json(&db, &["notification", "list", "--account", &account_id]);
    let nid = notifications["notifications"][0]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let marked = run_json(
        &db,
        &["notification", "mark-read", "--account", &account_id, &nid],
    );
    assert_eq!(marked["read"], true);
    let submissions = run_cli(&db, &["submission", "list", "--account", &account_id]);
    assert!(submissions.contains("accepted"), "{submissions}");
    let jobs = run_cli(&db, &["job", "list", "--account", &account_id]);
    assert!(jobs.contains("(none)"), "{jobs}");
}
