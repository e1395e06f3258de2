//! `leadpost backup` (DESIGN §14, §15 "Data"): a SQLite copy made while the real service ingests
//! is whole, holds every lead acknowledged before it began, and serves; an existing file is
//! refused unless `--force`; PostgreSQL gets the `pg_dump` advice and status 2.

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use sqlx::{Connection, SqliteConnection};

use crate::helpers::process::{BIN, ServeProcess, run_any, run_cli, value_of};
use crate::helpers::{ADMIN_TOKEN, INTAKE};

fn serve(db: &str) -> ServeProcess {
    ServeProcess::start(db, &[], |command| {
        command
            .env("LEADPOST_ADMIN_TOKEN", ADMIN_TOKEN)
            .env("LEADPOST_RATE_LIMIT_PER_IP", "1000000")
            .env("LEADPOST_RATE_LIMIT_PER_KEY", "1000000");
    })
}

async fn post_lead(http: &reqwest::Client, address: &str, n: usize) -> u16 {
    let email = format!("lead{n}@example.com");
    http.post(format!("{address}{INTAKE}"))
        .form(&[
            ("web_key", "BACKUP_KEY"),
            ("name", "Ann Lee"),
            ("email", &email),
        ])
        .send()
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_backup_made_under_ingest_is_whole_holds_every_acknowledged_lead_and_serves() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = format!("sqlite://{}", dir.path().join("leadpost.db").display());
    let created = run_cli(
        &db,
        &[
            "account",
            "create",
            "--name",
            "Acme",
            "--web-key",
            "BACKUP_KEY",
        ],
    );
    let account = value_of(&created, "account id:");
    let server = serve(&db);
    let http = reqwest::Client::new();
    for n in 0..30 {
        assert_eq!(post_lead(&http, &server.address, n).await, 200);
    }
    let stop = Arc::new(AtomicBool::new(false));
    let during = Arc::new(AtomicUsize::new(0));
    let ingest = {
        let (stop, during, http, address) = (
            stop.clone(),
            during.clone(),
            http.clone(),
            server.address.clone(),
        );
        tokio::spawn(async move {
            let mut n = 1000;
            while !stop.load(Ordering::SeqCst) {
                if post_lead(&http, &address, n).await == 200 {
                    during.fetch_add(1, Ordering::SeqCst);
                }
                n += 1;
            }
        })
    };
    while during.load(Ordering::SeqCst) < 5 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let copy = dir.path().join("copy.db");
    let target = copy.display().to_string();
    let source = db.clone();
    let (ok, _, stderr) =
        tokio::task::spawn_blocking(move || run_any(&source, &["backup", "--to", &target]))
            .await
            .expect("backup ran");
    stop.store(true, Ordering::SeqCst);
    ingest.await.expect("ingest stopped");
    assert!(ok, "{stderr}");

    let copy_url = format!("sqlite://{}", copy.display());
    let mut conn = SqliteConnection::connect(&copy_url)
        .await
        .expect("copy opens");
    let check: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut conn)
        .await
        .expect("integrity check");
    assert_eq!(check, "ok");
    let emails: Vec<String> = sqlx::query_scalar("SELECT email FROM clients")
        .fetch_all(&mut conn)
        .await
        .expect("clients");
    for n in 0..30 {
        assert!(
            emails.contains(&format!("lead{n}@example.com")),
            "lead {n} missing"
        );
    }
    conn.close().await.expect("closed");

    let restored = serve(&copy_url);
    let response = http
        .get(format!(
            "{}/admin/v1/accounts/{account}/clients?limit=500",
            restored.address
        ))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("served");
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.expect("json");
    assert!(body["clients"].as_array().expect("clients").len() >= 30);
}

fn backup_status(db: &str, args: &[&str]) -> (Option<i32>, String) {
    let output = Command::new(BIN)
        .arg("backup")
        .args(args)
        .env("DATABASE_URL", db)
        .output()
        .expect("leadpost runs");
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    (output.status.code(), text)
}

#[test]
fn a_backup_refuses_an_existing_file_unless_forced() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = format!("sqlite://{}", dir.path().join("leadpost.db").display());
    run_cli(&db, &["account", "create", "--name", "Acme"]);
    let copy = dir.path().join("copy.db");
    std::fs::write(&copy, b"keep me").expect("file written");
    let target = copy.display().to_string();
    let (code, text) = backup_status(&db, &["--to", &target]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("--force"), "{text}");
    assert_eq!(std::fs::read(&copy).expect("kept"), b"keep me");
    let (code, text) = backup_status(&db, &["--to", &target, "--force"]);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        std::fs::read(&copy)
            .expect("copy")
            .starts_with(b"SQLite format 3")
    );
}

#[tokio::test]
async fn a_backup_of_postgres_advises_pg_dump_and_exits_2() {
    let Some((url, schema)) = crate::helpers::create_test_schema().await else {
        return;
    };
    let separator = if url.contains('?') { '&' } else { '?' };
    let db = format!("{url}{separator}options=-c%20search_path%3D{schema}");
    let target = tempfile::tempdir().expect("dir").path().join("x.db");
    let (code, text) = tokio::task::spawn_blocking(move || {
        backup_status(&db, &["--to", &target.display().to_string()])
    })
    .await
    .expect("ran");
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("pg_dump"), "{text}");
}
