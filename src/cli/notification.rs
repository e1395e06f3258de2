//! `leadpost notification ...`: list an account's notifications, mark one read.

use clap::Subcommand;
use uuid::Uuid;

use super::audit::record;
use super::output::{PageArgs, fail, print_json, print_next};
use super::table::{print_table, when};
use crate::service::activity::{self, UpdateNotification};
use crate::service::audit::AuditAction;
use crate::store::Store;

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

/// Run one `notification` command.
pub async fn run(
    store: &dyn Store,
    command: NotificationCommand,
    json: bool,
) -> anyhow::Result<()> {
    match command {
        NotificationCommand::List { account, page } => {
            let list = activity::list_notifications(store, account, &page.params())
                .await
                .map_err(|e| fail(e, Some(account)))?;
            if json {
                return print_json(&list);
            }
            let rows: Vec<Vec<String>> = list
                .notifications
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
            print_next(&list.next);
            Ok(())
        }
        NotificationCommand::MarkRead {
            account,
            id,
            unread,
        } => {
            let change = UpdateNotification { read: !unread };
            let n = activity::update_notification(store, account, id, &change)
                .await
                .map_err(|e| fail(e, Some(id)))?;
            let action = AuditAction::new("notification", "update");
            record(store, Some(account), action, Some(id)).await;
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
