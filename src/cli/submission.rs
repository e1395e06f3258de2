//! `leadpost submission list`: the submission log, every post accepted or refused.

use clap::Subcommand;
use uuid::Uuid;

use super::output::{PageArgs, fail, print_json, print_next};
use super::table::{opt, print_table, when};
use crate::service::activity::{self, SubmissionQuery};
use crate::store::Store;

#[derive(Subcommand)]
pub enum SubmissionCommand {
    /// List submissions, newest first (all accounts unless --account).
    List {
        #[arg(long)]
        account: Option<Uuid>,
        /// accepted, rejected or spam.
        #[arg(long)]
        outcome: Option<String>,
        /// e.g. ct103.
        #[arg(long)]
        error_code: Option<String>,
        #[command(flatten)]
        page: PageArgs,
    },
}

/// Run one `submission` command.
pub async fn run(store: &dyn Store, command: SubmissionCommand, json: bool) -> anyhow::Result<()> {
    let SubmissionCommand::List {
        account,
        outcome,
        error_code,
        page,
    } = command;
    let query = SubmissionQuery {
        outcome,
        error_code,
        channel: None,
        limit: page.limit(),
        after: page.after,
    };
    let list = activity::list_submissions(store, account, &query)
        .await
        .map_err(|e| fail(e, account))?;
    if json {
        return print_json(&list);
    }
    let rows: Vec<Vec<String>> = list
        .submissions
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
    print_next(&list.next);
    Ok(())
}
