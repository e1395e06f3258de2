//! The intake's spam steps: allowed origins (step 3b, a refusal) and the spam checks (step 5b: a post
//! that fails them is kept in the log with its reasons and answered exactly like a success).

use std::net::IpAddr;

use axum::http::HeaderMap;

use crate::spam::{OriginCheck, SpamReason, count_spam, judge};
use crate::state::AppState;
use crate::store::{KeyOwner, Outcome, Submission};

/// Step 3b: whether the post's `Origin` (else `Referer`) is one the key's owner allows.
pub fn origin_allowed(owner: &KeyOwner, headers: &HeaderMap) -> bool {
    owner.origin_policy().check(headers) == OriginCheck::Allowed
}

/// Step 5b: every reason the post is spam, in the documented order (empty: not spam). The local
/// rules first; CAPTCHA only asks the provider when the account has it on.
pub async fn spam_reasons(
    state: &AppState,
    owner: &KeyOwner,
    fields: &[(String, String)],
    client_ip: IpAddr,
) -> Vec<SpamReason> {
    let mut reasons = judge(&owner.spam, fields, client_ip);
    if let Some(captcha) = &owner.spam.captcha
        && let Some(reason) = state
            .captcha
            .verify(captcha, fields, client_ip)
            .await
            .reason()
    {
        reasons.push(reason);
    }
    reasons.sort();
    reasons
}

/// Keep a spam post in the log with its reasons and count it. `Err` when the log row could not be
/// written: the post is then answered like any storage failure, so that it is retried, not lost.
pub async fn keep_spam(
    state: &AppState,
    mut log: Submission,
    reasons: Vec<SpamReason>,
) -> Result<(), ()> {
    tracing::Span::current().record("outcome", "spam");
    count_spam(&reasons);
    log.outcome = Outcome::Spam;
    log.spam_reasons = reasons;
    match state.store.record_rejection(&log).await {
        Ok(()) => {
            tracing::info!(reasons = ?log.spam_reasons, "spam kept");
            Ok(())
        }
        Err(e) => {
            tracing::error!(error = %e, "could not keep a spam post");
            Err(())
        }
    }
}
