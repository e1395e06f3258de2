//! The `leadpost` command line: `serve` (the default), `migrate`, `demo`, and
//! the admin operations on the store directly (same `DATABASE_URL`, no HTTP),
//! through the same service functions and checks as the admin API. Tables for
//! people by default, the API's JSON with `--json`. One file per command
//! group, each with its clap enum and its runner; this file only dispatches.

mod account;
mod action_plan;
mod api_token;
mod audit;
mod backup;
mod client;
mod demo;
mod job;
mod lead_source;
mod notification;
mod output;
mod serve;
mod submission;
mod table;
mod user;
mod webhook;

use std::sync::Arc;

use clap::{Parser, Subcommand};

pub use account::AccountCommand;
pub use action_plan::ActionPlanCommand;
pub use api_token::ApiTokenCommand;
pub use audit::AuditCommand;
pub use backup::BackupArgs;
pub use client::ClientCommand;
pub use job::JobCommand;
pub use lead_source::LeadSourceCommand;
pub use notification::NotificationCommand;
pub use serve::ServeArgs;
pub use submission::SubmissionCommand;
pub use user::UserCommand;
pub use webhook::WebhookCommand;

use crate::config::Settings;
use crate::store::{self, Store};

#[derive(Parser)]
#[command(
    name = "leadpost",
    version,
    about = "Self-hosted lead intake: the form-post endpoint and its admin tools"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Print JSON (the admin API's shapes) instead of tables.
    #[arg(long, global = true)]
    pub json: bool,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run the HTTP service (the default).
    Serve(ServeArgs),
    /// Bring the database schema up to date and exit.
    Migrate,
    /// Create (once) the demo account and lead source; print their keys, a curl
    /// command and the demo page address.
    Demo,
    /// Webhooks: where action plans send new leads.
    Webhook {
        #[command(subcommand)]
        command: WebhookCommand,
    },
    /// Action plans: webhooks to call, in order, each after its delay.
    #[command(name = "action-plan")]
    ActionPlan {
        #[command(subcommand)]
        command: ActionPlanCommand,
    },
    /// Accounts: the owners of clients, lead sources and webhooks.
    Account {
        #[command(subcommand)]
        command: AccountCommand,
    },
    /// Lead sources: each has its own web_key and connection action plan.
    #[command(name = "lead-source")]
    LeadSource {
        #[command(subcommand)]
        command: LeadSourceCommand,
    },
    /// The leads of an account.
    Client {
        #[command(subcommand)]
        command: ClientCommand,
    },
    /// In-app notifications of an account.
    Notification {
        #[command(subcommand)]
        command: NotificationCommand,
    },
    /// The submission log: every post, accepted or refused.
    Submission {
        #[command(subcommand)]
        command: SubmissionCommand,
    },
    /// The job queue: webhook, email and text deliveries.
    Job {
        #[command(subcommand)]
        command: JobCommand,
    },
    /// People who log in to the console.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Account API tokens (`lpat_…`) for the admin API.
    #[command(name = "api-token")]
    ApiToken {
        #[command(subcommand)]
        command: ApiTokenCommand,
    },
    /// The audit log: who changed what, when, from where.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Copy a SQLite store while it serves (on PostgreSQL: use pg_dump).
    Backup(BackupArgs),
}

/// Run one command.
pub async fn run(cli: Cli, settings: Settings) -> anyhow::Result<()> {
    let json = cli.json;
    let command = cli.command.unwrap_or(Command::Serve(ServeArgs::default()));
    match command {
        Command::Serve(args) => serve::run(args, settings).await,
        Command::Migrate => serve::migrate(&settings).await,
        Command::Demo => demo::run(open(&settings).await?, &settings).await,
        Command::Webhook { command } => {
            webhook::run(open(&settings).await?.as_ref(), command).await
        }
        Command::ActionPlan { command } => {
            action_plan::run(open(&settings).await?.as_ref(), command).await
        }
        Command::Account { command } => {
            account::run(open(&settings).await?.as_ref(), command, json).await
        }
        Command::LeadSource { command } => {
            lead_source::run(open(&settings).await?.as_ref(), &settings, command, json).await
        }
        Command::Client { command } => client::run(open(&settings).await?, command, json).await,
        Command::Notification { command } => {
            notification::run(open(&settings).await?.as_ref(), command, json).await
        }
        Command::Submission { command } => {
            submission::run(open(&settings).await?.as_ref(), command, json).await
        }
        Command::Job { command } => job::run(open(&settings).await?.as_ref(), command, json).await,
        Command::User { command } => {
            user::run(open(&settings).await?.as_ref(), &settings, command, json).await
        }
        Command::ApiToken { command } => {
            api_token::run(open(&settings).await?.as_ref(), command, json).await
        }
        Command::Audit { command } => {
            audit::run(open(&settings).await?.as_ref(), command, json).await
        }
        Command::Backup(args) => backup::run(open(&settings).await?.as_ref(), args).await,
    }
}

/// The store of the configuration, its schema brought up to date.
async fn open(settings: &Settings) -> anyhow::Result<Arc<dyn Store>> {
    let store = store::connect(&settings.database).await?;
    store.migrate().await?;
    Ok(store)
}
