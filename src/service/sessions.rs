//! Console sessions: logging in (with the lockout, and the same answer for an unknown email and a
//! wrong password), finding the signed-in user behind a cookie, and logging out.

use time::OffsetDateTime;
use uuid::Uuid;

use super::ServiceError;
use crate::people::password::verify_password;
use crate::people::session::SessionLimits;
use crate::people::{
    CsrfToken, LoginThrottle, Password, PasswordHash, SecretHash, SessionClock, SessionId,
    UserEmail,
};
use crate::store::{Store, User};

/// The answer to every failed login, whatever failed.
const LOGIN_REFUSED: &str = "wrong email or password";

/// The answer for a session that is unknown or over.
const SESSION_REFUSED: &str = "no session, or the session has ended; log in again";

/// A session just started: the cookie's value, its CSRF token and who it is.
#[derive(Debug)]
pub struct StartedSession {
    pub id: SessionId,
    pub csrf_token: CsrfToken,
    pub user: User,
    pub clock: SessionClock,
}

/// The signed-in person behind a live session.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub user: User,
    /// The session's digest (to keep it when the password changes, to end it at logout).
    pub session: SecretHash,
    /// The session's CSRF token, for forms and the `X-CSRF-Token` check.
    pub csrf_token: String,
    pub clock: SessionClock,
}

/// Log in with an email and a password. Unknown email and wrong password cost and answer the
/// same; a locked email is refused before any check.
pub async fn login(
    store: &dyn Store,
    throttle: &dyn LoginThrottle,
    email: &str,
    password: &str,
    now: OffsetDateTime,
) -> Result<StartedSession, ServiceError> {
    let presented = Password::presented(password);
    let Ok(email) = UserEmail::parse(email) else {
        // Not an address: it names no one, but it costs what a wrong password costs.
        verify_password(presented, None)
            .await
            .map_err(|e| ServiceError::Internal(e.into()))?;
        return Err(ServiceError::Unauthenticated(LOGIN_REFUSED));
    };
    throttle.check(&email).await?;
    let login = store.find_user_login(email.as_str()).await?;
    let stored = login
        .as_ref()
        .and_then(|l| l.password_hash.clone())
        .map(PasswordHash::from_stored);
    let matches = verify_password(presented, stored)
        .await
        .map_err(|e| ServiceError::Internal(e.into()))?;
    let Some(user) = login.filter(|_| matches).map(|l| l.user) else {
        throttle.record_failure(&email).await;
        tracing::info!("login refused");
        return Err(ServiceError::Unauthenticated(LOGIN_REFUSED));
    };
    throttle.record_success(&email).await;
    start(store, user, now).await
}

/// Start a session for a person who has just proved who they are (a login, an accepted invite).
pub async fn start(
    store: &dyn Store,
    user: User,
    now: OffsetDateTime,
) -> Result<StartedSession, ServiceError> {
    let id = SessionId::generate().map_err(|e| ServiceError::Internal(e.into()))?;
    let csrf_token = CsrfToken::generate().map_err(|e| ServiceError::Internal(e.into()))?;
    store
        .create_session(&id.hash().to_hex(), user.id, csrf_token.expose(), now)
        .await?;
    tracing::info!(user_id = %user.id, "logged in");
    Ok(StartedSession {
        id,
        csrf_token,
        user,
        clock: SessionClock::started(now),
    })
}

/// Start a session for the user `user_id` (one who has just set a password through an invite).
pub async fn start_for(
    store: &dyn Store,
    user_id: Uuid,
    now: OffsetDateTime,
) -> Result<StartedSession, ServiceError> {
    let user = store
        .get_user(user_id)
        .await
        .map_err(|e| ServiceError::from_store(e, "user"))?;
    start(store, user, now).await
}

/// The person behind a session cookie, if the session is live; its use is recorded (at most once
/// a minute). An ended session is removed.
pub async fn signed_in(
    store: &dyn Store,
    limits: SessionLimits,
    id: &SessionId,
    now: OffsetDateTime,
) -> Result<SignedIn, ServiceError> {
    let digest = id.hash();
    let hex = digest.to_hex();
    let info = store
        .find_session(&hex)
        .await?
        .ok_or(ServiceError::Unauthenticated(SESSION_REFUSED))?;
    let clock = SessionClock {
        created_at: info.created_at,
        last_seen_at: info.last_seen_at,
    };
    if !clock.is_live(limits, now) {
        store.delete_session(&hex).await?;
        return Err(ServiceError::Unauthenticated(SESSION_REFUSED));
    }
    if clock.use_worth_recording(now) {
        store.touch_session(&hex, now).await?;
    }
    let user = store
        .get_user(info.user_id)
        .await
        .map_err(|e| ServiceError::from_store(e, "user"))?;
    Ok(SignedIn {
        user,
        session: digest,
        csrf_token: info.csrf_token,
        clock: clock.seen(now),
    })
}

/// End a session.
pub async fn logout(store: &dyn Store, session: &SecretHash) -> Result<(), ServiceError> {
    store.delete_session(&session.to_hex()).await?;
    tracing::info!("logged out");
    Ok(())
}
