//! The `leadpost` command line: `serve` (the default), `migrate`, and the admin
//! operations of `/admin/v1/` on the store directly (same `DATABASE_URL`, no
//! HTTP), with the same checks as the API. Tables for people by default, the
//! API's JSON with `--json`.

mod setup;
mod table;

use std::io::Write;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};
use serde::Serialize;
use uuid::Uuid;

use crate::admin::AdminError;
use crate::admin::accounts::{
    AccountList, CreateAccount, UpdateAccount, account_of, apply_account_changes, rotate_key,
};
use crate::admin::activity::{
    JobList, JobQuery, NotificationList, SubmissionList, SubmissionQuery, requeue,
};
use crate::admin::clients::{ClientList, ClientQuery, CsvExport};
use crate::admin::extract::{PageParams, one_more, paginate};
use crate::admin::input;
use crate::admin::lead_sources::{CreateLeadSource, LeadSourceList, add_lead_source};
use crate::app::{Application, shutdown_signal};
use crate::config::{LogFormat, Settings};
use crate::demo;
use crate::store::StoreError;
use crate::store::{self, Store};
use table::{opt, print_fields, print_table, when};

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
        command: setup::WebhookCommand,
    },
    /// Action plans: webhooks to call, in order, each after its delay.
    #[command(name = "action-plan")]
    ActionPlan {
        #[command(subcommand)]
        command: setup::ActionPlanCommand,
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
}

#[derive(Args, Default)]
pub struct ServeArgs {
    /// Address to listen on (wins over LEADPOST_BIND and the config file).
    #[arg(long)]
    pub bind: Option<String>,
    /// Demo mode: create the demo account and lead source, show the demo page at `/`.
    #[arg(long)]
    pub demo: bool,
}

/// `--limit` and `--after` of every list.
#[derive(Args, Clone, Default)]
pub struct PageArgs {
    /// Rows per page, 1 to 500 (default 50).
    #[arg(long)]
    limit: Option<u32>,
    /// The `next` cursor printed under the previous page.
    #[arg(long)]
    after: Option<String>,
}

impl PageArgs {
    fn params(&self) -> PageParams {
        PageParams {
            limit: self.limit.map(|l| l.to_string()),
            after: self.after.clone(),
        }
    }
}

#[derive(Subcommand)]
pub enum AccountCommand {
    /// Create an account and print its id and web_key.
    Create {
        #[arg(long)]
        name: String,
        /// Keep an existing form's key; otherwise a random one is made.
        #[arg(long)]
        web_key: Option<String>,
        #[arg(long)]
        owner_email: Option<String>,
        #[arg(long)]
        owner_phone: Option<String>,
    },
    /// List accounts, newest first.
    List(PageArgs),
    /// Show one account.
    Show { id: Uuid },
    /// Change an account (only the options given).
    Update {
        id: Uuid,
        #[arg(long)]
        name: Option<String>,
        /// New owner email ("" clears it).
        #[arg(long)]
        owner_email: Option<String>,
        /// New owner phone, ten digits ("" clears it).
        #[arg(long)]
        owner_phone: Option<String>,
        /// The plan run for leads posted with the account key.
        #[arg(long, conflicts_with = "no_default_action_plan")]
        default_action_plan: Option<Uuid>,
        /// Run no plan for leads posted with the account key.
        #[arg(long)]
        no_default_action_plan: bool,
    },
    /// Give the account a new web_key; the old one works --grace-seconds longer.
    RotateKey {
        id: Uuid,
        #[arg(long, default_value_t = 0)]
        grace_seconds: i64,
    },
    /// Point the account (its own web_key) at an action plan, or clear it.
    #[command(name = "set-plan")]
    SetPlan {
        #[arg(long)]
        account: Uuid,
        /// The plan's id; leave out to run no plan.
        #[arg(long)]
        plan: Option<Uuid>,
    },
    /// Turn hosted thank-you pages on or off: a browser post without OnSuccessURL /
    /// OnErrorURL is then redirected to this service's /thanks or /oops page.
    #[command(name = "set-hosted-pages")]
    SetHostedPages {
        /// The account's id.
        #[arg(long)]
        account: Uuid,
        #[arg(long, conflicts_with = "off", required_unless_present = "off")]
        on: bool,
        #[arg(long)]
        off: bool,
    },
}

#[derive(Subcommand)]
pub enum LeadSourceCommand {
    /// Create a lead source for an account and print its id and web_key.
    Create {
        /// The account's id.
        #[arg(long)]
        account: Uuid,
        #[arg(long)]
        name: String,
        #[arg(long)]
        web_key: Option<String>,
        /// Its connection action plan.
        #[arg(long, alias = "plan")]
        action_plan: Option<Uuid>,
    },
    /// List an account's lead sources.
    List {
        #[arg(long)]
        account: Uuid,
        #[command(flatten)]
        page: PageArgs,
    },
    /// Give a lead source a new web_key; the old one works --grace-seconds longer.
    RotateKey {
        #[arg(long)]
        account: Uuid,
        /// The lead source's id.
        id: Uuid,
        #[arg(long, default_value_t = 0)]
        grace_seconds: i64,
    },
}

#[derive(Subcommand)]
pub enum ClientCommand {
    /// List an account's clients, newest first.
    List {
        #[arg(long)]
        account: Uuid,
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        tag: Option<String>,
        /// RFC 3339 time or YYYY-MM-DD.
        #[arg(long)]
        created_after: Option<String>,
        #[command(flatten)]
        page: PageArgs,
    },
    /// Show one client with every stored field.
    Show { id: Uuid },
    /// Queue one webhook for one client now; the delivery worker of `serve` sends it.
    #[command(name = "send-webhook")]
    SendWebhook {
        #[arg(long)]
        client: Uuid,
        #[arg(long)]
        webhook: Uuid,
    },
    /// Write every client of an account as CSV (to stdout, or --output FILE).
    Export {
        #[arg(long)]
        account: Uuid,
        #[arg(long)]
        output: Option<std::path::PathBuf>,
    },
}

#[derive(Subcommand)]
pub enum NotificationCommand {
    /// List an account's notifications, newest first.
    List {
        #[arg(long)]
        account: Uuid,
        #[command(flatten)]
        page: PageArgs,
    },
    /// Mark a notification read (or unread with --unread).
    MarkRead {
        #[arg(long)]
        account: Uuid,
        id: Uuid,
        #[arg(long)]
        unread: bool,
    },
}

#[derive(Subcommand)]
pub enum SubmissionCommand {
    /// List submissions, newest first (all accounts unless --account).
    List {
        #[arg(long)]
        account: Option<Uuid>,
        /// accepted or rejected.
        #[arg(long)]
        outcome: Option<String>,
        /// e.g. ct103.
        #[arg(long)]
        error_code: Option<String>,
        #[command(flatten)]
        page: PageArgs,
    },
}

#[derive(Subcommand)]
pub enum JobCommand {
    /// List an account's jobs with their attempts, newest first.
    List {
        #[arg(long)]
        account: Uuid,
        /// queued, running, retrying, delivered, dead or skipped.
        #[arg(long)]
        state: Option<String>,
        #[command(flatten)]
        page: PageArgs,
    },
    /// Queue a delivered, dead or skipped job again, due now (same message id).
    Retry { id: Uuid },
}

/// Run one command.
pub async fn run(cli: Cli, mut settings: Settings) -> anyhow::Result<()> {
    let json = cli.json;
    let command = cli.command.unwrap_or(Command::Serve(ServeArgs::default()));
    match command {
        Command::Serve(args) => {
            if let Some(bind) = args.bind {
                settings.server.bind = bind;
            }
            if args.demo {
                settings.demo.enabled = true;
            }
            let demo = settings.demo.enabled;
            let log_format = settings.log.format;
            let public_url = settings.server.public_url().map(str::to_string);
            let app = Application::build(settings).await?;
            if demo {
                let base = public_url.unwrap_or_else(|| match app.local_addr() {
                    Ok(addr) => browsable_base(&addr.to_string()),
                    Err(_) => "http://127.0.0.1".into(),
                });
                tracing::info!(web_key = demo::DEMO_WEB_KEY, "demo page: {base}/");
                // With JSON logs every output line must be a JSON object: no banner then.
                if log_format == LogFormat::Text {
                    println!("{}", demo::instructions(&base));
                }
            }
            app.run_until(shutdown_signal()).await?;
            Ok(())
        }
        Command::Demo => {
            let store = open(&settings).await?;
            let made = demo::ensure(&store).await?;
            let base = settings
                .server
                .public_url()
                .map_or_else(|| browsable_base(&settings.server.bind), str::to_string);
            if made.created {
                println!("Created the demo account (id {}).", made.account_id);
            } else {
                println!("The demo account exists (id {}).", made.account_id);
            }
            println!("{}", demo::instructions(&base));
            println!("Serve it with: leadpost serve --demo");
            Ok(())
        }
        Command::Webhook { command } => setup::webhook(command, open(&settings).await?).await,
        Command::ActionPlan { command } => {
            setup::action_plan(command, open(&settings).await?).await
        }
        Command::Migrate => {
            let store = store::connect(&settings.database).await?;
            store.migrate().await?;
            println!("migrations applied to {}", store.backend());
            Ok(())
        }
        Command::Account { command } => account(open(&settings).await?, command, json).await,
        Command::LeadSource { command } => lead_source(open(&settings).await?, command, json).await,
        Command::Client { command } => client(open(&settings).await?, command, json).await,
        Command::Notification { command } => {
            notification(open(&settings).await?, command, json).await
        }
        Command::Submission { command } => submission(open(&settings).await?, command, json).await,
        Command::Job { command } => job(open(&settings).await?, command, json).await,
    }
}

/// The address a browser on this machine can use for a bind address.
fn browsable_base(bind: &str) -> String {
    let shown = match bind.rsplit_once(':') {
        Some(("0.0.0.0", port)) => format!("127.0.0.1:{port}"),
        Some(("[::]", port)) => format!("[::1]:{port}"),
        _ => bind.to_string(),
    };
    format!("http://{shown}")
}

async fn open(settings: &Settings) -> anyhow::Result<Arc<dyn Store>> {
    let store = store::connect(&settings.database).await?;
    store.migrate().await?;
    Ok(store)
}

/// An admin error as the CLI reports it; `id` names the object asked for.
fn fail(error: AdminError, id: Option<Uuid>) -> anyhow::Error {
    match (error, id) {
        (AdminError::NotFound(what), Some(id)) => anyhow::anyhow!("no {what} with id {id}"),
        (AdminError::Invalid(problems), _) => anyhow::anyhow!(
            "invalid input: {}",
            problems
                .iter()
                .map(|p| format!("{} {}", p.field.replace('_', "-"), p.reason))
                .collect::<Vec<_>>()
                .join("; ")
        ),
        (other, _) => anyhow::anyhow!("{other}"),
    }
}

fn print_json(value: &impl Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

fn print_next(next: &Option<String>) {
    if let Some(next) = next {
        println!("next page: --after {next}");
    }
}

fn print_account(account: &crate::store::Account) {
    print_fields(&[
        ("account id", account.id.to_string()),
        ("web_key", account.web_key.clone()),
        ("name", account.name.clone()),
        ("owner email", opt(&account.owner_email)),
        ("owner phone", opt(&account.owner_phone)),
        ("default action plan", opt(&account.default_action_plan_id)),
        ("created at", when(&account.created_at)),
    ]);
}

async fn account(store: Arc<dyn Store>, command: AccountCommand, json: bool) -> anyhow::Result<()> {
    let store = store.as_ref();
    match command {
        AccountCommand::SetPlan { account, plan } => {
            store
                .set_default_action_plan(account, plan)
                .await
                .map_err(|e| match e {
                    StoreError::NotFound => anyhow::anyhow!(
                        "no account with id {account}, or the plan is not one of its plans"
                    ),
                    other => other.into(),
                })?;
            match plan {
                Some(plan) => println!("account {account} runs action plan {plan}"),
                None => println!("account {account} runs no action plan"),
            }
            Ok(())
        }
        AccountCommand::SetHostedPages { account, on, off } => {
            let on = on && !off;
            store
                .set_hosted_pages(account, on)
                .await
                .map_err(|e| match e {
                    StoreError::NotFound => anyhow::anyhow!("no account with id {account}"),
                    other => other.into(),
                })?;
            println!(
                "hosted thank-you pages: {} for account {account}",
                if on { "on" } else { "off" }
            );
            Ok(())
        }
        AccountCommand::Create {
            name,
            web_key,
            owner_email,
            owner_phone,
        } => {
            let new = CreateAccount {
                name,
                owner_email,
                owner_phone,
                web_key,
            }
            .parse()
            .map_err(|e| fail(e, None))?;
            let account = store
                .create_account(&new)
                .await
                .map_err(|e| fail(e.into(), None))?;
            if json {
                return print_json(&account);
            }
            println!("account id: {}", account.id);
            println!("web_key:    {}", account.web_key);
            Ok(())
        }
        AccountCommand::List(page) => {
            let page = page.params().page().map_err(|e| fail(e, None))?;
            let rows = store
                .list_accounts(one_more(page))
                .await
                .map_err(|e| fail(e.into(), None))?;
            let (accounts, next) = paginate(rows, page, |a| a.id);
            if json {
                return print_json(&AccountList { accounts, next });
            }
            let rows: Vec<Vec<String>> = accounts
                .iter()
                .map(|a| {
                    vec![
                        a.id.to_string(),
                        a.name.clone(),
                        a.web_key.clone(),
                        opt(&a.owner_email),
                        when(&a.created_at),
                    ]
                })
                .collect();
            print_table(&["ID", "NAME", "WEB_KEY", "OWNER EMAIL", "CREATED"], &rows);
            print_next(&next);
            Ok(())
        }
        AccountCommand::Show { id } => {
            let account = account_of(store, id).await.map_err(|e| fail(e, Some(id)))?;
            if json {
                return print_json(&account);
            }
            print_account(&account);
            Ok(())
        }
        AccountCommand::Update {
            id,
            name,
            owner_email,
            owner_phone,
            default_action_plan,
            no_default_action_plan,
        } => {
            let default_action_plan_id = if no_default_action_plan {
                Some(None)
            } else {
                default_action_plan.map(Some)
            };
            let changes = UpdateAccount {
                name,
                owner_email: owner_email.map(Some),
                owner_phone: owner_phone.map(Some),
                default_action_plan_id,
            }
            .parse()
            .map_err(|e| fail(e, None))?;
            let account = apply_account_changes(store, id, &changes)
                .await
                .map_err(|e| fail(e, Some(id)))?;
            if json {
                return print_json(&account);
            }
            print_account(&account);
            Ok(())
        }
        AccountCommand::RotateKey { id, grace_seconds } => {
            let grace = input::grace_seconds(Some(grace_seconds))
                .map_err(|p| fail(AdminError::Invalid(vec![p]), None))?;
            let rotated = rotate_key(store, id, None, grace)
                .await
                .map_err(|e| fail(e, Some(id)))?;
            print_rotated(&rotated, json)
        }
    }
}

fn print_rotated(rotated: &crate::store::RotatedKey, json: bool) -> anyhow::Result<()> {
    if json {
        return print_json(rotated);
    }
    print_fields(&[
        ("web_key", rotated.web_key.clone()),
        ("previous web_key", opt(&rotated.previous_web_key)),
        (
            "previous expires at",
            rotated
                .previous_expires_at
                .as_ref()
                .map(when)
                .unwrap_or_else(|| "-".into()),
        ),
    ]);
    Ok(())
}

async fn lead_source(
    store: Arc<dyn Store>,
    command: LeadSourceCommand,
    json: bool,
) -> anyhow::Result<()> {
    let store = store.as_ref();
    match command {
        LeadSourceCommand::Create {
            account,
            name,
            web_key,
            action_plan,
        } => {
            let new = CreateLeadSource {
                name,
                action_plan_id: action_plan,
                web_key,
            }
            .parse()
            .map_err(|e| fail(e, None))?;
            let source = add_lead_source(store, account, &new)
                .await
                .map_err(|e| fail(e, Some(account)))?;
            if json {
                return print_json(&source);
            }
            println!("lead source id: {}", source.id);
            println!("web_key:        {}", source.web_key);
            Ok(())
        }
        LeadSourceCommand::List { account, page } => {
            let page = page.params().page().map_err(|e| fail(e, None))?;
            account_of(store, account)
                .await
                .map_err(|e| fail(e, Some(account)))?;
            let rows = store
                .list_lead_sources(account, one_more(page))
                .await
                .map_err(|e| fail(e.into(), None))?;
            let (lead_sources, next) = paginate(rows, page, |s| s.id);
            if json {
                return print_json(&LeadSourceList { lead_sources, next });
            }
            let rows: Vec<Vec<String>> = lead_sources
                .iter()
                .map(|s| {
                    vec![
                        s.id.to_string(),
                        s.name.clone(),
                        s.web_key.clone(),
                        opt(&s.action_plan_id),
                        when(&s.created_at),
                    ]
                })
                .collect();
            print_table(&["ID", "NAME", "WEB_KEY", "ACTION PLAN", "CREATED"], &rows);
            print_next(&next);
            Ok(())
        }
        LeadSourceCommand::RotateKey {
            account,
            id,
            grace_seconds,
        } => {
            let grace = input::grace_seconds(Some(grace_seconds))
                .map_err(|p| fail(AdminError::Invalid(vec![p]), None))?;
            let rotated = rotate_key(store, account, Some(id), grace)
                .await
                .map_err(|e| fail(e, Some(id)))?;
            print_rotated(&rotated, json)
        }
    }
}

async fn client(store: Arc<dyn Store>, command: ClientCommand, json: bool) -> anyhow::Result<()> {
    match command {
        ClientCommand::SendWebhook { client, webhook } => {
            setup::send_webhook(client, webhook, store).await
        }
        ClientCommand::List {
            account,
            email,
            tag,
            created_after,
            page,
        } => {
            let query = ClientQuery {
                email,
                tag,
                created_after,
                limit: page.limit.map(|l| l.to_string()),
                after: page.after,
            };
            let (filter, page) = query.parse().map_err(|e| fail(e, None))?;
            account_of(store.as_ref(), account)
                .await
                .map_err(|e| fail(e, Some(account)))?;
            let rows = store
                .list_clients(account, &filter, one_more(page))
                .await
                .map_err(|e| fail(e.into(), None))?;
            let (clients, next) = paginate(rows, page, |c| c.id);
            if json {
                return print_json(&ClientList { clients, next });
            }
            let rows: Vec<Vec<String>> = clients
                .iter()
                .map(|c| {
                    let name = match &c.last_name {
                        Some(last) => format!("{} {last}", c.first_name),
                        None => c.first_name.clone(),
                    };
                    vec![
                        c.id.to_string(),
                        name,
                        opt(&c.email),
                        opt(&c.phone),
                        c.tags.join(","),
                        when(&c.created_at),
                    ]
                })
                .collect();
            print_table(&["ID", "NAME", "EMAIL", "PHONE", "TAGS", "CREATED"], &rows);
            print_next(&next);
            Ok(())
        }
        ClientCommand::Show { id } => {
            let client = store
                .get_client(id)
                .await
                .map_err(|e| fail(AdminError::from_store(e, "client"), Some(id)))?;
            if json {
                return print_json(&client);
            }
            let value = serde_json::to_value(&client)?;
            let mut fields: Vec<(&str, String)> = Vec::new();
            if let serde_json::Value::Object(map) = &value {
                for (key, v) in map {
                    let shown = match v {
                        serde_json::Value::Null => "-".to_string(),
                        serde_json::Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    fields.push((key.as_str(), shown));
                }
            }
            print_fields(&fields);
            Ok(())
        }
        ClientCommand::Export { account, output } => {
            account_of(store.as_ref(), account)
                .await
                .map_err(|e| fail(e, Some(account)))?;
            let mut export = CsvExport::start(store.clone(), account)
                .await
                .map_err(|e| fail(e, None))?;
            let mut out: Box<dyn Write> = match &output {
                Some(path) => Box::new(std::io::BufWriter::new(std::fs::File::create(path)?)),
                None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
            };
            while let Some(chunk) = export.next_chunk().await.map_err(|e| fail(e, None))? {
                out.write_all(&chunk)?;
            }
            out.flush()?;
            Ok(())
        }
    }
}

async fn notification(
    store: Arc<dyn Store>,
    command: NotificationCommand,
    json: bool,
) -> anyhow::Result<()> {
    match command {
        NotificationCommand::List { account, page } => {
            let page = page.params().page().map_err(|e| fail(e, None))?;
            account_of(store.as_ref(), account)
                .await
                .map_err(|e| fail(e, Some(account)))?;
            let rows = store
                .list_notifications(account, one_more(page))
                .await
                .map_err(|e| fail(e.into(), None))?;
            let (notifications, next) = paginate(rows, page, |n| n.id);
            if json {
                return print_json(&NotificationList {
                    notifications,
                    next,
                });
            }
            let rows: Vec<Vec<String>> = notifications
                .iter()
                .map(|n| {
                    vec![
                        n.id.to_string(),
                        n.kind.clone(),
                        if n.read { "yes" } else { "no" }.to_string(),
                        n.message.clone(),
                        when(&n.created_at),
                    ]
                })
                .collect();
            print_table(&["ID", "KIND", "READ", "MESSAGE", "CREATED"], &rows);
            print_next(&next);
            Ok(())
        }
        NotificationCommand::MarkRead {
            account,
            id,
            unread,
        } => {
            let n = store
                .set_notification_read(account, id, !unread)
                .await
                .map_err(|e| fail(AdminError::from_store(e, "notification"), Some(id)))?;
            if json {
                return print_json(&n);
            }
            println!(
                "notification {} marked {}",
                n.id,
                if n.read { "read" } else { "unread" }
            );
            Ok(())
        }
    }
}

async fn submission(
    store: Arc<dyn Store>,
    command: SubmissionCommand,
    json: bool,
) -> anyhow::Result<()> {
    let SubmissionCommand::List {
        account,
        outcome,
        error_code,
        page,
    } = command;
    let query = SubmissionQuery {
        outcome,
        error_code,
        limit: page.limit.map(|l| l.to_string()),
        after: page.after,
    };
    let (filter, page) = query.parse(account).map_err(|e| fail(e, None))?;
    let rows = store
        .list_submissions(&filter, one_more(page))
        .await
        .map_err(|e| fail(e.into(), None))?;
    let (submissions, next) = paginate(rows, page, |s| s.id);
    if json {
        return print_json(&SubmissionList { submissions, next });
    }
    let rows: Vec<Vec<String>> = submissions
        .iter()
        .map(|s| {
            vec![
                s.id.to_string(),
                s.outcome.as_str().to_string(),
                opt(&s.error_code),
                opt(&s.account_id),
                opt(&s.client_id),
                opt(&s.remote_ip),
                when(&s.created_at),
            ]
        })
        .collect();
    print_table(
        &[
            "ID", "OUTCOME", "CODE", "ACCOUNT", "CLIENT", "IP", "CREATED",
        ],
        &rows,
    );
    print_next(&next);
    Ok(())
}

async fn job(store: Arc<dyn Store>, command: JobCommand, json: bool) -> anyhow::Result<()> {
    match command {
        JobCommand::List {
            account,
            state,
            page,
        } => {
            let query = JobQuery {
                state,
                limit: page.limit.map(|l| l.to_string()),
                after: page.after,
            };
            let (filter, page) = query.parse().map_err(|e| fail(e, None))?;
            account_of(store.as_ref(), account)
                .await
                .map_err(|e| fail(e, Some(account)))?;
            let rows = store
                .list_jobs_with_attempts(account, &filter, one_more(page))
                .await
                .map_err(|e| fail(e.into(), None))?;
            let (jobs, next) = paginate(rows, page, |j| j.job.id);
            if json {
                return print_json(&JobList { jobs, next });
            }
            let rows: Vec<Vec<String>> = jobs
                .iter()
                .map(|j| {
                    vec![
                        j.job.id.to_string(),
                        j.job.kind.to_string(),
                        j.job.state.to_string(),
                        j.job.attempts.to_string(),
                        when(&j.job.due_at),
                        opt(&j.job.client_id),
                        opt(&j.job.last_error),
                    ]
                })
                .collect();
            print_table(
                &[
                    "ID",
                    "KIND",
                    "STATE",
                    "ATTEMPTS",
                    "DUE",
                    "CLIENT",
                    "LAST ERROR",
                ],
                &rows,
            );
            print_next(&next);
            Ok(())
        }
        JobCommand::Retry { id } => {
            let job = requeue(store.as_ref(), None, id)
                .await
                .map_err(|e| fail(e, Some(id)))?;
            if json {
                return print_json(&job);
            }
            println!(
                "job {} queued again, due {} (message id {})",
                job.job.id,
                when(&job.job.due_at),
                job.job.message_id
            );
            Ok(())
        }
    }
}
