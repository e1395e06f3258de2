//! `leadpost client ...`: list and show the leads, send one webhook for one
//! client, export an account's clients as CSV.

use std::io::Write;
use std::sync::Arc;

use clap::Subcommand;
use uuid::Uuid;

use super::audit::record;
use super::output::{PageArgs, fail, print_json, print_next};
use super::table::{opt, print_fields, print_table, when};
use crate::service::ServiceError;
use crate::service::audit::AuditAction;
use crate::service::automation;
use crate::service::clients::{self, ClientQuery};
use crate::service::export::CsvExport;
use crate::store::Store;

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

/// Run one `client` command.
pub async fn run(store: Arc<dyn Store>, command: ClientCommand, json: bool) -> anyhow::Result<()> {
    match command {
        ClientCommand::SendWebhook { client, webhook } => {
            let job = automation::send_webhook(store.as_ref(), client, webhook)
                .await
                .map_err(|e| match e {
                    ServiceError::NotFound(_) => anyhow::anyhow!(
                        "no client {client} with a webhook {webhook} in its account"
                    ),
                    other => fail(other, None),
                })?;
            let action = AuditAction::new("client", "send_webhook");
            record(store.as_ref(), Some(job.account_id), action, Some(client)).await;
            println!("job id:     {}", job.id);
            println!("webhook-id: {}", job.message_id);
            Ok(())
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
                limit: page.limit(),
                after: page.after,
            };
            let list = clients::list(store.as_ref(), account, &query)
                .await
                .map_err(|e| fail(e, Some(account)))?;
            if json {
                return print_json(&list);
            }
            let rows: Vec<Vec<String>> = list
                .clients
                .iter()
                .map(|c| {
                    let name = c.fields.display_name();
                    vec![
                        c.id.to_string(),
                        name,
                        opt(&c.fields.email()),
                        opt(&c.fields.phone()),
                        c.tags.join(","),
                        when(&c.created_at),
                    ]
                })
                .collect();
            print_table(&["ID", "NAME", "EMAIL", "PHONE", "TAGS", "CREATED"], &rows);
            print_next(&list.next);
            Ok(())
        }
        ClientCommand::Show { id } => {
            let client = clients::get(store.as_ref(), id)
                .await
                .map_err(|e| fail(e, Some(id)))?;
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
            let mut export = CsvExport::start(store, account)
                .await
                .map_err(|e| fail(e, Some(account)))?;
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
