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
        if let Some(at) = line.find("listening on http://") {
            let rest = &line[at + "listening on ".len()..];
            break rest.split_whitespace().next().expect("address").to_string();
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
        if let Some(at) = line.find("listening on http://") {
            let rest = &line[at + "listening on ".len()..];
            break rest.split_whitespace().next().expect("address").to_string();
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
