//! `/console/sources/{id}/parsers`: a lead source's inbound addresses and its email parsers, in the
//! order they are tried. Owners add a parser (name, sender glob, subject regex, bookend terms) and
//! delete one; members paste a message and see the fields the parsers would find, nothing stored.
//! Every change goes through [`crate::service::parsers`], as the admin API's does.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use minijinja::context;
use utoipa_axum::router::OpenApiRouter;
use uuid::Uuid;

use super::act::{all_values, answer, path_id, refused, with_account};
use super::frame::Console;
use crate::inbound::parser::{MatchSpec, TermSpec};
use crate::people::Capability;
use crate::service::inbound::with_addresses;
use crate::service::parsers::{self, ParserInput, ParserTest, ParserTestResult};
use crate::service::{ServiceError, lead_sources};
use crate::state::AppState;

/// How many rows of bookend terms the create form offers.
const TERM_ROWS: usize = 6;

/// The page's routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .route("/console/sources/{id}/parsers", get(page).post(create))
        .route("/console/sources/{id}/parsers/test", post(test))
        .route(
            "/console/sources/{id}/parsers/{parser_id}/delete",
            post(delete),
        )
}

/// The page's own path for a source, the account kept.
fn page_path(console: &Console, source_id: Uuid) -> String {
    with_account(console, &format!("/console/sources/{source_id}/parsers"))
}

/// The account and the source named in the path, or the page saying why not.
fn ids(console: &Console, raw: &str) -> Result<(Uuid, Uuid), Box<Response>> {
    Ok((console.account_id()?, path_id(console, raw, "lead source")?))
}

/// The page, with a test's message and result when one was run.
async fn show(
    state: &AppState,
    console: &Console,
    account_id: Uuid,
    source_id: Uuid,
    test: Option<(String, ParserTestResult)>,
) -> Response {
    let store = state.store.as_ref();
    let source = match lead_sources::get(store, account_id, source_id).await {
        Ok(source) => with_addresses(source, &state.settings.server, &state.settings.inbound),
        Err(e) => return refused(console, "/console/sources", e),
    };
    let list = match parsers::list(store, account_id, source_id).await {
        Ok(list) => list.parsers,
        Err(e) => return console.failed(e),
    };
    let (raw, result) = test.unzip();
    console.render(
        "parsers.html",
        context! {
            source => context! {
                id => source.id,
                name => source.name,
                inbound_url => source.inbound_url,
                inbound_address => source.inbound_address,
            },
            parsers => list,
            term_rows => (0..TERM_ROWS).collect::<Vec<_>>(),
            can_manage => console.can(Capability::ManageAccount),
            can_test => console.can(Capability::ActOnLeads),
            raw => raw,
            result => result,
        },
    )
}

/// `GET /console/sources/{id}/parsers`
async fn page(State(state): State<AppState>, console: Console, Path(id): Path<String>) -> Response {
    match ids(&console, &id) {
        Ok((account_id, source_id)) => show(&state, &console, account_id, source_id, None).await,
        Err(page) => *page,
    }
}

/// A form's value, `None` when blank.
fn filled(value: Option<&String>) -> Option<String> {
    value
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
        .map(String::from)
}

/// The bookend rows of a create form (`term`, `start`, `end`, repeated), blank rows left out.
fn terms(body: &[u8]) -> Vec<TermSpec> {
    let names = all_values(body, "term");
    let starts = all_values(body, "start");
    let ends = all_values(body, "end");
    names
        .into_iter()
        .enumerate()
        .map(|(i, term)| TermSpec {
            term: term.trim().to_string(),
            start: starts.get(i).cloned().unwrap_or_default(),
            end: filled(ends.get(i)),
        })
        .filter(|t| !(t.term.is_empty() && t.start.is_empty() && t.end.is_none()))
        .collect()
}

/// `POST /console/sources/{id}/parsers` (`name`, `from`, `subject`, `position`, and rows of `term`,
/// `start`, `end`): a new parser (owner).
async fn create(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let fields = match console.form(&state, &headers, &body, Capability::ManageAccount) {
        Ok(fields) => fields,
        Err(refused) => return *refused,
    };
    let (account_id, source_id) = match ids(&console, &id) {
        Ok(ids) => ids,
        Err(page) => return *page,
    };
    let to = page_path(&console, source_id);
    if let Err(e) = lead_sources::get(state.store.as_ref(), account_id, source_id).await {
        return refused(&console, &to, e);
    }
    let position = match filled(fields.get("position")).map(|p| p.parse::<i64>()) {
        None => None,
        Some(Ok(p)) => Some(p),
        Some(Err(_)) => {
            let problem = ServiceError::field("position", "must be a whole number ≥ 0");
            return refused(&console, &to, problem);
        }
    };
    let input = ParserInput {
        name: fields.get("name").cloned().unwrap_or_default(),
        position,
        matching: MatchSpec {
            from: filled(fields.get("from")),
            subject: filled(fields.get("subject")),
        },
        terms: terms(&body),
    };
    let created = parsers::create(state.store.as_ref(), account_id, source_id, input).await;
    let created = match created {
        Ok(parser) => {
            let id = parser.id;
            console
                .audited(&state, "parser", "create", id, Ok(parser))
                .await
        }
        Err(e) => Err(e),
    };
    answer(&console, &to, created, |p| {
        format!("Parser \"{}\" added at position {}.", p.name, p.position)
    })
}

/// `POST /console/sources/{id}/parsers/{parser_id}/delete`: remove a parser (owner).
async fn delete(
    State(state): State<AppState>,
    console: Console,
    Path((id, parser_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(refused) = console.form(&state, &headers, &body, Capability::ManageAccount) {
        return *refused;
    }
    let (account_id, source_id) = match ids(&console, &id) {
        Ok(ids) => ids,
        Err(page) => return *page,
    };
    let parser_id = match path_id(&console, &parser_id, "parser") {
        Ok(id) => id,
        Err(page) => return *page,
    };
    let deleted = parsers::delete(state.store.as_ref(), account_id, source_id, parser_id).await;
    let deleted = console
        .audited(&state, "parser", "delete", parser_id, deleted)
        .await;
    answer(&console, &page_path(&console, source_id), deleted, |()| {
        "Parser deleted.".to_string()
    })
}

/// `POST /console/sources/{id}/parsers/test` (`raw`): the page with the fields the parsers would
/// find in the message (member); nothing is stored.
async fn test(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let fields = match console.form(&state, &headers, &body, Capability::ActOnLeads) {
        Ok(fields) => fields,
        Err(refused) => return *refused,
    };
    let (account_id, source_id) = match ids(&console, &id) {
        Ok(ids) => ids,
        Err(page) => return *page,
    };
    let raw = fields.get("raw").cloned().unwrap_or_default();
    let input = ParserTest { raw: raw.clone() };
    match parsers::test(state.store.as_ref(), account_id, source_id, input).await {
        Ok(result) => show(&state, &console, account_id, source_id, Some((raw, result))).await,
        Err(e) => refused(&console, &page_path(&console, source_id), e),
    }
}
