//! The CSV export of all of an account's clients: the reserved fields, `tags`,
//! `notes`, then one column per custom field. It is read in pages, so that
//! neither memory nor a pooled connection is held for the whole download; each
//! edge writes the chunks where it wants (an HTTP body, a file).

use std::sync::Arc;

use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

use super::{ServiceError, accounts};
use crate::clients::{ClientValues, read_back};
use crate::store::{Client, ClientFilter, Page, Store};

/// Clients read per store query while exporting.
pub const EXPORT_BATCH: i64 = 500;

/// The columns of the export before the custom fields: `id`, `created_at`,
/// `lead_source_id`, each stored catalog field under its CSV header (a profile
/// id followed by its link), then `tags` and `notes`.
pub fn csv_columns() -> Vec<&'static str> {
    let fields = read_back(&ClientValues::default());
    ["id", "created_at", "lead_source_id"]
        .into_iter()
        .chain(fields.iter().map(|f| f.csv))
        .chain(["tags", "notes"])
        .collect()
}

/// An export in progress: the header first, then one chunk per page of clients.
pub struct CsvExport {
    store: Arc<dyn Store>,
    account_id: Uuid,
    filter: ClientFilter,
    custom: Vec<String>,
    after: Option<Uuid>,
    header_sent: bool,
    done: bool,
}

impl CsvExport {
    /// Check the account and read its custom field names (the columns).
    pub async fn start(store: Arc<dyn Store>, account_id: Uuid) -> Result<Self, ServiceError> {
        Self::start_filtered(store, account_id, ClientFilter::default()).await
    }

    /// [`CsvExport::start`] for only the clients `filter` matches (the console's inbox filters).
    pub async fn start_filtered(
        store: Arc<dyn Store>,
        account_id: Uuid,
        filter: ClientFilter,
    ) -> Result<Self, ServiceError> {
        accounts::get(store.as_ref(), account_id).await?;
        let custom = store.list_custom_field_names(account_id).await?;
        Ok(CsvExport {
            store,
            account_id,
            filter,
            custom,
            after: None,
            header_sent: false,
            done: false,
        })
    }

    /// The next piece of the file, or `None` at the end.
    pub async fn next_chunk(&mut self) -> Result<Option<bytes::Bytes>, ServiceError> {
        if !self.header_sent {
            self.header_sent = true;
            let columns = csv_columns();
            let mut header: Vec<String> = columns.iter().map(|c| c.to_string()).collect();
            for name in &self.custom {
                if columns.contains(&name.as_str()) {
                    header.push(format!("custom: {name}"));
                } else {
                    // Custom names come from the public: defused like data cells.
                    header.push(defuse_formula(name.clone()));
                }
            }
            return write_records([header]).map(Some);
        }
        if self.done {
            return Ok(None);
        }
        let page = Page {
            limit: EXPORT_BATCH,
            after: self.after,
        };
        let clients = self
            .store
            .list_clients(self.account_id, &self.filter, page)
            .await?;
        if clients.len() < EXPORT_BATCH as usize {
            self.done = true;
        }
        let Some(last) = clients.last() else {
            return Ok(None);
        };
        self.after = Some(last.id);
        let rows = clients.iter().map(|c| csv_row(c, &self.custom));
        write_records(rows).map(Some)
    }
}

impl CsvExport {
    /// The whole file as a stream of chunks, for an HTTP body: a failure midway ends the stream
    /// with an error (the status is sent already), so the download fails visibly.
    pub fn into_stream(
        self,
    ) -> impl futures::Stream<Item = Result<bytes::Bytes, std::io::Error>> + Send {
        futures::stream::try_unfold(self, |mut export| async move {
            match export.next_chunk().await {
                Ok(Some(chunk)) => Ok(Some((chunk, export))),
                Ok(None) => Ok(None),
                Err(e) => {
                    tracing::error!(error = %e, "client export failed midway");
                    Err(std::io::Error::other("export failed"))
                }
            }
        })
    }
}

/// Rows as CSV text.
fn write_records(
    rows: impl IntoIterator<Item = Vec<String>>,
) -> Result<bytes::Bytes, ServiceError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in rows {
        writer
            .write_record(row)
            .map_err(|e| ServiceError::Internal(e.into()))?;
    }
    let buf = writer
        .into_inner()
        .map_err(|e| ServiceError::Internal(anyhow::anyhow!("csv: {e}")))?;
    Ok(bytes::Bytes::from(buf))
}

/// One client's cells, in the order of the header.
pub fn csv_row(client: &Client, custom: &[String]) -> Vec<String> {
    let created_at = client.created_at.format(&Rfc3339).unwrap_or_default();
    let notes: Vec<&str> = client.notes.iter().map(|n| n.body.as_str()).collect();
    let mut row: Vec<String> = vec![
        client.id.to_string(),
        created_at,
        client
            .lead_source_id
            .map(|id| id.to_string())
            .unwrap_or_default(),
    ];
    row.extend(
        read_back(&client.fields)
            .into_iter()
            .map(|f| f.value.map(|v| v.to_cell()).unwrap_or_default()),
    );
    row.push(client.tags.join(", "));
    row.push(notes.join("\n"));
    row.extend(
        custom
            .iter()
            .map(|name| client.custom_fields.get(name).cloned().unwrap_or_default()),
    );
    row.into_iter().map(defuse_formula).collect()
}

/// Spreadsheets run a cell that starts with `=`, `+`, `-`, `@`: lead data comes
/// from the public, so such a cell is written with a leading `'`.
fn defuse_formula(cell: String) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_formula_in_a_cell_is_defused() {
        assert_eq!(
            defuse_formula("=HYPERLINK(\"x\")".into()),
            "'=HYPERLINK(\"x\")"
        );
        assert_eq!(defuse_formula("Ann".into()), "Ann");
    }
}
