//! Reading the leads: list (filters and keyset pages), one client with every
//! stored field, and the CSV export of all of an account's clients, streamed in
//! pages so that neither memory nor a pooled connection is held for the whole
//! download.

use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use super::accounts::account_of;
use super::error::{AdminError, ErrorBody, problem};
use super::extract::{PageParams, QueryParams, one_more, paginate, parse_id, present};
use super::input::Problems;
use crate::app::AppState;
use crate::store::{Client, ClientFilter, Page, Store};

/// Clients read per store query while exporting.
pub const EXPORT_BATCH: i64 = 500;

/// Query of `GET /admin/v1/accounts/{id}/clients`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ClientQuery {
    /// Exact email, any case.
    pub email: Option<String>,
    /// Clients with this tag, any case.
    pub tag: Option<String>,
    /// Clients created after this moment: RFC 3339 (`2026-01-02T03:04:05Z`) or a date (`2026-01-02`, midnight UTC).
    #[param(format = DateTime)]
    pub created_after: Option<String>,
    /// Page size, 1 to 500 (default 50).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 500)]
    pub limit: Option<String>,
    /// The `next` cursor of the previous page.
    #[param(pattern = "^[A-Za-z0-9_-]{22}$")]
    pub after: Option<String>,
}

impl ClientQuery {
    /// The filter and the page (shared with the CLI).
    pub fn parse(&self) -> Result<(ClientFilter, Page), AdminError> {
        let mut problems = Problems::default();
        let created_after = match present(&self.created_after) {
            None => None,
            Some(s) => problems.check(parse_moment(s).ok_or_else(|| {
                problem(
                    "created_after",
                    "must be an RFC 3339 time or a YYYY-MM-DD date",
                )
            })),
        };
        let page = PageParams {
            limit: self.limit.clone(),
            after: self.after.clone(),
        }
        .page();
        let page = match page {
            Ok(page) => Some(page),
            Err(AdminError::Invalid(ps)) => {
                ps.into_iter().for_each(|p| problems.push(p));
                None
            }
            Err(other) => return Err(other),
        };
        problems.finish()?;
        let filter = ClientFilter {
            email: present(&self.email).map(str::to_string),
            tag: present(&self.tag).map(str::to_string),
            created_after,
        };
        Ok((
            filter,
            page.unwrap_or(Page::first(super::extract::DEFAULT_LIMIT)),
        ))
    }
}

/// An RFC 3339 time or a `YYYY-MM-DD` date (midnight UTC).
pub fn parse_moment(s: &str) -> Option<OffsetDateTime> {
    if let Ok(t) = OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339) {
        return Some(t);
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(s, format)
        .ok()
        .map(|d| d.midnight().assume_utc())
}

/// A page of clients.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ClientList {
    pub clients: Vec<Client>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// List the account's clients, newest first.
#[utoipa::path(get, path = "/admin/v1/accounts/{id}/clients", tag = "clients",
    params(("id" = Uuid, Path, description = "Account id"), ClientQuery),
    responses((status = 200, body = ClientList), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_clients(
    State(state): State<AppState>,
    Path(id): Path<String>,
    QueryParams(query): QueryParams<ClientQuery>,
) -> Result<Json<ClientList>, AdminError> {
    let account_id = parse_id(&id, "account")?;
    let (filter, page) = query.parse()?;
    account_of(state.store.as_ref(), account_id).await?;
    let rows = state
        .store
        .list_clients(account_id, &filter, one_more(page))
        .await?;
    let (clients, next) = paginate(rows, page, |c| c.id);
    Ok(Json(ClientList { clients, next }))
}

/// Read a client: every stored field, tags, custom fields and notes.
#[utoipa::path(get, path = "/admin/v1/clients/{id}", tag = "clients",
    params(("id" = Uuid, Path, description = "Client id")),
    responses((status = 200, body = Client), (status = 404, body = ErrorBody)))]
pub async fn get_client(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Client>, AdminError> {
    let id = parse_id(&id, "client")?;
    let client = state
        .store
        .get_client(id)
        .await
        .map_err(|e| AdminError::from_store(e, "client"))?;
    Ok(Json(client))
}

/// Read one of the account's clients (404 for another account's).
#[utoipa::path(get, path = "/admin/v1/accounts/{id}/clients/{client_id}", tag = "clients",
    params(("id" = Uuid, Path, description = "Account id"), ("client_id" = Uuid, Path, description = "Client id")),
    responses((status = 200, body = Client), (status = 404, body = ErrorBody)))]
pub async fn get_account_client(
    State(state): State<AppState>,
    Path((id, client_id)): Path<(String, String)>,
) -> Result<Json<Client>, AdminError> {
    let account_id = parse_id(&id, "account")?;
    let client_id = parse_id(&client_id, "client")?;
    let client = state
        .store
        .get_client(client_id)
        .await
        .map_err(|e| AdminError::from_store(e, "client"))?;
    if client.account_id != account_id {
        return Err(AdminError::NotFound("client"));
    }
    Ok(Json(client))
}

/// Every client of the account as CSV: the reserved fields, `tags`, `notes`, then
/// one column per custom field.
#[utoipa::path(get, path = "/admin/v1/accounts/{id}/clients.csv", tag = "clients",
    params(("id" = Uuid, Path, description = "Account id")),
    responses(
        (status = 200, description = "CSV, one row per client, newest first", content_type = "text/csv", body = String),
        (status = 404, body = ErrorBody),
    ))]
pub async fn export_clients(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, AdminError> {
    let account_id = parse_id(&id, "account")?;
    account_of(state.store.as_ref(), account_id).await?;
    let export = CsvExport::start(state.store.clone(), account_id).await?;
    let stream = futures::stream::try_unfold(export, |mut export| async move {
        match export.next_chunk().await {
            Ok(Some(chunk)) => Ok(Some((chunk, export))),
            Ok(None) => Ok(None),
            Err(e) => {
                // The status is sent already: cut the body so the download fails visibly.
                tracing::error!(error = %e, "client export failed midway");
                Err(std::io::Error::other("export failed"))
            }
        }
    });
    let filename = format!("attachment; filename=\"clients-{account_id}.csv\"");
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, filename),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}

/// The fixed columns of the export, in order; each is a key of [`Client`]'s JSON.
pub const CSV_COLUMNS: &[&str] = &[
    "id",
    "created_at",
    "lead_source_id",
    "firstName",
    "lastName",
    "phone",
    "second_phone",
    "smsok",
    "email",
    "address",
    "city",
    "state",
    "zip",
    "compName",
    "job_title",
    "deal_size",
    "deal_closed",
    "age",
    "education",
    "gender",
    "high_net_worth",
    "home_owner_status",
    "household_income",
    "length_of_residence",
    "market_value",
    "material_status",
    "occupation",
    "presence_of_children",
    "presence_of_pets",
    "anniversary_1",
    "anniversary_2",
    "facebook",
    "facebook_url",
    "linkedin",
    "linkedin_url",
    "twitter",
    "client_category",
    "whiteboard",
    "clients_date_last",
    "clients_date_next",
    "new_lead_notification",
    "contact_type",
    "assigned_user_id",
    "tags",
    "notes",
];

/// An export in progress: the header first, then one chunk per page of clients.
pub struct CsvExport {
    store: Arc<dyn Store>,
    account_id: Uuid,
    custom: Vec<String>,
    after: Option<Uuid>,
    header_sent: bool,
    done: bool,
}

impl CsvExport {
    /// Read the custom field names (the columns) of the account.
    pub async fn start(store: Arc<dyn Store>, account_id: Uuid) -> Result<Self, AdminError> {
        let custom = store.list_custom_field_names(account_id).await?;
        Ok(CsvExport {
            store,
            account_id,
            custom,
            after: None,
            header_sent: false,
            done: false,
        })
    }

    /// The next piece of the file, or `None` at the end.
    pub async fn next_chunk(&mut self) -> Result<Option<bytes::Bytes>, AdminError> {
        if !self.header_sent {
            self.header_sent = true;
            let mut header: Vec<String> = CSV_COLUMNS.iter().map(|c| c.to_string()).collect();
            for name in &self.custom {
                // Custom names come from the public: defused like data cells.
                if CSV_COLUMNS.contains(&name.as_str()) {
                    header.push(format!("custom: {name}"));
                } else {
                    header.push(defuse_formula(name.clone()));
                }
            }
            return write_record(&header).map(Some);
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
            .list_clients(self.account_id, &ClientFilter::default(), page)
            .await?;
        if clients.len() < EXPORT_BATCH as usize {
            self.done = true;
        }
        let Some(last) = clients.last() else {
            return Ok(None);
        };
        self.after = Some(last.id);
        let mut writer = csv::Writer::from_writer(Vec::with_capacity(clients.len() * 256));
        for client in &clients {
            writer
                .write_record(csv_row(client, &self.custom))
                .map_err(|e| AdminError::Internal(e.into()))?;
        }
        let buf = writer
            .into_inner()
            .map_err(|e| AdminError::Internal(anyhow::anyhow!("csv: {e}")))?;
        Ok(Some(bytes::Bytes::from(buf)))
    }
}

fn write_record(fields: &[String]) -> Result<bytes::Bytes, AdminError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer
        .write_record(fields)
        .map_err(|e| AdminError::Internal(e.into()))?;
    let buf = writer
        .into_inner()
        .map_err(|e| AdminError::Internal(anyhow::anyhow!("csv: {e}")))?;
    Ok(bytes::Bytes::from(buf))
}

/// One client's cells, in the order of the header.
pub fn csv_row(client: &Client, custom: &[String]) -> Vec<String> {
    let json = serde_json::to_value(client).unwrap_or_default();
    let mut row: Vec<String> = CSV_COLUMNS
        .iter()
        .map(|column| match (*column, json.get(*column)) {
            ("tags", _) => client.tags.join(", "),
            ("notes", _) => client
                .notes
                .iter()
                .map(|n| n.body.as_str())
                .collect::<Vec<_>>()
                .join("\n"),
            (_, Some(serde_json::Value::String(s))) => s.clone(),
            (_, Some(serde_json::Value::Number(n))) => n.to_string(),
            _ => String::new(),
        })
        .collect();
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

    #[test]
    fn a_moment_is_a_time_or_a_date() {
        assert!(parse_moment("2026-01-02T03:04:05Z").is_some());
        assert_eq!(
            parse_moment("2026-01-02"),
            Some(time::macros::datetime!(2026-01-02 00:00 UTC))
        );
        assert!(parse_moment("yesterday").is_none());
    }
}
