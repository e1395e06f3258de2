//! Reading the leads: a filtered list in keyset pages, and one client with
//! every stored field.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::input::{Problems, parse_moment, present};
use super::page::{PageParams, fetch};
use super::{ServiceError, accounts};
use crate::fields::FieldProblem;
use crate::store::{Client, ClientFilter, Page, Store};

/// Filters and page of a client list, as given.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ClientQuery {
    /// Exact email, any case.
    #[param(schema_with = super::input::text_schema)]
    pub email: Option<String>,
    /// Clients with this tag, any case.
    #[param(schema_with = super::input::text_schema)]
    pub tag: Option<String>,
    /// Clients created after this moment: RFC 3339 (`2026-01-02T03:04:05Z`) or a date (`2026-01-02`, midnight UTC).
    #[param(schema_with = super::input::moment_schema)]
    pub created_after: Option<String>,
    /// Page size, 1 to 500 (default 50 when absent or empty).
    #[param(schema_with = super::page::limit_schema)]
    pub limit: Option<String>,
    /// The `next` cursor of the previous page; empty for the first page.
    #[param(schema_with = super::page::cursor_schema)]
    pub after: Option<String>,
}

impl ClientQuery {
    /// The filter and the page.
    pub fn parse(&self) -> Result<(ClientFilter, Page), ServiceError> {
        let mut problems = Problems::default();
        let created_after = match present(&self.created_after) {
            None => None,
            Some(s) => problems.check(parse_moment(s).ok_or_else(|| {
                FieldProblem::new(
                    "created_after",
                    "must be an RFC 3339 time or a YYYY-MM-DD date",
                )
            })),
        };
        let page = PageParams::new(self.limit.clone(), self.after.clone()).page_into(&mut problems);
        problems.finish()?;
        let filter = ClientFilter {
            email: present(&self.email).map(str::to_string),
            tag: present(&self.tag).map(str::to_string),
            created_after,
            ..ClientFilter::default()
        };
        Ok((filter, page))
    }
}

/// A page of clients.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ClientList {
    pub clients: Vec<Client>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// The account's clients, newest first.
pub async fn list(
    store: &dyn Store,
    account_id: Uuid,
    query: &ClientQuery,
) -> Result<ClientList, ServiceError> {
    let (filter, page) = query.parse()?;
    accounts::get(store, account_id).await?;
    let (clients, next) = fetch(
        page,
        |p| store.list_clients(account_id, &filter, p),
        |c| c.id,
    )
    .await?;
    Ok(ClientList { clients, next })
}

/// A client: every stored field, tags, custom fields and notes.
pub async fn get(store: &dyn Store, id: Uuid) -> Result<Client, ServiceError> {
    store
        .get_client(id)
        .await
        .map_err(|e| ServiceError::from_store(e, "client"))
}

/// One of the account's clients (another account's is not found).
pub async fn get_of_account(
    store: &dyn Store,
    account_id: Uuid,
    id: Uuid,
) -> Result<Client, ServiceError> {
    let client = get(store, id).await?;
    if client.account_id != account_id {
        return Err(ServiceError::NotFound("client"));
    }
    Ok(client)
}
