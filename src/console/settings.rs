//! `/console/settings`: the account's details and spam settings (§10, the CAPTCHA secret masked)
//! for everyone in the account, read-only but for owners; and, for owners only, its members and
//! invites and its API tokens (a new token's secret and a new person's invite link are shown this
//! once, on the page that answers the form). The retention settings arrive with the data branch,
//! the display name and notification default with the hearing branch: their places are marked in
//! the template.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use minijinja::{Value, context};
use serde_json::{Map, json};
use utoipa_axum::router::OpenApiRouter;

use super::act::{answer, path_id, refused, with_account};
use super::frame::{Console, FlashKind, redirect_with};
use crate::people::Capability;
use crate::service::accounts::{self, UpdateAccount};
use crate::service::audit::AuditAction;
use crate::service::credentials::{self, CreateApiToken};
use crate::service::people::{self, AddMember, PeoplePolicy, UpdateMember};
use crate::service::retention::{self, RetentionPatch};
use crate::service::spam;
use crate::spam::SpamSettingsPatch;
use crate::state::AppState;

const PATH: &str = "/console/settings";

/// The list settings of §10, one entry a line in their text boxes.
const LIST_SETTINGS: &[&str] = &[
    "blocked_email_domains",
    "blocked_words",
    "blocked_ips",
    "allowed_origins",
];

/// The page's routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .route(PATH, get(settings))
        .route("/console/settings/account", post(update_account))
        .route("/console/settings/spam", post(update_spam))
        .route("/console/settings/retention", post(update_retention))
        .route("/console/settings/members", post(invite))
        .route("/console/settings/members/{id}", post(change_member))
        .route("/console/settings/members/{id}/remove", post(remove_member))
        .route("/console/settings/tokens", post(create_token))
        .route("/console/settings/tokens/{id}/revoke", post(revoke_token))
}

/// What a form just made, shown once.
#[derive(Default)]
struct Made {
    invite: Option<(String, Option<String>)>,
    token: Option<(String, String)>,
}

/// The page, with what a form just made.
async fn render(state: &AppState, console: &Console, status: StatusCode, made: Made) -> Response {
    let Some(account) = console.account.clone() else {
        return console
            .account_id()
            .err()
            .map_or_else(|| console.forbidden(), |page| *page);
    };
    let store = state.store.as_ref();
    let spam_settings = match spam::settings(store, account.id).await {
        Ok(s) => s,
        Err(e) => return console.failed(e),
    };
    let retention = match retention::get(store, account.id).await {
        Ok(r) => r,
        Err(e) => return console.failed(e),
    };
    let people_and_keys = console.can(Capability::ManagePeopleAndKeys);
    let (members, tokens) = if people_and_keys {
        let members = match people::list_members(store, account.id).await {
            Ok(list) => list.members,
            Err(e) => return console.failed(e),
        };
        let tokens = match credentials::list_api_tokens(store, account.id).await {
            Ok(list) => list.api_tokens,
            Err(e) => return console.failed(e),
        };
        (members, tokens)
    } else {
        (Vec::new(), Vec::new())
    };
    let spam_json = serde_json::to_value(&spam_settings).unwrap_or_default();
    let lists: Map<String, serde_json::Value> = LIST_SETTINGS
        .iter()
        .map(|name| {
            let lines: Vec<String> = spam_json
                .get(name)
                .and_then(|v| v.as_array())
                .map(|items| {
                    items
                        .iter()
                        .filter_map(|i| i.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default();
            ((*name).to_string(), json!(lines.join("\n")))
        })
        .collect();
    console.render_status(
        status,
        "settings.html",
        context! {
            account => Value::from_serialize(&account),
            spam => Value::from_serialize(&spam_json),
            spam_lists => Value::from_serialize(&lists),
            retention => Value::from_serialize(retention),
            can_manage => console.can(Capability::ManageAccount),
            people_and_keys => people_and_keys,
            members => members.iter().map(|m| context! {
                user_id => m.user_id, email => m.email, role => m.role.as_str(),
                is_me => m.user_id == console.signed_in.user.id,
            }).collect::<Vec<_>>(),
            tokens => tokens.iter().map(|t| context! {
                id => t.id, name => t.name, scope => t.scope.as_str(),
                created => super::act::moment(t.created_at),
                expires => t.expires_at.map(super::act::moment),
                last_used => t.last_used_at.map(super::act::moment),
            }).collect::<Vec<_>>(),
            roles => ["viewer", "member", "owner"],
            scopes => ["read", "write", "owner"],
            invite => made.invite.map(|(email, url)| context! { email => email, url => url }),
            new_token => made.token.map(|(name, token)| context! { name => name, token => token }),
        },
    )
}

/// `GET /console/settings`
async fn settings(State(state): State<AppState>, console: Console) -> Response {
    render(&state, &console, StatusCode::OK, Made::default()).await
}

/// `POST /console/settings/account` (`name`, `owner_email`, `owner_phone`; empty clears): owner.
async fn update_account(
    State(state): State<AppState>,
    console: Console,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let fields = match console.form(&state, &headers, &body, Capability::ManageAccount) {
        Ok(fields) => fields,
        Err(refused) => return *refused,
    };
    let account_id = match console.account_id() {
        Ok(id) => id,
        Err(none) => return *none,
    };
    let mut patch = Map::new();
    for name in [
        "name",
        "owner_email",
        "owner_phone",
        "display_name",
        "website_url",
    ] {
        if let Some(value) = fields.get(name) {
            let value = value.trim();
            let value = if value.is_empty() && name != "name" {
                serde_json::Value::Null
            } else {
                json!(value)
            };
            patch.insert(name.to_string(), value);
        }
    }
    if fields.contains_key("hearing") {
        let lenient = fields.contains_key("lenient_phones");
        patch.insert("lenient_phones".into(), json!(lenient));
        if let Some(level) = fields.get("new_lead_notification_default") {
            let level = level.trim();
            let level = level
                .parse::<i64>()
                .map_or_else(|_| json!(level), |n| json!(n));
            patch.insert("new_lead_notification_default".into(), level);
        }
    }
    let to = with_account(&console, PATH);
    let input: UpdateAccount = match serde_json::from_value(serde_json::Value::Object(patch)) {
        Ok(input) => input,
        Err(e) => return redirect_with(&to, FlashKind::Error, &e.to_string()),
    };
    let changed = accounts::update(state.store.as_ref(), account_id, input).await;
    let changed = console
        .audited(&state, "account", "update", account_id, changed)
        .await;
    answer(&console, &to, changed, |_| {
        "Account details saved.".to_string()
    })
}

/// `POST /console/settings/spam`: the §10 settings but CAPTCHA (owner). Lists take one entry a
/// line; an empty `min_fill_ms` is 0, an empty `max_links` no limit, an empty honeypot name off.
async fn update_spam(
    State(state): State<AppState>,
    console: Console,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let fields = match console.form(&state, &headers, &body, Capability::ManageAccount) {
        Ok(fields) => fields,
        Err(refused) => return *refused,
    };
    let account_id = match console.account_id() {
        Ok(id) => id,
        Err(none) => return *none,
    };
    let to = with_account(&console, PATH);
    let text = |name: &str| {
        fields
            .get(name)
            .map(|v| v.trim().to_string())
            .unwrap_or_default()
    };
    let number = |name: &str, empty: serde_json::Value| {
        let raw = text(name);
        if raw.is_empty() {
            Ok(empty)
        } else {
            raw.parse::<u32>()
                .map(|n| json!(n))
                .map_err(|_| format!("{name}: must be a whole number ≥ 0"))
        }
    };
    let (min_fill_ms, max_links) = match (
        number("min_fill_ms", json!(0)),
        number("max_links", serde_json::Value::Null),
    ) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return redirect_with(&to, FlashKind::Error, &e),
    };
    let honeypot = text("honeypot_field");
    let mut patch = Map::new();
    patch.insert(
        "honeypot_field".into(),
        if honeypot.is_empty() {
            serde_json::Value::Null
        } else {
            json!(honeypot)
        },
    );
    patch.insert("min_fill_ms".into(), min_fill_ms);
    patch.insert("max_links".into(), max_links);
    patch.insert(
        "require_origin".into(),
        json!(fields.contains_key("require_origin")),
    );
    for name in LIST_SETTINGS {
        let lines: Vec<String> = text(name)
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect();
        patch.insert((*name).to_string(), json!(lines));
    }
    let input: SpamSettingsPatch = match serde_json::from_value(serde_json::Value::Object(patch)) {
        Ok(input) => input,
        Err(e) => return redirect_with(&to, FlashKind::Error, &e.to_string()),
    };
    let changed = spam::update_settings(state.store.as_ref(), account_id, input).await;
    let changed = console
        .audited(&state, "spam_settings", "update", account_id, changed)
        .await;
    answer(&console, &to, changed, |_| {
        "Spam settings saved.".to_string()
    })
}

/// `POST /console/settings/members` (`email`, `role`): add a person; a new email gets an invite
/// link, shown on the page that answers (owner).
async fn invite(
    State(state): State<AppState>,
    console: Console,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let fields = match console.form(&state, &headers, &body, Capability::ManagePeopleAndKeys) {
        Ok(fields) => fields,
        Err(refused) => return *refused,
    };
    let account_id = match console.account_id() {
        Ok(id) => id,
        Err(none) => return *none,
    };
    let input = AddMember {
        email: fields.get("email").cloned().unwrap_or_default(),
        role: fields.get("role").cloned().unwrap_or_default(),
    };
    let policy = PeoplePolicy::from_settings(&state.settings);
    match people::add_member(state.store.as_ref(), &policy, account_id, input).await {
        Ok(added) => {
            let action = AuditAction::new("member", "create");
            console
                .audit(&state, action, Some(added.user_id.to_string()))
                .await;
            let made = Made {
                invite: Some((added.email, added.invite_url)),
                token: None,
            };
            render(&state, &console, StatusCode::OK, made).await
        }
        Err(e) => refused(&console, &with_account(&console, PATH), e),
    }
}

/// `POST /console/settings/members/{id}` (`role`): change a member's role (owner); demoting the
/// last owner is refused with a message.
async fn change_member(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let fields = match console.form(&state, &headers, &body, Capability::ManagePeopleAndKeys) {
        Ok(fields) => fields,
        Err(refused) => return *refused,
    };
    let (account_id, id) = match (console.account_id(), path_id(&console, &id, "member")) {
        (Ok(account), Ok(id)) => (account, id),
        (Err(r), _) | (_, Err(r)) => return *r,
    };
    let input = UpdateMember {
        role: fields.get("role").cloned().unwrap_or_default(),
    };
    let changed = people::update_member(state.store.as_ref(), account_id, id, input).await;
    let changed = console
        .audited(&state, "member", "update", id, changed)
        .await;
    answer(&console, &with_account(&console, PATH), changed, |m| {
        format!("{} is now {}.", m.email, m.role.as_str())
    })
}

/// `POST /console/settings/members/{id}/remove`: take a person out of the account (owner); the
/// last owner stays, with a message.
async fn remove_member(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(refused) = console.form(&state, &headers, &body, Capability::ManagePeopleAndKeys) {
        return *refused;
    }
    let (account_id, id) = match (console.account_id(), path_id(&console, &id, "member")) {
        (Ok(account), Ok(id)) => (account, id),
        (Err(r), _) | (_, Err(r)) => return *r,
    };
    let removed = people::remove_member(state.store.as_ref(), account_id, id).await;
    let removed = console
        .audited(&state, "member", "delete", id, removed)
        .await;
    answer(&console, &with_account(&console, PATH), removed, |()| {
        "The person was removed from the account.".to_string()
    })
}

/// `POST /console/settings/tokens` (`name`, `scope`): a new API token, its secret shown once
/// (owner).
async fn create_token(
    State(state): State<AppState>,
    console: Console,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let fields = match console.form(&state, &headers, &body, Capability::ManagePeopleAndKeys) {
        Ok(fields) => fields,
        Err(refused) => return *refused,
    };
    let account_id = match console.account_id() {
        Ok(id) => id,
        Err(none) => return *none,
    };
    let input = CreateApiToken {
        name: fields.get("name").cloned().unwrap_or_default(),
        scope: fields.get("scope").cloned().unwrap_or_default(),
        expires_at: None,
    };
    match credentials::create_api_token(state.store.as_ref(), account_id, input).await {
        Ok(created) => {
            let action = AuditAction::new("api_token", "create");
            console
                .audit(&state, action, Some(created.id.to_string()))
                .await;
            let made = Made {
                invite: None,
                token: Some((created.name, created.token)),
            };
            render(&state, &console, StatusCode::OK, made).await
        }
        Err(e) => refused(&console, &with_account(&console, PATH), e),
    }
}

/// `POST /console/settings/tokens/{id}/revoke` (owner).
async fn revoke_token(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(refused) = console.form(&state, &headers, &body, Capability::ManagePeopleAndKeys) {
        return *refused;
    }
    let (account_id, id) = match (console.account_id(), path_id(&console, &id, "API token")) {
        (Ok(account), Ok(id)) => (account, id),
        (Err(r), _) | (_, Err(r)) => return *r,
    };
    let revoked = credentials::revoke_api_token(state.store.as_ref(), account_id, id).await;
    let revoked = console
        .audited(&state, "api_token", "revoke", id, revoked)
        .await;
    answer(&console, &with_account(&console, PATH), revoked, |()| {
        "The token was revoked.".to_string()
    })
}

/// `POST /console/settings/retention` (`submission_log_days`, `spam_retention_days`, `lead_days`;
/// an empty `lead_days` keeps leads forever): the §14 retention settings (owner).
async fn update_retention(
    State(state): State<AppState>,
    console: Console,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let fields = match console.form(&state, &headers, &body, Capability::ManageAccount) {
        Ok(fields) => fields,
        Err(refused) => return *refused,
    };
    let account_id = match console.account_id() {
        Ok(id) => id,
        Err(none) => return *none,
    };
    let to = with_account(&console, PATH);
    let mut patch = RetentionPatch::default();
    for name in ["submission_log_days", "spam_retention_days", "lead_days"] {
        let Some(raw) = fields.get(name).map(|v| v.trim()) else {
            continue;
        };
        let days = if raw.is_empty() {
            None
        } else {
            match raw.parse::<u32>() {
                Ok(days) => Some(days),
                Err(_) => {
                    let text = format!("{name}: must be a whole number of days");
                    return redirect_with(&to, FlashKind::Error, &text);
                }
            }
        };
        let slot = match name {
            "submission_log_days" => &mut patch.submission_log_days,
            "spam_retention_days" => &mut patch.spam_retention_days,
            _ => &mut patch.lead_days,
        };
        if days.is_some() || name == "lead_days" {
            *slot = Some(days);
        }
    }
    let changed = retention::update(state.store.as_ref(), account_id, patch).await;
    let changed = console
        .audited(&state, "retention", "update", account_id, changed)
        .await;
    answer(&console, &to, changed, |_| {
        "Retention settings saved.".to_string()
    })
}
