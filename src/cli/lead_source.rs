//! `leadpost lead-source ...`: create, list, show (with the inbound URL and address), rotate the
//! web_key.

use clap::Subcommand;
use uuid::Uuid;

use super::account::print_rotated;
use super::audit::record;
use super::output::{PageArgs, fail, print_json, print_next};
use super::table::{opt, print_table, when};
use crate::config::Settings;
use crate::service::accounts::RotateKey;
use crate::service::audit::AuditAction;
use crate::service::inbound::with_addresses;
use crate::service::lead_sources::{self, CreateLeadSource};
use crate::store::{LeadSource, Store};

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
    /// Show one lead source: its web_key and its inbound URL and address.
    Show {
        #[arg(long)]
        account: Uuid,
        /// The lead source's id.
        id: Uuid,
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

/// Run one `lead-source` command.
pub async fn run(
    store: &dyn Store,
    settings: &Settings,
    command: LeadSourceCommand,
    json: bool,
) -> anyhow::Result<()> {
    let addressed = |s: LeadSource| with_addresses(s, &settings.server, &settings.inbound);
    match command {
        LeadSourceCommand::Create {
            account,
            name,
            web_key,
            action_plan,
        } => {
            let input = CreateLeadSource {
                name,
                action_plan_id: action_plan,
                web_key,
            };
            let source = lead_sources::create(store, account, input)
                .await
                .map_err(|e| fail(e, Some(account)))?;
            let action = AuditAction::new("lead_source", "create");
            record(store, Some(account), action, Some(source.id)).await;
            if json {
                return print_json(&source);
            }
            println!("lead source id: {}", source.id);
            println!("web_key:        {}", source.web_key);
            Ok(())
        }
        LeadSourceCommand::List { account, page } => {
            let mut list = lead_sources::list(store, account, &page.params())
                .await
                .map_err(|e| fail(e, Some(account)))?;
            list.lead_sources = list.lead_sources.into_iter().map(addressed).collect();
            if json {
                return print_json(&list);
            }
            let rows: Vec<Vec<String>> = list
                .lead_sources
                .iter()
                .map(|s| {
                    vec![
                        s.id.to_string(),
                        s.name.clone(),
                        s.web_key.clone(),
                        opt(&s.action_plan_id),
                        when(&s.created_at),
                        s.inbound_url.clone(),
                        opt(&s.inbound_address),
                    ]
                })
                .collect();
            print_table(
                &[
                    "ID",
                    "NAME",
                    "WEB_KEY",
                    "ACTION PLAN",
                    "CREATED",
                    "INBOUND URL",
                    "INBOUND ADDRESS",
                ],
                &rows,
            );
            print_next(&list.next);
            Ok(())
        }
        LeadSourceCommand::Show { account, id } => {
            let source = lead_sources::get(store, account, id)
                .await
                .map_err(|e| fail(e, Some(id)))?;
            let source = addressed(source);
            if json {
                return print_json(&source);
            }
            println!("lead source id:  {}", source.id);
            println!("name:            {}", source.name);
            println!("web_key:         {}", source.web_key);
            println!("action plan:     {}", opt(&source.action_plan_id));
            println!("inbound url:     {}", source.inbound_url);
            println!("inbound address: {}", opt(&source.inbound_address));
            Ok(())
        }
        LeadSourceCommand::RotateKey {
            account,
            id,
            grace_seconds,
        } => {
            let input = RotateKey {
                grace_seconds: Some(grace_seconds),
            };
            let rotated = lead_sources::rotate_key(store, account, id, &input)
                .await
                .map_err(|e| fail(e, Some(id)))?;
            let action = AuditAction::new("lead_source", "rotate_key");
            record(store, Some(account), action, Some(id)).await;
            print_rotated(&rotated, json)
        }
    }
}
