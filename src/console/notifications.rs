//! The Notifications page (`/console/notifications`): the current account's in-app
//! notifications, newest first, 50 a page; members and owners mark each read or unread (the
//! navigation shows the unread count).

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use minijinja::context;
use time::format_description::well_known::Rfc3339;
use utoipa_axum::router::OpenApiRouter;
use uuid::Uuid;

use super::frame::{Console, FlashKind, redirect_with};
use super::pager::Place;
use crate::people::Capability;
use crate::service::ServiceError;
use crate::service::activity::{self, UpdateNotification};
use crate::service::page::PageParams;
use crate::state::AppState;

/// The page's routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .route("/console/notifications", get(notifications_page))
        .route("/console/notifications/{id}", post(mark))
}

/// `GET /console/notifications`
pub async fn notifications_page(
    State(state): State<AppState>,
    console: Console,
    Query(place): Query<Place>,
) -> Response {
    let account_id = match console.account_id() {
        Ok(id) => id,
        Err(page) => return *page,
    };
    let params = PageParams::new(None, place.after.clone());
    let listed = match activity::list_notifications(state.store.as_ref(), account_id, &params).await
    {
        Ok(listed) => listed,
        Err(ServiceError::Invalid(_)) => return console.not_found("page"),
        Err(e) => return console.failed(e),
    };
    let pager = place.pager("/console/notifications", "", listed.next.as_deref());
    let rows: Vec<_> = listed
        .notifications
        .iter()
        .map(|n| {
            context! {
                id => n.id,
                kind => n.kind,
                message => n.message,
                client_id => n.client_id,
                read => n.read,
                at => n.created_at.format(&Rfc3339).unwrap_or_default(),
            }
        })
        .collect();
    console.render(
        "notifications.html",
        context! { notifications => rows, next => pager.next, previous => pager.previous },
    )
}

/// `POST /console/notifications/{id}` (form: `read` = `true` or `false`)
pub async fn mark(
    State(state): State<AppState>,
    console: Console,
    Path(raw): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let fields = match console.form(&state, &headers, &body, Capability::ActOnLeads) {
        Ok(fields) => fields,
        Err(refused) => return *refused,
    };
    let account_id = match console.account_id() {
        Ok(id) => id,
        Err(page) => return *page,
    };
    let Ok(id) = Uuid::parse_str(&raw) else {
        return console.not_found("notification");
    };
    let read = fields.get("read").map(String::as_str) != Some("false");
    let change = UpdateNotification { read };
    let result = activity::update_notification(state.store.as_ref(), account_id, id, &change).await;
    match console
        .audited(&state, "notification", "update", id, result)
        .await
    {
        Ok(_) => {
            let text = if read {
                "Marked read."
            } else {
                "Marked unread."
            };
            redirect_with("/console/notifications", FlashKind::Ok, text)
        }
        Err(ServiceError::NotFound(_)) => console.not_found("notification"),
        Err(e) => console.failed(e),
    }
}
