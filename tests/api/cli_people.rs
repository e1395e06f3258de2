//! `leadpost user create` and `leadpost api-token create` as the real binary runs them, on a
//! SQLite file and on a PostgreSQL schema.

use leadpost::people::Role;
use leadpost::service::credentials;
use leadpost::store::{NewAccount, Store};
use serde_json::Value;

use crate::helpers::people::email;
use crate::helpers::process::{CliDb, cli_databases, run_any, run_cli, run_with_stdin, value_of};

/// An account in the database; its id.
async fn account(store: &dyn Store) -> String {
    let account = store
        .create_account(&NewAccount {
            name: "Acme Roofing".into(),
            ..NewAccount::default()
        })
        .await
        .expect("account");
    account.id.to_string()
}

/// Run the binary with `--json`; the JSON it printed.
fn run_json(db: &CliDb, args: &[&str]) -> Value {
    let mut args = args.to_vec();
    args.push("--json");
    serde_json::from_str(&run_cli(&db.url, &args)).expect("JSON output")
}

#[tokio::test]
async fn user_create_without_a_password_prints_an_invite_link() {
    for db in cli_databases().await {
        let email = email("invited");
        let out = run_cli(&db.url, &["user", "create", "--email", &email]);
        let invite = value_of(&out, "invite_url:");
        assert!(invite.starts_with("/console/invite/"), "{out}");
        let login = db.store.find_user_login(&email).await.expect("read");
        let login = login.expect("the user is stored");
        assert_eq!(login.password_hash, None, "the invite sets the password");
        assert_eq!(value_of(&out, "user id:"), login.user.id.to_string());
    }
}

#[tokio::test]
async fn user_create_with_an_account_and_a_role_makes_a_member() {
    for db in cli_databases().await {
        let account_id = account(db.store.as_ref()).await;
        let email = email("owner");
        let created = run_json(
            &db,
            &[
                "user",
                "create",
                "--email",
                &email,
                "--account",
                &account_id,
                "--role",
                "owner",
            ],
        );
        assert_eq!(created["email"], email.as_str());
        assert_eq!(created["operator"], false);
        assert_eq!(created["membership"]["role"], "owner");
        assert!(created["invite_url"].is_string(), "{created}");
        let members = db
            .store
            .list_members(account_id.parse().expect("uuid"))
            .await
            .expect("members");
        assert_eq!(members.len(), 1);
        assert_eq!(members[0].email, email);
        assert_eq!(members[0].role, Role::Owner);
    }
}

#[tokio::test]
async fn user_create_reads_a_password_from_stdin_and_makes_no_invite() {
    for db in cli_databases().await {
        let email = email("operator");
        let args = [
            "user",
            "create",
            "--email",
            email.as_str(),
            "--operator",
            "--password-stdin",
            "--json",
        ];
        let (ok, out, err) = run_with_stdin(&db.url, &args, "correct horse battery\n");
        assert!(ok, "{err}");
        let created: Value = serde_json::from_str(&out).expect("JSON output");
        assert_eq!(created["operator"], true);
        assert!(created.get("invite_url").is_none(), "{created}");
        assert!(
            !out.contains("correct horse"),
            "the password is never printed"
        );
        let login = db.store.find_user_login(&email).await.expect("read");
        assert!(login.expect("stored").password_hash.is_some());
    }
}

#[tokio::test]
async fn user_create_refuses_a_short_password_naming_it() {
    for db in cli_databases().await {
        let email = email("short");
        let args = [
            "user",
            "create",
            "--email",
            email.as_str(),
            "--password-stdin",
        ];
        let (ok, _, err) = run_with_stdin(&db.url, &args, "short\n");
        assert!(!ok);
        assert!(err.contains("password"), "{err}");
        assert!(
            db.store
                .find_user_login(&email)
                .await
                .expect("read")
                .is_none()
        );
    }
}

#[tokio::test]
async fn user_create_for_an_unknown_account_creates_nothing() {
    for db in cli_databases().await {
        let email = email("nowhere");
        let unknown = "01a21132-2300-76cf-a536-8de5501cbe4d";
        let args = [
            "user",
            "create",
            "--email",
            email.as_str(),
            "--account",
            unknown,
            "--role",
            "viewer",
        ];
        let (ok, _, err) = run_any(&db.url, &args);
        assert!(!ok);
        assert!(err.contains("no account with id"), "{err}");
        assert!(
            db.store
                .find_user_login(&email)
                .await
                .expect("read")
                .is_none()
        );
    }
}

#[tokio::test]
async fn api_token_create_prints_a_working_token_once() {
    for db in cli_databases().await {
        let account_id = account(db.store.as_ref()).await;
        let args = [
            "api-token",
            "create",
            "--account",
            account_id.as_str(),
            "--name",
            "CRM sync",
            "--scope",
            "write",
        ];
        let out = run_cli(&db.url, &args);
        let token = value_of(&out, "token:");
        assert!(token.starts_with("lpat_"), "{out}");
        assert_eq!(value_of(&out, "expires:"), "never");
        let now = time::OffsetDateTime::now_utc();
        let actor = credentials::authenticate_token(db.store.as_ref(), &token, now)
            .await
            .expect("the printed token authenticates");
        assert_eq!(actor.kind(), "token");
        let listed = credentials::list_api_tokens(db.store.as_ref(), account_id.parse().unwrap())
            .await
            .expect("list");
        let listed = serde_json::to_string(&listed).expect("json");
        assert!(listed.contains("CRM sync") && !listed.contains(&token));
    }
}

#[tokio::test]
async fn api_token_create_with_an_expiry_in_days() {
    for db in cli_databases().await {
        let account_id = account(db.store.as_ref()).await;
        let created = run_json(
            &db,
            &[
                "api-token",
                "create",
                "--account",
                &account_id,
                "--name",
                "Reports",
                "--scope",
                "read",
                "--expires-in-days",
                "30",
            ],
        );
        assert_eq!(created["scope"], "read");
        let expires = time::OffsetDateTime::parse(
            created["expires_at"].as_str().expect("expires_at"),
            &time::format_description::well_known::Rfc3339,
        )
        .expect("RFC 3339");
        let days = (expires - time::OffsetDateTime::now_utc()).whole_days();
        assert!((29..=30).contains(&days), "{created}");
    }
}

#[tokio::test]
async fn api_token_create_refuses_an_unknown_scope_and_an_unknown_account() {
    for db in cli_databases().await {
        let account_id = account(db.store.as_ref()).await;
        let bad_scope = [
            "api-token",
            "create",
            "--account",
            account_id.as_str(),
            "--name",
            "x",
            "--scope",
            "admin",
        ];
        let (ok, _, err) = run_any(&db.url, &bad_scope);
        assert!(!ok);
        assert!(err.contains("--scope"), "{err}");
        let unknown = "01a21132-2300-76cf-a536-8de5501cbe4d";
        let no_account = [
            "api-token",
            "create",
            "--account",
            unknown,
            "--name",
            "x",
            "--scope",
            "read",
        ];
        let (ok, _, err) = run_any(&db.url, &no_account);
        assert!(!ok);
        assert!(err.contains("no account with id"), "{err}");
    }
}
