//! The console's door under `/console/`: log in, log out, set a password from an invite link,
//! change the password; and the signed-in pages. Server-rendered from minijinja
//! templates built into the binary (HTML auto-escaped), no external assets, one small script of
//! our own served from this service (pages work without it); every page
//! sends a Content-Security-Policy with no external source and `frame-ancestors 'none'`.
//!
//! Every state-changing form carries the session's CSRF token (field `csrf_token` or header
//! `X-CSRF-Token`); login and the invite form have no session yet and need none, but a foreign
//! `Origin` is refused (403) on every write. The handlers are in [`door`].
//!
//! Signed-in pages use the frame in [`frame`]: each page is its own module here with its own
//! template in `templates/`, and registers its routes with one line in [`router`] (see
//! `docs/console.md`).

pub mod accounts;
mod act;
pub mod assets;
pub mod automations;
pub mod deliveries;
pub mod door;
pub mod events;
pub mod frame;
pub mod lead;
pub mod leads;
pub mod notifications;
pub mod pager;
pub mod parsers;
pub mod settings;
pub mod sources;
pub mod spam;
pub mod submissions;

use std::collections::HashMap;
use std::sync::LazyLock;

use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use minijinja::Environment;
use time::OffsetDateTime;
use utoipa_axum::router::OpenApiRouter;

use crate::people::session::{
    cookie_is_secure, csrf_token_valid, origin_allowed, session_id_from_cookies,
};
use crate::people::{CsrfToken, SessionLimits};
use crate::service::sessions::{SignedIn, signed_in};
use crate::state::AppState;

/// The templates, by name (`.html`: auto-escaped).
const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("templates/base.html")),
    ("login.html", include_str!("templates/login.html")),
    ("invite.html", include_str!("templates/invite.html")),
    ("password.html", include_str!("templates/password.html")),
    ("message.html", include_str!("templates/message.html")),
    ("frame.html", include_str!("templates/frame.html")),
    ("notice.html", include_str!("templates/notice.html")),
    ("leads.html", include_str!("templates/leads.html")),
    ("spam.html", include_str!("templates/spam.html")),
    ("deliveries.html", include_str!("templates/deliveries.html")),
    ("sources.html", include_str!("templates/sources.html")),
    ("parsers.html", include_str!("templates/parsers.html")),
    (
        "embed_preview.html",
        include_str!("templates/embed_preview.html"),
    ),
    (
        "automations.html",
        include_str!("templates/automations.html"),
    ),
    ("settings.html", include_str!("templates/settings.html")),
    ("lead.html", include_str!("templates/lead.html")),
    (
        "notifications.html",
        include_str!("templates/notifications.html"),
    ),
    (
        "submissions.html",
        include_str!("templates/submissions.html"),
    ),
    ("accounts.html", include_str!("templates/accounts.html")),
];

/// Where a visitor without a session is sent.
pub const LOGIN_PATH: &str = "/console/login";

static ENV: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    for (name, source) in TEMPLATES {
        if let Err(e) = env.add_template(name, source) {
            tracing::error!(template = name, error = %e, "a console template does not parse");
        }
    }
    env
});

/// The console's routes (not part of the JSON API's OpenAPI document).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .route("/console/assets/{file}", get(assets::asset))
        .route("/console/login", get(door::login_page).post(door::login))
        .route("/console/logout", axum::routing::post(door::logout))
        .route(
            "/console/invite/{token}",
            get(door::invite_page).post(door::accept_invite),
        )
        .route(
            "/console/password",
            get(door::password_page).post(door::change_password),
        )
        // The signed-in pages, one line each.
        .merge(leads::routes())
        .merge(events::routes())
        .merge(spam::routes())
        .merge(deliveries::routes())
        .merge(sources::routes())
        .merge(parsers::routes())
        .merge(automations::routes())
        .merge(settings::routes())
        .merge(lead::routes())
        .merge(notifications::routes())
        .merge(submissions::routes())
        .merge(accounts::routes())
}

/// A rendered page with `status` and the console's security headers.
pub fn page(status: StatusCode, template: &str, ctx: minijinja::Value) -> Response {
    let rendered = ENV.get_template(template).and_then(|t| t.render(ctx));
    let html = match rendered {
        Ok(html) => html,
        Err(e) => {
            tracing::error!(error = %e, template, "a console page could not be rendered");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let mut response = (status, Html(html)).into_response();
    secure(response.headers_mut());
    response
}

/// The console's security headers.
fn secure(headers: &mut HeaderMap) {
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; \
             img-src data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        ),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

/// A short page with a title and one sentence.
pub fn message(status: StatusCode, title: &str, text: &str) -> Response {
    page(
        status,
        "message.html",
        minijinja::context! { title => title, message => text },
    )
}

/// A 303 to `to`, with the console's headers.
pub fn see_other(to: &str) -> Response {
    let mut response = Redirect::to(to).into_response();
    secure(response.headers_mut());
    response
}

/// The fields of a posted form (the first value of each name).
pub fn form_fields(body: &[u8]) -> HashMap<String, String> {
    let mut fields = HashMap::new();
    for (name, value) in url::form_urlencoded::parse(body) {
        fields
            .entry(name.into_owned())
            .or_insert_with(|| value.into_owned());
    }
    fields
}

/// The session's limits from the settings.
fn limits(state: &AppState) -> SessionLimits {
    crate::service::people::PeoplePolicy::from_settings(&state.settings).sessions
}

/// Whether the session cookie must be `Secure` (an https public URL).
pub fn secure_cookie(state: &AppState) -> bool {
    let url = state
        .settings
        .server
        .public_url()
        .and_then(|u| url::Url::parse(u).ok());
    cookie_is_secure(url.as_ref())
}

/// The signed-in person behind the request's cookie, if the session is live.
pub async fn session_of(state: &AppState, headers: &HeaderMap) -> Option<SignedIn> {
    let id = headers
        .get(header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(session_id_from_cookies)?;
    let now = OffsetDateTime::now_utc();
    signed_in(state.store.as_ref(), limits(state), &id, now)
        .await
        .ok()
}

/// The `Origin` rule for a console write: the 403 page when the origin is foreign.
pub fn refused_origin(state: &AppState, headers: &HeaderMap) -> Option<Response> {
    let text = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    let public_url = state
        .settings
        .server
        .public_url()
        .and_then(|u| url::Url::parse(u).ok());
    if origin_allowed(
        &Method::POST,
        text(header::ORIGIN),
        text(header::HOST),
        public_url.as_ref(),
    ) {
        None
    } else {
        Some(message(
            StatusCode::FORBIDDEN,
            "Refused",
            "This form was sent from another site.",
        ))
    }
}

/// The CSRF rule for a console write with a session: the form field or the header must carry the
/// session's token, else the 403 page.
pub fn refused_csrf(
    session: &SignedIn,
    headers: &HeaderMap,
    fields: &HashMap<String, String>,
) -> Option<Response> {
    let presented = fields.get("csrf_token").map(String::as_str).or_else(|| {
        headers
            .get(crate::admin::auth::CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
    });
    let valid = CsrfToken::parse(&session.csrf_token)
        .is_ok_and(|expected| csrf_token_valid(&expected, presented));
    if valid {
        None
    } else {
        Some(message(
            StatusCode::FORBIDDEN,
            "Refused",
            "This form has expired or did not come from this site; reload the page and try again.",
        ))
    }
}
