//! The admin API under `/admin/v1/`: JSON, authenticated by the admin token
//! (compared in constant time), an account API token or a console session
//! ([`auth`]), each route allowed by one table ([`access`]); off with 403 for
//! requests without credentials while no admin token is configured. One file per area; every handler carries
//! its `#[utoipa::path]` so the router and `/openapi.json` are built from the
//! same list ([`router`]) and cannot drift. Not CORS-enabled.
//!
//! Each handler is a thin edge: it reads the request, calls the operation in
//! `crate::service`, and answers; [`AdminError`] turns a service error into a
//! status and JSON body in one place.
//!
//! Adding a route is: a handler with `#[utoipa::path]` in its area's file, one
//! `.routes(routes!(handler))` line in [`router`] (before the token layer), and
//! its row in [`access::RULES`] unless it is for operators only. A
//! second method on an existing path (say `POST .../webhooks` next to the `GET`)
//! is one more `.routes(...)` line too: axum merges the methods of one path. Handlers return
//! `Result<_, AdminError>`; bodies come through [`extract::JsonBody`] (422 naming
//! the field), query strings through [`extract::QueryParams`]. The token check
//! attaches the [`Caller`] (who, from where) that handlers read with
//! `Extension<Caller>` for roles and the audit log.

pub mod access;
pub mod accounts;
pub mod activity;
pub mod auth;
pub mod automation;
pub mod clients;
pub mod error;
pub mod extract;
pub mod inbound;
pub mod lead_sources;
pub mod people;
pub mod spam;

use axum::middleware;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use error::AdminError;

use crate::state::AppState;

/// Every admin route, behind the token check.
pub fn router(state: AppState) -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(accounts::create_account, accounts::list_accounts))
        .routes(routes!(accounts::get_account, accounts::update_account))
        .routes(routes!(accounts::rotate_account_key))
        .routes(routes!(
            lead_sources::create_lead_source,
            lead_sources::list_lead_sources
        ))
        .routes(routes!(lead_sources::get_lead_source))
        .routes(routes!(lead_sources::rotate_lead_source_key))
        .routes(routes!(
            automation::create_webhook,
            automation::list_webhooks
        ))
        .routes(routes!(
            automation::create_action_plan,
            automation::list_action_plans
        ))
        .routes(routes!(automation::send_webhook))
        .routes(routes!(clients::list_clients))
        .routes(routes!(clients::export_clients))
        .routes(routes!(clients::get_account_client))
        .routes(routes!(clients::get_client))
        .routes(routes!(activity::list_notifications))
        .routes(routes!(activity::update_notification))
        .routes(routes!(activity::list_account_submissions))
        .routes(routes!(activity::list_all_submissions))
        .routes(routes!(activity::list_jobs))
        .routes(routes!(activity::retry_job))
        .routes(routes!(spam::get_spam_settings, spam::update_spam_settings))
        .routes(routes!(spam::release_submission))
        .routes(routes!(spam::mark_client_spam))
        .routes(routes!(spam::update_lead_source))
        .routes(routes!(people::create_user, people::list_users))
        .routes(routes!(people::delete_user))
        .routes(routes!(people::list_members, people::add_member))
        .routes(routes!(people::update_member, people::remove_member))
        .routes(routes!(people::list_api_tokens, people::create_api_token))
        .routes(routes!(people::revoke_api_token))
        .routes(routes!(people::get_me))
        .routes(routes!(people::change_password))
        .routes(routes!(inbound::rotate_inbound_token))
        .routes(routes!(inbound::list_parsers, inbound::create_parser))
        .routes(routes!(
            inbound::get_parser,
            inbound::replace_parser,
            inbound::delete_parser
        ))
        .routes(routes!(inbound::test_parsers))
        .routes(routes!(inbound::reparse_submission))
        // Add routes above this line: the token check covers only what is above it
        // (a test asks every documented admin operation for a 401 without token).
        .route_layer(middleware::from_fn_with_state(state, auth::guard))
}

/// The token of an `Authorization: Bearer <token>` value (scheme in any case).
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// Constant time in the content and the length of both tokens: their SHA-256
/// digests are compared with `subtle`.
pub fn token_matches(given: &str, expected: &str) -> bool {
    let a = Sha256::digest(given.as_bytes());
    let b = Sha256::digest(expected.as_bytes());
    a.as_slice().ct_eq(b.as_slice()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_same_token_matches() {
        assert!(token_matches("s3cret", "s3cret"));
        assert!(!token_matches("s3cret", "s3cre"));
        assert!(!token_matches("", "s3cret"));
    }

    #[test]
    fn the_bearer_scheme_is_read_in_any_case() {
        assert_eq!(bearer_token("Bearer abc"), Some("abc"));
        assert_eq!(bearer_token("bearer  abc "), Some("abc"));
        assert_eq!(bearer_token("Basic abc"), None);
        assert_eq!(bearer_token("Bearer "), None);
    }
}
