//! `leadpost audit list`: an account's audit log, newest first; and [`record`], which every CLI
//! write command calls after it succeeds (actor `cli`).

use clap::Subcommand;
use uuid::Uuid;

use super::output::{PageArgs, fail, print_json, print_next};
use super::table::{opt, print_table, when};
use crate::people::Caller;
use crate::service::audit::{self, AuditAction, AuditQuery};
use crate::store::Store;

#[derive(Subcommand)]
pub enum AuditCommand {
    /// List an account's audit entries, newest first.
    List {
        #[arg(long)]
        account: Uuid,
        /// An action such as lead_source.create.
        #[arg(long)]
        action: Option<String>,
        /// operator, user, token or cli.
        #[arg(long)]
        actor_kind: Option<String>,
        /// Entries at or after this time (RFC 3339 or a date).
        #[arg(long)]
        since: Option<String>,
        /// Entries at or before this time (RFC 3339 or a date).
        #[arg(long)]
        until: Option<String>,
        #[command(flatten)]
        page: PageArgs,
    },
}

/// Record a successful CLI write in the audit log.
pub async fn record(
    store: &dyn Store,
    account_id: Option<Uuid>,
    action: AuditAction,
    object_id: Option<Uuid>,
) {
    let object_id = object_id.map(|id| id.to_string());
    audit::record(store, &Caller::cli(), account_id, action, object_id).await;
}

/// Run one `audit` command.
pub async fn run(store: &dyn Store, command: AuditCommand, json: bool) -> anyhow::Result<()> {
    let AuditCommand::List {
        account,
        action,
        actor_kind,
        since,
        until,
        page,
    } = command;
    let query = AuditQuery {
        action,
        actor_kind,
        since,
        until,
        limit: page.limit(),
        after: page.after,
    };
    let list = audit::list(store, account, &query)
        .await
        .map_err(|e| fail(e, Some(account)))?;
    if json {
        return print_json(&list);
    }
    let rows: Vec<Vec<String>> = list
        .entries
        .iter()
        .map(|e| {
            vec![
                when(&e.at),
                e.actor.kind.as_str().to_string(),
                opt(&e.actor.id),
                e.action.clone(),
                opt(&e.object_id),
                opt(&e.ip),
            ]
        })
        .collect();
    print_table(
        &["AT", "ACTOR", "ACTOR ID", "ACTION", "OBJECT", "IP"],
        &rows,
    );
    print_next(&list.next);
    Ok(())
}
