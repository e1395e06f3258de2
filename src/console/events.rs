//! `GET /console/events`: server-sent events for the live inbox. Session required (401
//! otherwise); an event `lead` whose data is the new lead's id, for each lead stored for the
//! session's current account while the stream is open.

use std::convert::Infallible;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::sync::broadcast::error::RecvError;
use utoipa_axum::router::OpenApiRouter;

use super::frame::Console;
use crate::state::AppState;

/// The events route.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().route("/console/events", get(events))
}

/// `GET /console/events`
pub async fn events(State(state): State<AppState>, console: Result<Console, Response>) -> Response {
    let console = match console {
        Ok(console) => console,
        // Not signed in: a stream is no page to be sent to.
        Err(refused) if refused.status() == StatusCode::SEE_OTHER => {
            return (StatusCode::UNAUTHORIZED, "log in first").into_response();
        }
        Err(refused) => return refused,
    };
    let Some(account_id) = console.account.as_ref().map(|a| a.id) else {
        return (StatusCode::NOT_FOUND, "no account").into_response();
    };
    let listener = state.lead_events.subscribe();
    let stream = futures::stream::unfold(listener, move |mut listener| async move {
        loop {
            match listener.recv().await {
                Ok(lead) if lead.account_id == account_id => {
                    let event = Event::default()
                        .event("lead")
                        .data(lead.client_id.to_string());
                    return Some((Ok::<_, Infallible>(event), listener));
                }
                Ok(_) | Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => return None,
            }
        }
    });
    let mut response = Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response();
    super::secure(response.headers_mut());
    response
}
