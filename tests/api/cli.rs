//! The `leadpost` binary as a newcomer uses it: create an account and a lead
//! source, serve, post a lead, stop with SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_leadpost");

fn run(db: &str, args: &[&str]) -> String {
    let output = Command::new(BIN)
        .args(args)
        .env("DATABASE_URL", db)
        .output()
        .expect("leadpost runs");
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("utf-8 output")
}

fn value_of<'a>(output: &'a str, label: &str) -> &'a str {
    output
        .lines()
        .find_map(|line| line.strip_prefix(label))
        .map(str::trim)
        .unwrap_or_else(|| panic!("no {label} in {output}"))
}

#[tokio::test]
async fn a_newcomer_creates_an_account_and_posts_a_lead_to_the_served_endpoint() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = format!("sqlite://{}", dir.path().join("cli.db").display());
    let account = run(
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
    let source = run(
        &db,
        &[
            "lead-source",
            "create",
            "--account",
            account_id,
            "--name",
            "Website",
        ],
    );
    let source_key = value_of(&source, "web_key:").to_string();
    assert!(
        source_key.len() >= 22,
        "a generated key carries 128+ random bits"
    );

    let mut child = Command::new(BIN)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("DATABASE_URL", &db)
        .env("LEADPOST_BIND", "127.0.0.1:1")
        .stderr(Stdio::piped())
        .spawn()
        .expect("serve starts");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let address = loop {
        let line = lines
            .next()
            .expect("serve logs before exiting")
            .expect("a line");
        if let Some(address) = crate::helpers::listening_address(&line) {
            break address;
        }
    };
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

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let exit = child.wait().expect("serve exits");
    assert!(exit.success(), "SIGTERM ends serve with status 0: {exit:?}");
}

#[test]
fn an_unknown_account_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = format!("sqlite://{}", dir.path().join("cli.db").display());
    let output = Command::new(BIN)
        .args([
            "lead-source",
            "create",
            "--account",
            "01a21132-2300-76cf-a536-8de5501cbe4d",
            "--name",
            "X",
        ])
        .env("DATABASE_URL", &db)
        .output()
        .expect("runs");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("no account with id"));
}

#[test]
fn demo_sets_up_once_and_prints_the_key_a_curl_command_and_the_page() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = format!("sqlite://{}", dir.path().join("cli.db").display());
    let first = run(&db, &["demo"]);
    assert!(first.contains("Created the demo account"), "{first}");
    assert_eq!(value_of(&first, "web_key:"), "demo_web_key");
    assert!(first.contains("curl -i http://127.0.0.1:8080/v1/external-api/external-form-lead"));
    assert_eq!(value_of(&first, "demo page:"), "http://127.0.0.1:8080/");
    let second = run(&db, &["demo"]);
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
    let account = run(&db, &["account", "create", "--name", "Acme"]);
    let id = value_of(&account, "account id:");
    let on = run(
        &db,
        &["account", "set-hosted-pages", "--account", id, "--on"],
    );
    assert!(on.contains("hosted thank-you pages: on"), "{on}");
    let off = run(
        &db,
        &["account", "set-hosted-pages", "--account", id, "--off"],
    );
    assert!(off.contains("hosted thank-you pages: off"), "{off}");
    let unknown = Command::new(BIN)
        .args([
            "account",
            "set-hosted-pages",
            "--account",
            "01a21132-2300-76cf-a536-8de5501cbe4d",
            "--on",
        ])
        .env("DATABASE_URL", &db)
        .output()
        .expect("runs");
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no account with id"));
}

#[tokio::test]
async fn serve_demo_serves_the_demo_page_for_the_demo_key() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = format!("sqlite://{}", dir.path().join("cli.db").display());
    let mut child = Command::new(BIN)
        .args(["serve", "--demo", "--bind", "127.0.0.1:0"])
        .env("DATABASE_URL", &db)
        .env_remove("LEADPOST_DEMO")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("serve starts");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let address = loop {
        let line = lines
            .next()
            .expect("serve logs before exiting")
            .expect("a line");
        if let Some(address) = crate::helpers::listening_address(&line) {
            break address;
        }
    };
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
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    assert!(child.wait().expect("serve exits").success());
}

/// Run the binary; its status, stdout and stderr.
fn run_any(db: &str, args: &[&str]) -> (bool, String, String) {
    let output = Command::new(BIN)
        .args(args)
        .env("DATABASE_URL", db)
        .output()
        .expect("leadpost runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn run_json(db: &str, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    serde_json::from_str(&run(db, &all)).expect("JSON output")
}

#[test]
fn accounts_are_listed_shown_updated_and_rotated_from_the_command_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = format!("sqlite://{}", dir.path().join("cli.db").display());
    let created = run(
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
    let table = run(&db, &["account", "list"]);
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
    let shown = run(&db, &["account", "show", &id]);
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
    let account = run(&db, &["account", "create", "--name", "Acme"]);
    let account_id = value_of(&account, "account id:").to_string();
    let source = run(
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
    let table = run(&db, &["lead-source", "list", "--account", &account_id]);
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

#[tokio::test]
async fn leads_are_read_and_exported_from_the_command_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = format!("sqlite://{}", dir.path().join("cli.db").display());
    let account = run(
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

    let table = run(&db, &["client", "list", "--account", &account_id]);
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
    run(
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
    let submissions = run(&db, &["submission", "list", "--account", &account_id]);
    assert!(submissions.contains("accepted"), "{submissions}");
    let jobs = run(&db, &["job", "list", "--account", &account_id]);
    assert!(jobs.contains("(none)"), "{jobs}");
}
