//! Erasure: removing one lead (`DELETE /admin/v1/clients/{id}`) or one person by email from an
//! account (`POST /admin/v1/accounts/{id}/erase`). What goes is listed once, in the store's
//! `CLIENT_ERASURE`. The email itself is never logged: the log only gets ids and counts.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::ServiceError;
use crate::store::Store;

/// Longest email an erasure takes, in characters.
const EMAIL_MAX: usize = 320;

/// `POST /admin/v1/accounts/{id}/erase`
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EraseEmail {
    /// Matched in any case against clients' emails and every value of every submission.
    /// At most 320 characters; white space alone is refused.
    #[schema(min_length = 1, max_length = 320, pattern = "\\S")]
    pub email: String,
}

/// What erasing an email did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ErasureCounts {
    /// Clients erased.
    pub clients: u64,
    /// Submissions of the account that carried the email (now stripped of their raw fields).
    pub submissions: u64,
}

/// Erase one client; the id of its account.
pub async fn erase_client(store: &dyn Store, client_id: Uuid) -> Result<Uuid, ServiceError> {
    let account_id = store
        .erase_client(client_id)
        .await
        .map_err(|e| ServiceError::from_store(e, "client"))?;
    tracing::info!(%account_id, %client_id, "client erased");
    Ok(account_id)
}

/// Erase every client of the account with this email, and strip it from every submission.
pub async fn erase_email(
    store: &dyn Store,
    account_id: Uuid,
    request: &EraseEmail,
) -> Result<ErasureCounts, ServiceError> {
    let email = super::input::trim_blank(&request.email);
    if email.is_empty() || email.chars().count() > EMAIL_MAX {
        return Err(ServiceError::field(
            "email",
            format!("must be 1 to {EMAIL_MAX} characters"),
        ));
    }
    let done = store
        .erase_email(account_id, email)
        .await
        .map_err(|e| ServiceError::from_store(e, "account"))?;
    tracing::info!(
        %account_id,
        clients = done.clients,
        submissions = done.submissions,
        "email erased"
    );
    Ok(ErasureCounts {
        clients: done.clients,
        submissions: done.submissions,
    })
}
