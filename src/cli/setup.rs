//! The set-up commands of action plans and webhooks: `webhook create`,
//! `action-plan create` and `client send-webhook`. Each is a thin wrapper
//! around the `actions` module and the store, printing ids.

use std::sync::Arc;

use anyhow::Context as _;
use clap::Subcommand;
use uuid::Uuid;

use crate::actions::{ActionPlanRequest, FieldProblem, StepRequest, WebhookRequest};
use crate::store::{Store, StoreError};

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
        /// `acculynx`: AccuLynx's lead body, URL and Bearer authorization.
        #[arg(long)]
        preset: Option<String>,
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

#[derive(Subcommand)]
pub enum ActionPlanCommand {
    /// Create an action plan and print its id.
    Create {
        /// The account's id.
        #[arg(long)]
        account: Uuid,
        #[arg(long)]
        name: String,
        /// A step as `WEBHOOK_ID[:DELAY_SECONDS]`, in order; may be repeated.
        #[arg(long = "step", value_name = "WEBHOOK_ID[:DELAY_SECONDS]")]
        steps: Vec<String>,
    },
}

fn problems(list: Vec<FieldProblem>) -> anyhow::Error {
    let lines: Vec<String> = list
        .iter()
        .map(|p| format!("  {}: {}", p.field, p.reason))
        .collect();
    anyhow::anyhow!("invalid request:\n{}", lines.join("\n"))
}

fn not_found(e: StoreError, what: String) -> anyhow::Error {
    match e {
        StoreError::NotFound => anyhow::anyhow!("{what}"),
        other => other.into(),
    }
}

pub async fn webhook(command: WebhookCommand, store: Arc<dyn Store>) -> anyhow::Result<()> {
    let WebhookCommand::Create {
        account,
        name,
        url,
        preset,
        api_key,
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
    };
    let (new, generated) = request.prepare().map_err(problems)?;
    let hook = store
        .create_webhook(account, &new)
        .await
        .map_err(|e| not_found(e, format!("no account with id {account}")))?;
    println!("webhook id: {}", hook.id);
    if let Some(secret) = generated {
        println!("secret:     {secret}   (shown once: keep it)");
    }
    Ok(())
}

pub async fn action_plan(command: ActionPlanCommand, store: Arc<dyn Store>) -> anyhow::Result<()> {
    let ActionPlanCommand::Create {
        account,
        name,
        steps,
    } = command;
    let mut parsed = Vec::new();
    for step in steps {
        let (id, delay) = match step.split_once(':') {
            Some((id, delay)) => (id, delay.trim().parse::<i64>().ok()),
            None => (step.as_str(), Some(0)),
        };
        let delay =
            delay.with_context(|| format!("--step {step:?}: delay must be whole seconds"))?;
        let webhook_id = Uuid::parse_str(id.trim())
            .with_context(|| format!("--step {step:?}: not a webhook id"))?;
        parsed.push(StepRequest {
            webhook_id,
            delay_seconds: delay,
        });
    }
    let new = ActionPlanRequest {
        name: Some(name),
        steps: parsed,
    }
    .prepare()
    .map_err(problems)?;
    let plan = store.create_action_plan(account, &new).await.map_err(|e| {
        not_found(
            e,
            format!("no account with id {account}, or a step's webhook is not one of its webhooks"),
        )
    })?;
    println!("action plan id: {}", plan.id);
    Ok(())
}

/// Queue one webhook for one client now.
pub async fn send_webhook(
    client: Uuid,
    webhook: Uuid,
    store: Arc<dyn Store>,
) -> anyhow::Result<()> {
    let job = store
        .queue_webhook_job(client, webhook)
        .await
        .map_err(|e| {
            not_found(
                e,
                format!("no client {client} with a webhook {webhook} in its account"),
            )
        })?;
    println!("job id:     {}", job.id);
    println!("webhook-id: {}", job.message_id);
    Ok(())
}
