//! The Accounts page (`/console/accounts`), for operators only (404 for everyone else): every
//! account, newest first, 50 a page, each a link that makes it the current account; and a form
//! creating an account.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use minijinja::context;
use utoipa_axum::router::OpenApiRouter;

use super::frame::{Console, FlashKind, redirect_with};
use super::pager::Place;
use crate::service::ServiceError;
use crate::service::accounts::{self, CreateAccount};
use crate::service::audit::AuditAction;
use crate::service::page::PageParams;
use crate::state::AppState;

/// The page's routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().route("/console/accounts", get(accounts_page).post(create))
}

/// The page with `problem` shown above the form.
async fn render(
    state: &AppState,
    console: &Console,
    place: &Place,
    status: StatusCode,
    problem: Option<String>,
) -> Response {
    let params = PageParams::new(None, place.after.clone());
    let listed = match accounts::list(state.store.as_ref(), &params).await {
        Ok(listed) => listed,
        Err(ServiceError::Invalid(_)) => return console.not_found("page"),
        Err(e) => return console.failed(e),
    };
    let pager = place.pager("/console/accounts", "", listed.next.as_deref());
    let rows: Vec<_> = listed
        .accounts
        .iter()
        .map(|a| context! { id => a.id, name => a.name, owner_email => a.owner_email })
        .collect();
    console.render_status(
        status,
        "accounts.html",
        context! {
            accounts => rows,
            problem => problem,
            next => pager.next,
            previous => pager.previous,
        },
    )
}

/// `GET /console/accounts`
pub async fn accounts_page(
    State(state): State<AppState>,
    console: Console,
    Query(place): Query<Place>,
) -> Response {
    if !console.operator() {
        return console.not_found("page");
    }
    render(&state, &console, &place, StatusCode::OK, None).await
}

/// `POST /console/accounts` (form: `name`, `owner_email`): a new account, made current.
pub async fn create(
    State(state): State<AppState>,
    console: Console,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !console.operator() {
        return console.not_found("page");
    }
    let fields = match console.form_of_session(&state, &headers, &body) {
        Ok(fields) => fields,
        Err(refused) => return *refused,
    };
    let text = |name: &str| {
        fields
            .get(name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let input = CreateAccount {
        name: text("name").unwrap_or_default(),
        owner_email: text("owner_email"),
        ..CreateAccount::default()
    };
    match accounts::create(state.store.as_ref(), input).await {
        Ok(account) => {
            let action = AuditAction::new("account", "create");
            let id = Some(account.id.to_string());
            console.audit_in(&state, Some(account.id), action, id).await;
            redirect_with(
                &format!("/console/?account={}", account.id),
                FlashKind::Ok,
                &format!("Account “{}” created.", account.name),
            )
        }
        Err(ServiceError::Invalid(problems)) => {
            let text = problems
                .iter()
                .map(|p| format!("The {} {}.", p.field, p.reason))
                .collect::<Vec<_>>()
                .join(" ");
            let place = Place::default();
            render(
                &state,
                &console,
                &place,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(text),
            )
            .await
        }
        Err(e) => console.failed(e),
    }
}
