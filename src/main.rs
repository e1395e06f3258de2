//! The `leadpost` command: `serve` (the default), `migrate`, `demo`, and the
//! set-up commands that create accounts, lead sources, webhooks and action plans.

mod cli;

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use uuid::Uuid;

use leadpost::app::{Application, shutdown_signal};
use leadpost::config::{LogFormat, Settings};
use leadpost::demo;
use leadpost::store::{self, NewAccount, NewLeadSource, StoreError};
use leadpost::telemetry;

#[derive(Parser)]
#[command(
    name = "leadpost",
    version,
    about = "Self-hosted lead intake: the form-post endpoint"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP service (the default).
    Serve(ServeArgs),
    /// Bring the database schema up to date and exit.
    Migrate,
    /// Create (idempotently) the demo account and lead source, print their web_keys,
    /// a curl command and the demo page address, and exit. `serve --demo` serves them.
    Demo,
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
    /// Webhooks: where a new lead is sent.
    Webhook {
        #[command(subcommand)]
        command: cli::WebhookCommand,
    },
    /// Action plans: webhooks to call, in order, each after its delay.
    #[command(name = "action-plan")]
    ActionPlan {
        #[command(subcommand)]
        command: cli::ActionPlanCommand,
    },
    /// Clients: send a webhook on demand.
    Client {
        #[command(subcommand)]
        command: cli::ClientCommand,
    },
    /// Jobs: what was sent, and how it went.
    Job {
        #[command(subcommand)]
        command: cli::JobCommand,
    },
}

#[derive(Args, Default)]
struct ServeArgs {
    /// Address to listen on (wins over LEADPOST_BIND and the config file).
    #[arg(long)]
    bind: Option<String>,
    /// Demo mode: create the demo account at start and show the demo page at `/`.
    #[arg(long)]
    demo: bool,
}

#[derive(Subcommand)]
enum AccountCommand {
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
enum LeadSourceCommand {
    /// Create a lead source for an account and print its id and web_key.
    Create {
        /// The account's id.
        #[arg(long)]
        account: Uuid,
        #[arg(long)]
        name: String,
        #[arg(long)]
        web_key: Option<String>,
        /// The connection action plan the source's leads start.
        #[arg(long)]
        plan: Option<Uuid>,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::load() {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("leadpost: {e}");
            return ExitCode::FAILURE;
        }
    };
    telemetry::init(settings.log.format, &settings.log.level);
    match run(
        cli.command.unwrap_or(Command::Serve(ServeArgs::default())),
        settings,
    )
    .await
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %format!("{e:#}"), "leadpost failed");
            eprintln!("leadpost: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, mut settings: Settings) -> anyhow::Result<()> {
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
        Command::Migrate => {
            let store = store::connect(&settings.database).await?;
            store.migrate().await?;
            println!("migrations applied to {}", store.backend());
            Ok(())
        }
        Command::Account {
            command:
                AccountCommand::Create {
                    name,
                    web_key,
                    owner_email,
                    owner_phone,
                },
        } => {
            let store = open(&settings).await?;
            let account = store
                .create_account(&NewAccount {
                    name,
                    owner_email,
                    owner_phone,
                    web_key,
                })
                .await?;
            println!("account id: {}", account.id);
            println!("web_key:    {}", account.web_key);
            Ok(())
        }
        Command::Account {
            command: AccountCommand::SetHostedPages { account, on, off },
        } => {
            let on = on && !off;
            let store = open(&settings).await?;
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
        Command::LeadSource {
            command:
                LeadSourceCommand::Create {
                    account,
                    name,
                    web_key,
                    plan,
                },
        } => {
            let store = open(&settings).await?;
            let source = store
                .create_lead_source(
                    account,
                    &NewLeadSource {
                        name,
                        action_plan_id: plan,
                        web_key,
                    },
                )
                .await
                .map_err(|e| match e {
                    StoreError::NotFound if plan.is_some() => anyhow::anyhow!(
                        "no account with id {account}, or the plan is not one of its plans"
                    ),
                    StoreError::NotFound => anyhow::anyhow!("no account with id {account}"),
                    other => other.into(),
                })?;
            println!("lead source id: {}", source.id);
            println!("web_key:        {}", source.web_key);
            Ok(())
        }
        Command::Account {
            command: AccountCommand::SetPlan { account, plan },
        } => {
            let store = open(&settings).await?;
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
        Command::Webhook { command } => cli::webhook(command, open(&settings).await?).await,
        Command::ActionPlan { command } => cli::action_plan(command, open(&settings).await?).await,
        Command::Client { command } => cli::client(command, open(&settings).await?).await,
        Command::Job { command } => cli::job(command, open(&settings).await?).await,
    }
}

/// `http://HOST:PORT` for a bind address, with an unspecified host (`0.0.0.0`, `[::]`)
/// shown as the loopback address a browser on this machine can open.
fn browsable_base(bind: &str) -> String {
    let shown = match bind.rsplit_once(':') {
        Some(("0.0.0.0", port)) => format!("127.0.0.1:{port}"),
        Some(("[::]", port)) => format!("[::1]:{port}"),
        _ => bind.to_string(),
    };
    format!("http://{shown}")
}

async fn open(settings: &Settings) -> anyhow::Result<std::sync::Arc<dyn store::Store>> {
    let store = store::connect(&settings.database).await?;
    store.migrate().await?;
    Ok(store)
}
