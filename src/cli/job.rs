//! `leadpost job ...`: list an account's jobs with their attempts, retry one.

use clap::Subcommand;
use uuid::Uuid;

use super::audit::record;
use super::output::{PageArgs, fail, print_json, print_next};
use super::table::{opt, print_table, when};
use crate::service::audit::AuditAction;
use crate::service::jobs::{self, JobQuery};
use crate::store::Store;

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

/// Run one `job` command.
pub async fn run(store: &dyn Store, command: JobCommand, json: bool) -> anyhow::Result<()> {
    match command {
        JobCommand::List {
            account,
            state,
            page,
        } => {
            let query = JobQuery {
                state,
                limit: page.limit(),
                after: page.after,
            };
            let list = jobs::list(store, account, &query)
                .await
                .map_err(|e| fail(e, Some(account)))?;
            if json {
                return print_json(&list);
            }
            let rows: Vec<Vec<String>> = list
                .jobs
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
            print_next(&list.next);
            Ok(())
        }
        JobCommand::Retry { id } => {
            let job = jobs::retry(store, None, id)
                .await
                .map_err(|e| fail(e, Some(id)))?;
            let action = AuditAction::new("job", "retry");
            record(store, Some(job.job.account_id), action, Some(id)).await;
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
