//! `/console/sources`: the account's lead sources with their web_key (copy), action plan and (when
//! inbound URL and address (copy; a link to its email parsers); owners create one, rotate a key with a grace
//! period and rotate the inbound address. Below, the embed-code builder: choose the source, your own success and error pages and
//! the inputs, see the form live (an iframe of `/console/sources/preview`) and copy the snippet.
//! The snippet is the page at `/`'s embed template ([`crate::pages::render_embed`]), so it
//! carries the same honeypot, `_lp_t`, `type=tel`, `autocomplete`, `required` and `target="_top"`.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use minijinja::context;
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use uuid::Uuid;

use super::act::{all_values, answer, path_id, query_value, with_account};
use super::frame::Console;
use crate::actions::autoreply::AutoresponderRequest;
use crate::pages::{EMBED_FIELDS, EmbedOptions, base_url, render_embed};
use crate::people::Capability;
use crate::service::accounts::RotateKey;
use crate::service::audit::AuditAction;
use crate::service::automation::list_action_plans;
use crate::service::inbound::{self as inbound_service, with_addresses};
use crate::service::lead_sources::{self, CreateLeadSource};
use crate::service::page::PageParams;
use crate::service::spam::{self, UpdateSourceOrigins};
use crate::state::AppState;
use crate::store::LeadSource;

const PATH: &str = "/console/sources";

/// The grace periods offered when a key is rotated (seconds, label).
const GRACE_CHOICES: &[(i64, &str)] = &[
    (0, "none: the old key stops now"),
    (3_600, "1 hour"),
    (86_400, "1 day"),
    (604_800, "7 days"),
];

/// The page's routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .route(PATH, get(sources).post(create))
        .route("/console/sources/{id}/rotate", post(rotate))
        .route("/console/sources/{id}/autoresponder", post(autoresponder))
        .route("/console/sources/{id}/rotate-inbound", post(rotate_inbound))
        .route("/console/sources/preview", get(preview))
        .route("/console/sources/snippet", get(snippet))
}

/// What the builder was asked for, checked.
struct Built {
    source: Option<LeadSource>,
    options: Option<EmbedOptions>,
    fields: Vec<&'static str>,
    success_url: String,
    error_url: String,
    problems: Vec<String>,
}

/// `http://` or `https://` with a host, else a problem naming the field.
fn landing(raw: Option<String>, label: &str, problems: &mut Vec<String>) -> Option<String> {
    let raw = raw?;
    match url::Url::parse(&raw) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => Some(raw),
        _ => {
            problems.push(format!("{label} must be an http:// or https:// address."));
            None
        }
    }
}

/// The builder's choices from the query string (first source and the home page's inputs by
/// default).
fn build(query: Option<&str>, sources: &[LeadSource], base: &str) -> Built {
    let mut problems = Vec::new();
    let chosen = query_value(query, "source").and_then(|raw| Uuid::parse_str(&raw).ok());
    let source = match chosen {
        Some(id) => sources.iter().find(|s| s.id == id),
        None => sources.first(),
    }
    .cloned();
    let asked = all_values(query.unwrap_or_default().as_bytes(), "field");
    let fields: Vec<&'static str> = if query_value(query, "built").is_some() {
        EMBED_FIELDS
            .iter()
            .map(|(name, _)| *name)
            .filter(|name| asked.iter().any(|a| a == name))
            .collect()
    } else {
        EmbedOptions::home(base, "").fields
    };
    let success = query_value(query, "success_url");
    let error = query_value(query, "error_url");
    let success_url = landing(success.clone(), "The success page", &mut problems);
    let error_url = landing(error.clone(), "The error page", &mut problems);
    let options = source.as_ref().map(|s| EmbedOptions {
        base: base.to_string(),
        web_key: s.web_key.clone(),
        fields: fields.clone(),
        success_url,
        error_url,
    });
    Built {
        source,
        options,
        fields,
        success_url: success.unwrap_or_default(),
        error_url: error.unwrap_or_default(),
        problems,
    }
}

/// A lead source as the list shows it.
#[derive(Serialize)]
struct ShownSource {
    id: Uuid,
    name: String,
    web_key: String,
    plan: Option<String>,
    autoresponder: Option<crate::actions::autoreply::Autoresponder>,
    inbound_url: String,
    inbound_address: Option<String>,
}

/// The account's lead sources and the names of its plans (id → name).
async fn sources_and_plans(
    state: &AppState,
    account_id: Uuid,
) -> Result<(Vec<LeadSource>, HashMap<Uuid, String>), crate::service::ServiceError> {
    let all = PageParams::new(Some("500".into()), None);
    let store = state.store.as_ref();
    let sources = lead_sources::list(store, account_id, &all)
        .await?
        .lead_sources;
    let plans = list_action_plans(store, account_id, &all)
        .await?
        .action_plans
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect();
    Ok((sources, plans))
}

/// `GET /console/sources[?source=&built=1&field=…&success_url=&error_url=]`
async fn sources(
    State(state): State<AppState>,
    console: Console,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let account_id = match console.account_id() {
        Ok(id) => id,
        Err(none) => return *none,
    };
    let (sources, plans) = match sources_and_plans(&state, account_id).await {
        Ok(found) => found,
        Err(e) => return console.failed(e),
    };
    let base = base_url(&state.settings, &headers);
    let built = build(query.as_deref(), &sources, &base);
    let code = match built.options.as_ref().map(render_embed).transpose() {
        Ok(code) => code,
        Err(e) => return console.failed(e),
    };
    let preview = query.as_deref().filter(|q| !q.is_empty()).map_or_else(
        || match &built.source {
            Some(s) => format!("/console/sources/preview?source={}", s.id),
            None => String::new(),
        },
        |q| format!("/console/sources/preview?{q}"),
    );
    let shown: Vec<ShownSource> = sources
        .iter()
        .map(|s| {
            let addressed =
                with_addresses(s.clone(), &state.settings.server, &state.settings.inbound);
            ShownSource {
                id: s.id,
                name: s.name.clone(),
                web_key: s.web_key.clone(),
                plan: s.action_plan_id.and_then(|p| plans.get(&p).cloned()),
                inbound_url: addressed.inbound_url,
                inbound_address: addressed.inbound_address,
                autoresponder: s.autoresponder.clone(),
            }
        })
        .collect();
    let mut plan_list: Vec<(&Uuid, &String)> = plans.iter().collect();
    plan_list.sort_by(|a, b| a.1.cmp(b.1));
    let plan_choices: Vec<_> = plan_list
        .into_iter()
        .map(|(id, name)| context! { id => id, name => name })
        .collect();
    let field_choices: Vec<_> = EMBED_FIELDS
        .iter()
        .map(|(name, label)| {
            context! { name => name, label => label, checked => built.fields.contains(name) }
        })
        .collect();
    let mut response = console.render(
        "sources.html",
        context! {
            sources => shown,
            plans => plan_choices,
            grace_choices => GRACE_CHOICES.iter().map(|(s, l)| context! { seconds => s, label => l }).collect::<Vec<_>>(),
            can_manage => console.can(Capability::ManageAccount),
            builder => context! {
                source_id => built.source.as_ref().map(|s| s.id),
                fields => field_choices,
                success_url => built.success_url,
                error_url => built.error_url,
                problems => built.problems,
                code => code.map(|c| c.trim_end().to_string()),
                preview => preview,
            },
        },
    );
    allow_self_frames(response.headers_mut());
    response
}

/// The console's policy, letting this page frame the preview (this service only).
fn allow_self_frames(headers: &mut HeaderMap) {
    let current = headers
        .get(header::CONTENT_SECURITY_POLICY)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    if let Ok(value) = HeaderValue::from_str(&format!("{current}; frame-src 'self'")) {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
}

/// The built snippet for the query, or the page saying why there is none.
async fn built_snippet(
    state: &AppState,
    console: &Console,
    headers: &HeaderMap,
    query: Option<&str>,
) -> Result<String, Box<Response>> {
    let account_id = console.account_id()?;
    let (sources, _) = sources_and_plans(state, account_id)
        .await
        .map_err(|e| Box::new(console.failed(e)))?;
    let base = base_url(&state.settings, headers);
    let built = build(query, &sources, &base);
    let options = built
        .options
        .ok_or_else(|| Box::new(console.not_found("lead source")))?;
    render_embed(&options).map_err(|e| Box::new(console.failed(e)))
}

/// `GET /console/sources/preview?…`: the snippet alone on a page, as a site would show it (framed
/// by the builder; its own script may run, and it may post to this service).
async fn preview(
    State(state): State<AppState>,
    console: Console,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let code = match built_snippet(&state, &console, &headers, query.as_deref()).await {
        Ok(code) => code,
        Err(page) => return *page,
    };
    let mut response = super::page(
        StatusCode::OK,
        "embed_preview.html",
        context! { snippet => minijinja::Value::from_safe_string(code) },
    );
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; \
             connect-src 'self'; form-action *; img-src data:; base-uri 'none'; \
             frame-ancestors 'self'",
        ),
    );
    response
}

/// `GET /console/sources/snippet?…`: the snippet as text (the builder's script fills the copy box).
async fn snippet(
    State(state): State<AppState>,
    console: Console,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    match built_snippet(&state, &console, &headers, query.as_deref()).await {
        Ok(code) => (
            [
                (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            code.trim_end().to_string(),
        )
            .into_response(),
        Err(page) => *page,
    }
}

/// `POST /console/sources` (`name`, `action_plan_id`): a new lead source (owner).
async fn create(
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
    let plan = fields
        .get("action_plan_id")
        .filter(|p| !p.is_empty())
        .map(|p| Uuid::parse_str(p));
    let action_plan_id = match plan {
        None => None,
        Some(Ok(id)) => Some(id),
        Some(Err(_)) => return console.not_found("action plan"),
    };
    let input = CreateLeadSource {
        name: fields.get("name").cloned().unwrap_or_default(),
        action_plan_id,
        web_key: None,
    };
    let created = lead_sources::create(state.store.as_ref(), account_id, input).await;
    if let Ok(source) = &created {
        let action = AuditAction::new("lead_source", "create");
        console
            .audit(&state, action, Some(source.id.to_string()))
            .await;
    }
    answer(&console, &with_account(&console, PATH), created, |s| {
        format!("Lead source \"{}\" created.", s.name)
    })
}

/// `POST /console/sources/{id}/rotate` (`grace_seconds`): a new web_key (owner).
async fn rotate(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let fields = match console.form(&state, &headers, &body, Capability::ManageAccount) {
        Ok(fields) => fields,
        Err(refused) => return *refused,
    };
    let (account_id, id) = match (console.account_id(), path_id(&console, &id, "lead source")) {
        (Ok(account), Ok(id)) => (account, id),
        (Err(r), _) | (_, Err(r)) => return *r,
    };
    let grace = fields
        .get("grace_seconds")
        .and_then(|g| g.trim().parse::<i64>().ok());
    let rotated = lead_sources::rotate_key(
        state.store.as_ref(),
        account_id,
        id,
        &RotateKey {
            grace_seconds: grace,
        },
    )
    .await;
    let rotated = console
        .audited(&state, "lead_source", "rotate_key", id, rotated)
        .await;
    answer(
        &console,
        &with_account(&console, PATH),
        rotated,
        |r| match r.previous_expires_at {
            Some(until) => format!(
                "New key {}; the old one works until {}.",
                r.web_key,
                super::act::moment(until)
            ),
            None => format!("New key {}; the old one stopped working.", r.web_key),
        },
    )
}

/// `POST /console/sources/{id}/autoresponder` (`subject`, `body`, or `off`): set or turn off the
/// lead source's autoresponder (owner), through the same service as the admin API's PATCH.
async fn autoresponder(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let fields = match console.form(&state, &headers, &body, Capability::ManageAccount) {
        Ok(fields) => fields,
        Err(refused) => return *refused,
    };
    let (account_id, id) = match (console.account_id(), path_id(&console, &id, "lead source")) {
        (Ok(account), Ok(id)) => (account, id),
        (Err(r), _) | (_, Err(r)) => return *r,
    };
    let wanted = (!fields.contains_key("off")).then(|| AutoresponderRequest {
        subject: fields.get("subject").cloned(),
        body: fields.get("body").cloned(),
    });
    let input = UpdateSourceOrigins {
        autoresponder: Some(wanted),
        ..UpdateSourceOrigins::default()
    };
    let changed = spam::update_source_origins(state.store.as_ref(), account_id, id, input).await;
    let changed = console
        .audited(&state, "lead_source", "update", id, changed)
        .await;
    answer(
        &console,
        &with_account(&console, PATH),
        changed,
        |s| match s.autoresponder {
            Some(_) => format!("Autoresponder of \"{}\" saved.", s.name),
            None => format!("Autoresponder of \"{}\" turned off.", s.name),
        },
    )
}

/// `POST /console/sources/{id}/rotate-inbound`: a new inbound token; the old address stops at once
/// (owner).
async fn rotate_inbound(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(refused) = console.form(&state, &headers, &body, Capability::ManageAccount) {
        return *refused;
    }
    let (account_id, id) = match (console.account_id(), path_id(&console, &id, "lead source")) {
        (Ok(account), Ok(id)) => (account, id),
        (Err(r), _) | (_, Err(r)) => return *r,
    };
    let rotated = inbound_service::rotate_token(state.store.as_ref(), account_id, id).await;
    let rotated = console
        .audited(&state, "lead_source", "rotate_inbound_token", id, rotated)
        .await;
    answer(&console, &with_account(&console, PATH), rotated, |s| {
        let s = with_addresses(s, &state.settings.server, &state.settings.inbound);
        format!(
            "New inbound address for \"{}\": {}; the old one stopped working.",
            s.name,
            s.inbound_address.unwrap_or(s.inbound_url)
        )
    })
}
