//! The Leads inbox (`/console/`): the current account's leads newest first, 50 a page with
//! next and previous, search and filters, the leads new since the person's last visit marked, and
//! the CSV of every lead the filters match (`/console/leads.csv`).

use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use minijinja::context;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use utoipa_axum::router::OpenApiRouter;

use super::frame::Console;
use super::pager::{Pager, Place, filter_query};
use crate::service::export::CsvExport;
use crate::service::inbox::{self, InboxQuery};
use crate::service::page::PageParams;
use crate::service::{ServiceError, lead_sources};
use crate::state::AppState;
use crate::store::{Client, LeadSource};

/// Lead sources offered in the filter.
const SOURCE_CHOICES: i64 = 200;

/// The inbox's routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .route("/console/", get(inbox_page))
        .route("/console", get(inbox_page))
        .route("/console/leads.csv", get(export))
}

/// The query string: the filters, the page, and the cursors of the pages before (for "Previous").
#[derive(Debug, Default, Deserialize)]
pub struct InboxParams {
    #[serde(flatten)]
    query: InboxQuery,
    /// Cursors of the pages before this one but the first, comma-separated, oldest first.
    trail: Option<String>,
}

impl InboxParams {
    fn place(&self) -> Place {
        Place {
            after: self.query.after.clone(),
            trail: self.trail.clone(),
        }
    }
}

/// A lead as a row of the inbox.
#[derive(Debug, Serialize)]
struct LeadRow {
    id: String,
    name: String,
    email: Option<String>,
    phone: Option<String>,
    source: Option<String>,
    tags: Vec<String>,
    created_at: String,
    new: bool,
}

fn when(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_default()
}

fn lead_row(
    client: &Client,
    sources: &[LeadSource],
    last_visit: Option<OffsetDateTime>,
) -> LeadRow {
    let fields = &client.fields;
    LeadRow {
        id: client.id.to_string(),
        name: fields.display_name(),
        email: fields.email().map(str::to_string),
        phone: fields.phone().map(str::to_string),
        source: client
            .lead_source_id
            .and_then(|id| sources.iter().find(|s| s.id == id))
            .map(|s| s.name.clone()),
        tags: client.tags.clone(),
        created_at: when(client.created_at),
        new: last_visit.is_some_and(|seen| client.created_at > seen),
    }
}

/// The filters as a query string (without the page), for the pager and the CSV link.
fn filters_of(q: &InboxQuery) -> String {
    filter_query(&[
        ("q", &q.q),
        ("tag", &q.tag),
        ("source", &q.source),
        ("from", &q.from),
        ("to", &q.to),
    ])
}

async fn sources_of(
    state: &AppState,
    account_id: uuid::Uuid,
) -> Result<Vec<LeadSource>, ServiceError> {
    let params = PageParams::new(Some(SOURCE_CHOICES.to_string()), None);
    Ok(
        lead_sources::list(state.store.as_ref(), account_id, &params)
            .await?
            .lead_sources,
    )
}

/// `GET /console/`: the inbox.
pub async fn inbox_page(
    State(state): State<AppState>,
    console: Console,
    Query(params): Query<InboxParams>,
) -> Response {
    let account_id = match console.account_id() {
        Ok(id) => id,
        Err(page) => return *page,
    };
    let sources = match sources_of(&state, account_id).await {
        Ok(sources) => sources,
        Err(e) => return console.failed(e),
    };
    let now = OffsetDateTime::now_utc();
    let store = state.store.as_ref();
    let filters = filters_of(&params.query);
    let (listed, problems) = match inbox::inbox(
        store,
        console.signed_in.user.id,
        account_id,
        &params.query,
        now,
    )
    .await
    {
        Ok(listed) => (Some(listed), Vec::new()),
        Err(ServiceError::Invalid(problems)) => (
            None,
            problems
                .iter()
                .map(|p| format!("{} {}", p.field, p.reason))
                .collect(),
        ),
        Err(e) => return console.failed(e),
    };
    let place = params.place();
    let (rows, pager) = match &listed {
        Some(listed) => {
            let rows: Vec<LeadRow> = listed
                .clients
                .iter()
                .map(|c| lead_row(c, &sources, listed.last_visit))
                .collect();
            (
                rows,
                place.pager("/console/", &filters, listed.next.as_deref()),
            )
        }
        None => (Vec::new(), Pager::default()),
    };
    let source_choices: Vec<_> = sources
        .iter()
        .map(|s| context! { id => s.id, name => s.name })
        .collect();
    let csv = if filters.is_empty() {
        "/console/leads.csv".to_string()
    } else {
        format!("/console/leads.csv?{filters}")
    };
    let q = &params.query;
    let status = if problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    console.render_status(
        status,
        "leads.html",
        context! {
            leads => rows,
            problems => problems,
            next => pager.next,
            previous => pager.previous,
            csv => csv,
            sources => source_choices,
            live => place.is_first(),
            q => q.q, tag => q.tag, source => q.source, from => q.from, to => q.to,
        },
    )
}

/// `GET /console/leads.csv`: every lead the filters match, as CSV.
pub async fn export(
    State(state): State<AppState>,
    console: Console,
    Query(params): Query<InboxParams>,
) -> Response {
    let account_id = match console.account_id() {
        Ok(id) => id,
        Err(page) => return *page,
    };
    let filter = match params.query.filter() {
        Ok(filter) => filter,
        Err(_) => {
            return console.notice(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Check the filters",
                "A filter's value is not valid; correct it on the Leads page.",
            );
        }
    };
    let export = match CsvExport::start_filtered(state.store.clone(), account_id, filter).await {
        Ok(export) => export,
        Err(e) => return console.failed(e),
    };
    let filename = format!("attachment; filename=\"leads-{account_id}.csv\"");
    let mut response = (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, filename),
        ],
        Body::from_stream(export.into_stream()),
    )
        .into_response();
    super::secure(response.headers_mut());
    response
}
