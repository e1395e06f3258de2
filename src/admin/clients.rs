//! Reading the leads: list (filters and keyset pages), one client with every
//! stored field, and the CSV export of all of an account's clients, streamed
//! chunk by chunk as the service reads them.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::error::{AdminError, ErrorBody};
use super::extract::{QueryParams, parse_id};
use crate::service::clients::{self, ClientList, ClientQuery};
use crate::service::export::CsvExport;
use crate::state::AppState;
use crate::store::Client;

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
    Ok(Json(
        clients::list(state.store.as_ref(), account_id, &query).await?,
    ))
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
    Ok(Json(clients::get(state.store.as_ref(), id).await?))
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
    Ok(Json(
        clients::get_of_account(state.store.as_ref(), account_id, client_id).await?,
    ))
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
    let export = CsvExport::start(state.store.clone(), account_id).await?;
    let stream = export.into_stream();
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
