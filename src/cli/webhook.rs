//! `leadpost webhook create`: a webhook of an account (a URL, method, headers
//! and body template, or the `acculynx` preset), optionally signed.

use anyhow::Context as _;
use clap::Subcommand;
use uuid::Uuid;

use super::audit::record;
use crate::actions::WebhookRequest;
use crate::service::ServiceError;
use crate::service::audit::AuditAction;
use crate::service::automation;
use crate::store::Store;

#[derive(Subcommand)]
pub enum WebhookCommand {
    /// Create a webhook for an account and print its id (and a generated secret).
    Create {
        /// The account's id.
        #[arg(long)]
        account: Uuid,
        #[arg(long)]
        name: String,
        /// Where to send (with --preset acculynx: overrides AccuLynx's URL).
        #[arg(long)]
        url: Option<String>,
        /// `acculynx`: AccuLynx's lead body, URL and Bearer authorization; `slack` or
        /// `discord`: one chat message (`--message`) posted to the chat's webhook URL.
        #[arg(long)]
        preset: Option<String>,
        /// The chat presets' message template (default: the lead's name, email and phone).
        #[arg(long)]
        message: Option<String>,
        /// The AccuLynx API key (with --preset acculynx).
        #[arg(long)]
        api_key: Option<String>,
        /// POST (default), PUT, PATCH, GET or DELETE.
        #[arg(long)]
        method: Option<String>,
        /// A header as `Name: value`; may be repeated.
        #[arg(long = "header", value_name = "NAME: VALUE")]
        headers: Vec<String>,
        /// The JSON body template (string leaves are minijinja templates).
        #[arg(long)]
        body: Option<String>,
        /// Sign requests: `--secret` makes a secret (printed once), `--secret whsec_...` uses yours.
        #[arg(long, num_args = 0..=1, default_missing_value = "")]
        secret: Option<String>,
    },
}

/// Run one `webhook` command.
pub async fn run(store: &dyn Store, command: WebhookCommand) -> anyhow::Result<()> {
    let WebhookCommand::Create {
        account,
        name,
        url,
        preset,
        api_key,
        message,
        method,
        headers,
        body,
        secret,
    } = command;
    let mut header_map = serde_json::Map::new();
    for header in headers {
        let (n, v) = header
            .split_once(':')
            .with_context(|| format!("--header {header:?}: expected `Name: value`"))?;
        header_map.insert(
            n.trim().to_string(),
            serde_json::Value::String(v.trim().into()),
        );
    }
    let body = body
        .map(|b| serde_json::from_str::<serde_json::Value>(&b))
        .transpose()
        .context("--body is not JSON")?;
    let secret = secret.map(|s| match s.as_str() {
        "" => serde_json::Value::Bool(true),
        _ => serde_json::Value::String(s),
    });
    let request = WebhookRequest {
        name: Some(name),
        url,
        method,
        headers: (!header_map.is_empty()).then_some(serde_json::Value::Object(header_map)),
        body,
        secret,
        preset,
        api_key,
        message,
    };
    let hook = automation::create_webhook(store, account, request)
        .await
        .map_err(|e| setup_error(e, account))?;
    let action = AuditAction::new("webhook", "create");
    record(store, Some(account), action, Some(hook.id)).await;
    println!("webhook id: {}", hook.id);
    if let Some(secret) = hook.new_secret() {
        println!("secret:     {secret}   (shown once: keep it)");
    }
    Ok(())
}

/// A failed set-up command: every problem on its own line, or the missing account.
pub(super) fn setup_error(error: ServiceError, account: Uuid) -> anyhow::Error {
    match error {
        ServiceError::Invalid(list) => {
            let lines: Vec<String> = list
                .iter()
                .map(|p| format!("  {}: {}", p.field, p.reason))
                .collect();
            anyhow::anyhow!("invalid request:\n{}", lines.join("\n"))
        }
        other => super::output::fail(other, Some(account)),
    }
}
