//! Who is calling the admin API, and may they: the one middleware in front of every admin route.
//!
//! Credentials, in this order: `Authorization: Bearer lpat_…` (an account API token), `Bearer
//! <admin token>` (the operator), the console's `lp_session` cookie (a user; writes need the
//! session's `X-CSRF-Token` and no foreign `Origin`). Unknown, revoked or expired: 401. With no
//! credentials at all while no admin token is configured, the API answers 403 "disabled" as
//! before. The [`Caller`] (and for a session the [`SignedIn`]) is attached to the request, then
//! [`access::authorize`] applies the route's row of the access table. After a successful write,
//! [`audit`] records it.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts, MatchedPath, RawPathParams, Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use time::OffsetDateTime;

use super::error::AdminError;
use super::{access, audit};
use crate::people::session::{csrf_token_valid, origin_allowed, session_id_from_cookies};
use crate::people::{Actor, Caller, CsrfToken};
use crate::service::credentials::authenticate_token;
use crate::service::people::PeoplePolicy;
use crate::service::sessions::{SignedIn, signed_in};
use crate::state::AppState;

/// The header a session's write carries its CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Authenticate, attach the caller, check the access table, then run the handler.
pub async fn guard(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    let (mut parts, body) = request.into_parts();
    let (actor, session) = match authenticate(&state, &parts.method, &parts.headers).await {
        Ok(found) => found,
        Err(e) => return e.into_response(),
    };
    let path = parts
        .extensions
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    let params: Vec<(String, String)> = RawPathParams::from_request_parts(&mut parts, &state)
        .await
        .map(|params| {
            params
                .iter()
                .map(|(name, value)| (name.to_string(), value.to_string()))
                .collect()
        })
        .unwrap_or_default();
    let id = params
        .iter()
        .find(|(name, _)| name == "id")
        .map(|(_, value)| value.clone());
    let verdict = access::authorize(
        state.store.as_ref(),
        &actor,
        &parts.method,
        &path,
        id.as_deref(),
    )
    .await;
    if let Err(e) = verdict {
        return e.into_response();
    }
    let ip = state.limits.client_ip(peer, &parts.headers);
    let caller = Caller {
        actor,
        ip: Some(ip),
    };
    let method = parts.method.clone();
    let pending = audit::before_write(state.store.as_ref(), &caller, &method, &path, params).await;
    parts.extensions.insert(caller);
    if let Some(session) = session {
        parts.extensions.insert(session);
    }
    let response = next.run(Request::from_parts(parts, body)).await;
    match pending {
        Some(pending) => audit::after_write(state.store.as_ref(), pending, response).await,
        None => {
            audit::unaudited_write(&method, &path, response.status());
            response
        }
    }
}

/// The actor behind the request's credentials (and its session, for a console session).
async fn authenticate(
    state: &AppState,
    method: &Method,
    headers: &HeaderMap,
) -> Result<(Actor, Option<SignedIn>), AdminError> {
    let admin_token = &state.settings.admin.token;
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(super::bearer_token);
    let now = OffsetDateTime::now_utc();
    if let Some(token) = bearer {
        if token.starts_with("lpat_") {
            let actor = authenticate_token(state.store.as_ref(), token, now).await;
            return actor.map(|a| (a, None)).map_err(|e| {
                tracing::warn!("admin request with a refused API token");
                e.into()
            });
        }
        if !admin_token.is_empty() {
            if super::token_matches(token, admin_token) {
                return Ok((Actor::Operator, None));
            }
            tracing::warn!("admin request with a wrong token");
            return Err(AdminError::Unauthorized);
        }
    }
    let cookie = headers
        .get(header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(session_id_from_cookies);
    let Some(session_id) = cookie else {
        if admin_token.is_empty() {
            return Err(AdminError::Disabled);
        }
        tracing::warn!("admin request without credentials");
        return Err(AdminError::Unauthorized);
    };
    let policy = PeoplePolicy::from_settings(&state.settings);
    let session = signed_in(state.store.as_ref(), policy.sessions, &session_id, now).await?;
    if !method.is_safe() {
        check_session_write(state, method, headers, &session)?;
    }
    let actor = Actor::User {
        id: session.user.id,
        operator: session.user.operator,
    };
    Ok((actor, Some(session)))
}

/// A session's write: its own origin and its CSRF token, else 403.
fn check_session_write(
    state: &AppState,
    method: &Method,
    headers: &HeaderMap,
    session: &SignedIn,
) -> Result<(), AdminError> {
    let header_text = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    let public_url = state
        .settings
        .server
        .public_url()
        .and_then(|u| url::Url::parse(u).ok());
    if !origin_allowed(
        method,
        header_text(header::ORIGIN),
        header_text(header::HOST),
        public_url.as_ref(),
    ) {
        return Err(AdminError::Forbidden("a foreign Origin may not write"));
    }
    let expected = CsrfToken::parse(&session.csrf_token)
        .map_err(|_| AdminError::Forbidden("the session has no valid CSRF token"))?;
    let presented = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    if csrf_token_valid(&expected, presented) {
        Ok(())
    } else {
        Err(AdminError::Forbidden(
            "a write with a session needs its X-CSRF-Token header",
        ))
    }
}
