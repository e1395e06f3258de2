//! `leadpost account ...`: create, list, show, change, point at a plan, turn
//! hosted pages on or off, rotate the web_key.

use clap::Subcommand;
use uuid::Uuid;

use super::audit::record;
use super::output::{PageArgs, fail, print_json, print_next};
use super::table::{opt, print_fields, print_table, when};
use crate::service::ServiceError;
use crate::service::accounts::{self, CreateAccount, RotateKey, UpdateAccount};
use crate::service::audit::AuditAction;
use crate::store::{Account, RotatedKey, Store};

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
        /// The name visitors see on the hosted pages ("" clears it).
        #[arg(long)]
        display_name: Option<String>,
        /// The account's website, http:// or https://, linked from the hosted pages ("" clears it).
        #[arg(long)]
        website_url: Option<String>,
        /// Accept phones written like (801) 555-0102 or +1 801 555 0102: true or false.
        #[arg(long)]
        lenient_phones: Option<bool>,
        /// The new_lead_notification level (0, 1 or 2) of a post that sends none.
        #[arg(long)]
        new_lead_notification_default: Option<i64>,
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

/// Run one `account` command.
pub async fn run(store: &dyn Store, command: AccountCommand, json: bool) -> anyhow::Result<()> {
    match command {
        AccountCommand::SetPlan { account, plan } => {
            accounts::set_default_action_plan(store, account, plan)
                .await
                .map_err(|e| match e {
                    ServiceError::NotFound(_) => anyhow::anyhow!(
                        "no account with id {account}, or the plan is not one of its plans"
                    ),
                    other => fail(other, None),
                })?;
            let action = AuditAction::new("account", "set_plan");
            record(store, Some(account), action, Some(account)).await;
            match plan {
                Some(plan) => println!("account {account} runs action plan {plan}"),
                None => println!("account {account} runs no action plan"),
            }
            Ok(())
        }
        AccountCommand::SetHostedPages { account, on, off } => {
            let on = on && !off;
            accounts::set_hosted_pages(store, account, on)
                .await
                .map_err(|e| fail(e, Some(account)))?;
            let action = AuditAction::new("account", "set_hosted_pages");
            record(store, Some(account), action, Some(account)).await;
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
            let input = CreateAccount {
                name,
                owner_email,
                owner_phone,
                web_key,
            };
            let account = accounts::create(store, input)
                .await
                .map_err(|e| fail(e, None))?;
            let action = AuditAction::new("account", "create");
            record(store, Some(account.id), action, Some(account.id)).await;
            if json {
                return print_json(&account);
            }
            println!("account id: {}", account.id);
            println!("web_key:    {}", account.web_key);
            Ok(())
        }
        AccountCommand::List(page) => {
            let list = accounts::list(store, &page.params())
                .await
                .map_err(|e| fail(e, None))?;
            if json {
                return print_json(&list);
            }
            let rows: Vec<Vec<String>> = list
                .accounts
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
            print_next(&list.next);
            Ok(())
        }
        AccountCommand::Show { id } => {
            let account = accounts::get(store, id)
                .await
                .map_err(|e| fail(e, Some(id)))?;
            print_account(&account, json)
        }
        AccountCommand::Update {
            id,
            name,
            owner_email,
            owner_phone,
            default_action_plan,
            no_default_action_plan,
            display_name,
            website_url,
            lenient_phones,
            new_lead_notification_default,
        } => {
            let default_action_plan_id = if no_default_action_plan {
                Some(None)
            } else {
                default_action_plan.map(Some)
            };
            let input = UpdateAccount {
                name,
                owner_email: owner_email.map(Some),
                owner_phone: owner_phone.map(Some),
                default_action_plan_id,
                display_name: display_name.map(Some),
                website_url: website_url.map(Some),
                lenient_phones,
                new_lead_notification_default,
                hosted_pages: None,
            };
            let account = accounts::update(store, id, input)
                .await
                .map_err(|e| fail(e, Some(id)))?;
            record(
                store,
                Some(id),
                AuditAction::new("account", "update"),
                Some(id),
            )
            .await;
            print_account(&account, json)
        }
        AccountCommand::RotateKey { id, grace_seconds } => {
            let input = RotateKey {
                grace_seconds: Some(grace_seconds),
            };
            let rotated = accounts::rotate_key(store, id, &input)
                .await
                .map_err(|e| fail(e, Some(id)))?;
            let action = AuditAction::new("account", "rotate_key");
            record(store, Some(id), action, Some(id)).await;
            print_rotated(&rotated, json)
        }
    }
}

fn print_account(account: &Account, json: bool) -> anyhow::Result<()> {
    if json {
        return print_json(account);
    }
    print_fields(&[
        ("account id", account.id.to_string()),
        ("web_key", account.web_key.clone()),
        ("name", account.name.clone()),
        ("owner email", opt(&account.owner_email)),
        ("owner phone", opt(&account.owner_phone)),
        ("default action plan", opt(&account.default_action_plan_id)),
        ("display name", opt(&account.display_name)),
        ("website", opt(&account.website_url)),
        ("lenient phones", account.lenient_phones.to_string()),
        (
            "new lead notification default",
            account.new_lead_notification_default.to_string(),
        ),
        ("hosted pages", account.hosted_pages.to_string()),
        ("created at", when(&account.created_at)),
    ]);
    Ok(())
}

/// A new web_key and the old one's last moment.
pub(super) fn print_rotated(rotated: &RotatedKey, json: bool) -> anyhow::Result<()> {
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
