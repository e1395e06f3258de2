//! The console's door: the login and logout, invite and password pages, and the landing page.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use minijinja::context;
use time::OffsetDateTime;

use super::{
    LOGIN_PATH, form_fields, message, page, refused_csrf, refused_origin, secure_cookie, see_other,
    session_of,
};
use crate::people::session::{cleared_session_cookie, session_cookie};
use crate::people::{InputError, password};
use crate::service::ServiceError;
use crate::service::people::{self, ChangePassword};
use crate::service::sessions::{self, StartedSession};
use crate::state::AppState;

/// The same words for an unknown email and a wrong password.
const LOGIN_REFUSED: &str = "Wrong email or password.";

/// A service error no form can explain: logged, answered with a plain page.
fn failed(e: ServiceError) -> Response {
    tracing::error!(error = ?e, "a console request failed");
    message(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong",
        "Please try again in a moment.",
    )
}

/// `GET /console/`: who is signed in; without a session, the login page.
pub async fn home(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(session) = session_of(&state, &headers).await else {
        return see_other(LOGIN_PATH);
    };
    page(
        StatusCode::OK,
        "home.html",
        context! {
            email => session.user.email,
            operator => session.user.operator,
            csrf_token => session.csrf_token,
        },
    )
}

fn login_form(status: StatusCode, email: &str, kind: &str, text: Option<&str>) -> Response {
    page(
        status,
        "login.html",
        context! { email => email, kind => kind, message => text },
    )
}

/// `GET /console/login`
pub async fn login_page() -> Response {
    login_form(StatusCode::OK, "", "", None)
}

/// `POST /console/login` (form: `email`, `password`): the session cookie and the landing page.
pub async fn login(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(refused) = refused_origin(&state, &headers) {
        return refused;
    }
    let fields = form_fields(&body);
    let field = |name: &str| fields.get(name).cloned().unwrap_or_default();
    let (email, password) = (field("email"), field("password"));
    let now = OffsetDateTime::now_utc();
    match sessions::login(
        state.store.as_ref(),
        state.throttle.as_ref(),
        &email,
        &password,
        now,
    )
    .await
    {
        Ok(started) => to_console(&state, &started, now),
        Err(ServiceError::Unauthenticated(_)) => login_form(
            StatusCode::UNAUTHORIZED,
            email.trim(),
            "error",
            Some(LOGIN_REFUSED),
        ),
        Err(ServiceError::Locked(locked)) => {
            let text = format!(
                "Too many failed logins for this email. Try again in {} seconds.",
                locked.retry_after.as_secs().max(1)
            );
            let mut response = login_form(
                StatusCode::TOO_MANY_REQUESTS,
                email.trim(),
                "error",
                Some(&text),
            );
            let retry = locked.retry_after.as_secs().max(1).to_string();
            if let Ok(value) = HeaderValue::from_str(&retry) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            response
        }
        Err(e) => failed(e),
    }
}

/// The answer to a person who has just signed in: the session cookie and a redirect to the console.
fn to_console(state: &AppState, started: &StartedSession, now: OffsetDateTime) -> Response {
    let limits = people::PeoplePolicy::from_settings(&state.settings).sessions;
    let cookie = session_cookie(
        &started.id,
        started.clock.cookie_max_age(limits, now),
        secure_cookie(state),
    );
    let mut response = see_other("/console/");
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

/// `POST /console/logout`: ends the session (CSRF token required) and clears the cookie.
pub async fn logout(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(refused) = refused_origin(&state, &headers) {
        return refused;
    }
    let Some(session) = session_of(&state, &headers).await else {
        return see_other(LOGIN_PATH);
    };
    if let Some(refused) = refused_csrf(&session, &headers, &form_fields(&body)) {
        return refused;
    }
    if let Err(e) = sessions::logout(state.store.as_ref(), &session.session).await {
        return failed(e);
    }
    let mut response = see_other(LOGIN_PATH);
    if let Ok(value) = HeaderValue::from_str(&cleared_session_cookie(secure_cookie(&state))) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

/// The answer for an invite that cannot be used.
fn invite_refused(e: ServiceError) -> Response {
    match e {
        ServiceError::NotFound(_) => message(
            StatusCode::NOT_FOUND,
            "Unknown invite link",
            "This invite link is not valid. Ask for a new one.",
        ),
        ServiceError::Gone(_) => message(
            StatusCode::GONE,
            "Invite link used or expired",
            "This invite link has been used or has expired. Ask for a new one.",
        ),
        other => failed(other),
    }
}

fn invite_form(status: StatusCode, token: &str, text: Option<&str>) -> Response {
    page(
        status,
        "invite.html",
        context! { token => token, message => text },
    )
}

/// `GET /console/invite/{token}`: the form that sets the password.
pub async fn invite_page(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    let now = OffsetDateTime::now_utc();
    match people::check_invite(state.store.as_ref(), &token, now).await {
        Ok(_) => invite_form(StatusCode::OK, &token, None),
        Err(e) => invite_refused(e),
    }
}

/// `POST /console/invite/{token}` (form: `password`): sets the password, spends the invite and
/// signs the person in (the session cookie and a redirect to the console).
pub async fn accept_invite(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(refused) = refused_origin(&state, &headers) {
        return refused;
    }
    let fields = form_fields(&body);
    let password = fields.get("password").cloned().unwrap_or_default();
    let now = OffsetDateTime::now_utc();
    match people::accept_invite(state.store.as_ref(), &token, &password, now).await {
        Ok(user_id) => match sessions::start_for(state.store.as_ref(), user_id, now).await {
            Ok(started) => to_console(&state, &started, now),
            Err(e) => failed(e),
        },
        Err(ServiceError::Invalid(problems)) => {
            let text = problems
                .first()
                .map(|p| format!("The password {}.", p.reason))
                .unwrap_or_else(|| format!("The password {}.", InputError::PasswordTooShort));
            invite_form(StatusCode::UNPROCESSABLE_ENTITY, &token, Some(&text))
        }
        Err(e) => invite_refused(e),
    }
}

fn password_form(status: StatusCode, csrf_token: &str, kind: &str, text: Option<&str>) -> Response {
    page(
        status,
        "password.html",
        context! { csrf_token => csrf_token, kind => kind, message => text },
    )
}

/// `GET /console/password`
pub async fn password_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match session_of(&state, &headers).await {
        Some(session) => password_form(StatusCode::OK, &session.csrf_token, "", None),
        None => see_other(LOGIN_PATH),
    }
}

/// `POST /console/password` (form: `current_password`, `new_password`, `csrf_token`): the
/// person's other sessions end.
pub async fn change_password(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(refused) = refused_origin(&state, &headers) {
        return refused;
    }
    let Some(session) = session_of(&state, &headers).await else {
        return see_other(LOGIN_PATH);
    };
    let fields = form_fields(&body);
    if let Some(refused) = refused_csrf(&session, &headers, &fields) {
        return refused;
    }
    let field = |name: &str| fields.get(name).cloned().unwrap_or_default();
    let input = ChangePassword {
        current_password: field("current_password"),
        new_password: field("new_password"),
    };
    let csrf = session.csrf_token.as_str();
    match people::change_password(
        state.store.as_ref(),
        session.user.id,
        Some(&session.session),
        input,
    )
    .await
    {
        Ok(()) => password_form(
            StatusCode::OK,
            csrf,
            "ok",
            Some("Your password is changed; your other sessions have ended."),
        ),
        Err(ServiceError::Forbidden(_)) => password_form(
            StatusCode::FORBIDDEN,
            csrf,
            "error",
            Some("The current password is wrong."),
        ),
        Err(ServiceError::Invalid(_)) => {
            let text = format!(
                "The new password must be {} to {} characters.",
                password::MIN_CHARS,
                password::MAX_CHARS
            );
            password_form(StatusCode::UNPROCESSABLE_ENTITY, csrf, "error", Some(&text))
        }
        Err(e) => failed(e),
    }
}
