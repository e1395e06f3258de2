//! The intake's origin step: allowed origins (step 3b, a refusal). The spam checks of step 5b are
//! the shared pipeline's (`service::intake`).

use axum::http::HeaderMap;

use crate::spam::OriginCheck;
use crate::store::KeyOwner;

/// Step 3b: whether the post's `Origin` (else `Referer`) is one the key's owner allows.
pub fn origin_allowed(owner: &KeyOwner, headers: &HeaderMap) -> bool {
    owner.origin_policy().check(headers) == OriginCheck::Allowed
}
