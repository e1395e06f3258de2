//! The frame every signed-in console page uses: the [`Console`] extractor (session required, the
//! current account and the role in it), the layout's context (navigation with the unread count,
//! the account switcher, the CSRF hidden field, the flash message), the checks of a posted form
//! (`Origin`, CSRF token, role) and the redirect that carries a flash message to the next page.
//!
//! How the current account is chosen: `?account=ID` on any page (kept in the session from then
//! on), else the one the session kept, else the first the person may see. A user naming an account
//! they do not belong to gets 404; operators see every account and act as owners in each.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use minijinja::{Value, context};
use serde::Serialize;
use uuid::Uuid;

use super::{LOGIN_PATH, form_fields, page, refused_csrf, refused_origin, see_other, session_of};
use crate::people::{Actor, Caller, Capability, Role};
use crate::service::ServiceError;
use crate::service::audit::{self, AuditAction};
use crate::service::sessions::SignedIn;
use crate::state::AppState;
use crate::store::{Account, Page, StoreError};

/// The flash cookie: one message shown on the next page, then cleared.
const FLASH_COOKIE: &str = "lp_flash";

/// Accounts offered in the switcher (operators with more reach the others by `?account=`).
const SWITCHER_LIMIT: i64 = 200;

/// The console's navigation: path, label, and whether only operators see it.
const NAVIGATION: &[(&str, &str, bool)] = &[
    ("/console/", "Leads", false),
    ("/console/notifications", "Notifications", false),
    ("/console/submissions", "Monitor", false),
    ("/console/spam", "Spam", false),
    ("/console/deliveries", "Deliveries", false),
    ("/console/sources", "Sources", false),
    ("/console/automations", "Automations", false),
    ("/console/settings", "Settings", false),
    ("/console/accounts", "Accounts", true),
];

/// Whether a flash message reports a success or a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FlashKind {
    Ok,
    Error,
}

/// A message carried from a form's redirect to the page it lands on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Flash {
    pub kind: FlashKind,
    pub text: String,
}

impl Flash {
    /// The cookie value: `ok.` or `error.` and the percent-encoded text.
    fn encode(&self) -> String {
        let kind = match self.kind {
            FlashKind::Ok => "ok",
            FlashKind::Error => "error",
        };
        let text: String =
            url::form_urlencoded::byte_serialize(self.text.as_bytes()).collect::<String>();
        format!("{kind}.{text}")
    }

    /// The flash in a `Cookie` request header, if any.
    fn from_cookies(cookie_header: &str) -> Option<Flash> {
        let value = cookie_header
            .split(';')
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == FLASH_COOKIE)
            .map(|(_, value)| value)?;
        let (kind, text) = value.split_once('.')?;
        let kind = match kind {
            "ok" => FlashKind::Ok,
            "error" => FlashKind::Error,
            _ => return None,
        };
        let text: String = url::form_urlencoded::parse(format!("t={text}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())?;
        (!text.is_empty()).then_some(Flash { kind, text })
    }
}

/// A signed-in person on a console page: who, which account, what they may do there.
#[derive(Debug, Clone)]
pub struct Console {
    pub signed_in: SignedIn,
    /// The current account (none when the person belongs to none yet).
    pub account: Option<Account>,
    /// The role in the current account: the membership's, `Owner` for operators.
    pub role: Option<Role>,
    /// The accounts the switcher offers.
    pub accounts: Vec<Account>,
    /// Unread in-app notifications of the current account.
    pub unread: i64,
    /// The message the previous form left, shown once.
    pub flash: Option<Flash>,
    /// The request's path (the navigation marks where the person is).
    pub path: String,
    /// The client address (behind a trusted proxy, the one it forwards), for the audit log.
    pub ip: Option<IpAddr>,
}

/// A navigation link as the layout shows it.
#[derive(Debug, Serialize)]
struct NavLink {
    href: &'static str,
    label: &'static str,
    current: bool,
}

/// An account in the switcher.
#[derive(Debug, Serialize)]
struct AccountChoice {
    id: Uuid,
    name: String,
    current: bool,
}

impl FromRequestParts<AppState> for Console {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let Some(signed_in) = session_of(state, &parts.headers).await else {
            return Err(see_other(LOGIN_PATH));
        };
        let asked = parts.uri.query().and_then(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .find(|(name, _)| name == "account")
                .map(|(_, value)| value.into_owned())
        });
        let chosen = choose_account(state, &signed_in, asked.as_deref())
            .await
            .map_err(|e| match e {
                Choice::NotFound => super::message(
                    StatusCode::NOT_FOUND,
                    "Not found",
                    "There is no such account, or it is not one of yours.",
                ),
                Choice::Failed(e) => {
                    tracing::error!(error = %e, "the console could not read the account");
                    super::message(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "Something went wrong",
                        "Please try again in a moment.",
                    )
                }
            })?;
        let unread = match &chosen.account {
            Some(account) => state
                .store
                .count_unread_notifications(account.id)
                .await
                .unwrap_or_else(|e| {
                    tracing::warn!(error = %e, "could not count the unread notifications");
                    0
                }),
            None => 0,
        };
        let flash = parts
            .headers
            .get(header::COOKIE)
            .and_then(|v| v.to_str().ok())
            .and_then(Flash::from_cookies);
        Ok(Console {
            signed_in,
            account: chosen.account,
            role: chosen.role,
            accounts: chosen.accounts,
            unread,
            flash,
            path: parts.uri.path().to_string(),
            ip: parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(peer)| state.limits.client_ip(*peer, &parts.headers)),
        })
    }
}

/// Why no account could be chosen.
enum Choice {
    /// Named an account the person may not see (or that does not exist).
    NotFound,
    Failed(StoreError),
}

impl From<StoreError> for Choice {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Choice::NotFound,
            other => Choice::Failed(other),
        }
    }
}

/// The chosen account, the role in it and the switcher's list.
struct Chosen {
    account: Option<Account>,
    role: Option<Role>,
    accounts: Vec<Account>,
}

/// The role `signed_in` has in `account_id`: `Owner` for an operator (if the account exists), the
/// membership's for a user; `None` when they may not see it.
async fn role_in(
    state: &AppState,
    signed_in: &SignedIn,
    account_id: Uuid,
) -> Result<Option<Role>, StoreError> {
    if signed_in.user.operator {
        return match state.store.get_account(account_id).await {
            Ok(_) => Ok(Some(Role::Owner)),
            Err(StoreError::NotFound) => Ok(None),
            Err(e) => Err(e),
        };
    }
    state
        .store
        .membership_role(account_id, signed_in.user.id)
        .await
}

async fn choose_account(
    state: &AppState,
    signed_in: &SignedIn,
    asked: Option<&str>,
) -> Result<Chosen, Choice> {
    let store = state.store.as_ref();
    let session = signed_in.session.to_hex();
    let page = Page::first(SWITCHER_LIMIT);
    let accounts = if signed_in.user.operator {
        store.list_accounts(page).await?
    } else {
        store.list_accounts_of_user(signed_in.user.id, page).await?
    };
    let stored = store.session_account(&session).await?;
    let (account_id, role) = match asked.filter(|a| !a.is_empty()) {
        Some(raw) => {
            let id = Uuid::parse_str(raw).map_err(|_| Choice::NotFound)?;
            let role = role_in(state, signed_in, id)
                .await?
                .ok_or(Choice::NotFound)?;
            if stored != Some(id) {
                store.set_session_account(&session, id).await?;
            }
            (Some(id), Some(role))
        }
        None => {
            let kept = match stored {
                Some(id) => role_in(state, signed_in, id).await?.map(|role| (id, role)),
                None => None,
            };
            match kept {
                Some((id, role)) => (Some(id), Some(role)),
                None => match accounts.first() {
                    Some(first) => (Some(first.id), role_in(state, signed_in, first.id).await?),
                    None => (None, None),
                },
            }
        }
    };
    let account = match account_id {
        Some(id) => match accounts.iter().find(|a| a.id == id) {
            Some(found) => Some(found.clone()),
            None => Some(store.get_account(id).await?),
        },
        None => None,
    };
    Ok(Chosen {
        account,
        role,
        accounts,
    })
}

impl Console {
    /// Whether the person may do `capability` in the current account.
    pub fn can(&self, capability: Capability) -> bool {
        self.role.is_some_and(|role| role.allows(capability))
    }

    /// Whether the person is an operator.
    pub fn operator(&self) -> bool {
        self.signed_in.user.operator
    }

    /// The current account's id, or the page saying there is none yet.
    pub fn account_id(&self) -> Result<Uuid, Box<Response>> {
        self.account.as_ref().map(|a| a.id).ok_or_else(|| {
            Box::new(self.notice(
                StatusCode::OK,
                "No account yet",
                "You do not belong to any account yet. Ask an owner to invite you.",
            ))
        })
    }

    /// The person as the service layer and the audit log see them.
    pub fn caller(&self) -> Caller {
        Caller {
            actor: Actor::User {
                id: self.signed_in.user.id,
                operator: self.signed_in.user.operator,
            },
            ip: self.ip,
        }
    }

    /// Record a successful write in the current account's audit log (the one place every
    /// console form records through; called on success only).
    pub async fn audit(&self, state: &AppState, action: AuditAction, object_id: Option<String>) {
        let account_id = self.account.as_ref().map(|a| a.id);
        self.audit_in(state, account_id, action, object_id).await;
    }

    /// [`Console::audit`] in a named account (an account the form just created).
    pub async fn audit_in(
        &self,
        state: &AppState,
        account_id: Option<Uuid>,
        action: AuditAction,
        object_id: Option<String>,
    ) {
        audit::record(
            state.store.as_ref(),
            &self.caller(),
            account_id,
            action,
            object_id,
        )
        .await;
    }

    /// `result`, after recording `object_type.verb` on `object_id` when it is a success.
    pub async fn audited<T>(
        &self,
        state: &AppState,
        object_type: &'static str,
        verb: &'static str,
        object_id: impl ToString,
        result: Result<T, ServiceError>,
    ) -> Result<T, ServiceError> {
        if result.is_ok() {
            let action = AuditAction::new(object_type, verb);
            self.audit(state, action, Some(object_id.to_string())).await;
        }
        result
    }

    /// The layout's part of every page's context.
    fn frame(&self) -> Value {
        let operator = self.operator();
        let nav: Vec<NavLink> = NAVIGATION
            .iter()
            .filter(|(_, _, operators_only)| operator || !operators_only)
            .map(|&(href, label, _)| NavLink {
                href,
                label,
                current: is_current(href, &self.path),
            })
            .collect();
        let current = self.account.as_ref().map(|a| a.id);
        let accounts: Vec<AccountChoice> = self
            .accounts
            .iter()
            .map(|a| AccountChoice {
                id: a.id,
                name: a.name.clone(),
                current: Some(a.id) == current,
            })
            .collect();
        let csrf_field = Value::from_safe_string(format!(
            r#"<input type="hidden" name="csrf_token" value="{}">"#,
            escape_attribute(&self.signed_in.csrf_token)
        ));
        context! {
            email => self.signed_in.user.email,
            operator => operator,
            csrf_token => self.signed_in.csrf_token,
            csrf_field => csrf_field,
            account => self.account.as_ref().map(|a| context! { id => a.id, name => a.name }),
            role => self.role.map(|r| if operator { "operator" } else { r.as_str() }),
            accounts => accounts,
            unread => self.unread,
            flash => self.flash,
            nav => nav,
            path => self.path,
            script => super::assets::SCRIPT_PATH.as_str(),
            can_act => self.can(Capability::ActOnLeads),
            can_manage => self.can(Capability::ManageAccount),
            can_manage_people => self.can(Capability::ManagePeopleAndKeys),
        }
    }

    /// A page inside the frame: `template` extends `frame.html` and sees `frame` and `ctx`.
    pub fn render(&self, template: &str, ctx: Value) -> Response {
        self.render_status(StatusCode::OK, template, ctx)
    }

    /// [`Console::render`] with a status.
    pub fn render_status(&self, status: StatusCode, template: &str, ctx: Value) -> Response {
        let merged = context! { frame => self.frame(), ..ctx };
        let mut response = page(status, template, merged);
        if self.flash.is_some() {
            set_cookie(response.headers_mut(), &clear_flash_cookie());
        }
        response
    }

    /// A page inside the frame with a title and one sentence.
    pub fn notice(&self, status: StatusCode, title: &str, text: &str) -> Response {
        self.render_status(
            status,
            "notice.html",
            context! { title => title, text => text },
        )
    }

    /// The 403 page for an action the role does not allow.
    pub fn forbidden(&self) -> Response {
        self.notice(
            StatusCode::FORBIDDEN,
            "Not allowed",
            "Your role in this account does not allow this.",
        )
    }

    /// The 404 page.
    pub fn not_found(&self, what: &str) -> Response {
        self.notice(
            StatusCode::NOT_FOUND,
            "Not found",
            &format!("There is no such {what} in this account."),
        )
    }

    /// A failure no page can explain: logged, answered with a plain page.
    pub fn failed(&self, error: impl std::fmt::Debug) -> Response {
        tracing::error!(error = ?error, "a console request failed");
        self.notice(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong",
            "Please try again in a moment.",
        )
    }

    /// A posted form, once its `Origin`, its CSRF token and the role (`needed`) check out; else
    /// the 403 page.
    pub fn form(
        &self,
        state: &AppState,
        headers: &HeaderMap,
        body: &[u8],
        needed: Capability,
    ) -> Result<HashMap<String, String>, Box<Response>> {
        let fields = self.form_of_session(state, headers, body)?;
        if !self.can(needed) {
            return Err(Box::new(self.forbidden()));
        }
        Ok(fields)
    }

    /// A posted form once its `Origin` and CSRF token check out, whatever the role (for forms
    /// outside one account, such as an operator's).
    pub fn form_of_session(
        &self,
        state: &AppState,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<HashMap<String, String>, Box<Response>> {
        if let Some(refused) = refused_origin(state, headers) {
            return Err(Box::new(refused));
        }
        let fields = form_fields(body);
        if let Some(refused) = refused_csrf(&self.signed_in, headers, &fields) {
            return Err(Box::new(refused));
        }
        Ok(fields)
    }
}

/// A 303 to `to` that shows `text` once on the page it lands on.
pub fn redirect_with(to: &str, kind: FlashKind, text: &str) -> Response {
    let mut response = see_other(to);
    let flash = Flash {
        kind,
        text: text.to_string(),
    };
    set_cookie(
        response.headers_mut(),
        &format!(
            "{FLASH_COOKIE}={}; Max-Age=60; Path=/console; HttpOnly; SameSite=Lax",
            flash.encode()
        ),
    );
    response
}

fn clear_flash_cookie() -> String {
    format!("{FLASH_COOKIE}=; Max-Age=0; Path=/console; HttpOnly; SameSite=Lax")
}

fn set_cookie(headers: &mut HeaderMap, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.append(header::SET_COOKIE, value);
    }
}

/// Whether the navigation link `href` is where `path` is (the leads link also covers a lead).
fn is_current(href: &str, path: &str) -> bool {
    if href == "/console/" {
        path == "/console/" || path == "/console" || path.starts_with("/console/leads/")
    } else {
        path == href || path.starts_with(&format!("{href}/"))
    }
}

/// Text made safe inside a double-quoted HTML attribute.
fn escape_attribute(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flash_survives_its_cookie() {
        let flash = Flash {
            kind: FlashKind::Error,
            text: "Tag \"VIP\"; added & kept".into(),
        };
        let header = format!("lp_session=abc; {FLASH_COOKIE}={}", flash.encode());
        assert_eq!(Flash::from_cookies(&header), Some(flash));
    }

    #[test]
    fn a_malformed_flash_is_ignored() {
        assert_eq!(Flash::from_cookies("lp_flash=nonsense"), None);
        assert_eq!(Flash::from_cookies("lp_flash=ok."), None);
    }

    #[test]
    fn the_leads_link_covers_a_lead_page() {
        assert!(is_current("/console/", "/console/leads/abc"));
        assert!(is_current("/console/spam", "/console/spam"));
        assert!(!is_current("/console/spam", "/console/spammy"));
        assert!(!is_current("/console/", "/console/spam"));
    }
}
