//! `/console/automations`: the account's webhooks (plain and the `acculynx` preset; the chat
//! presets arrive with the hearing branch) and action plans with their steps. Owners create
//! both, and "test send" a webhook: it is rendered for a sample lead or a real one, sent now, and
//! the page shows the request as sent (secrets masked) and the receiver's answer.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use minijinja::{Value, context};
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use uuid::Uuid;

use super::act::{all_values, answer, path_id, refused, with_account};
use super::frame::{Console, FlashKind, redirect_with};
use crate::actions::{ActionPlanRequest, StepRequest, WebhookRequest};
use crate::people::Capability;
use crate::service::audit::AuditAction;
use crate::service::automation::{self, WebhookView};
use crate::service::clients::{self, ClientQuery};
use crate::service::page::PageParams;
use crate::service::test_send::{TestSend, test_send};
use crate::state::AppState;
use crate::store::ActionPlan;

const PATH: &str = "/console/automations";

/// The newest leads a test send may be about.
const RECENT_LEADS: &str = "20";

/// The page's routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .route(PATH, get(automations))
        .route("/console/automations/webhooks", post(create_webhook))
        .route("/console/automations/webhooks/{id}/test", post(test))
        .route("/console/automations/plans", post(create_plan))
}

/// What the page shows besides the lists: a test send's result, a secret made just now.
#[derive(Default)]
struct Extra {
    test: Option<(Uuid, TestSend)>,
    new_secret: Option<String>,
}

/// The page, with `extra`.
async fn render(state: &AppState, console: &Console, status: StatusCode, extra: Extra) -> Response {
    let account_id = match console.account_id() {
        Ok(id) => id,
        Err(none) => return *none,
    };
    let store = state.store.as_ref();
    let all = PageParams::new(Some("500".into()), None);
    let webhooks = match automation::list_webhooks(store, account_id, &all).await {
        Ok(list) => list.webhooks,
        Err(e) => return console.failed(e),
    };
    let plans = match automation::list_action_plans(store, account_id, &all).await {
        Ok(list) => list.action_plans,
        Err(e) => return console.failed(e),
    };
    let can_manage = console.can(Capability::ManageAccount);
    let leads: Vec<Value> = if can_manage {
        let recent = ClientQuery {
            limit: Some(RECENT_LEADS.into()),
            ..Default::default()
        };
        match clients::list(store, account_id, &recent).await {
            Ok(list) => list
                .clients
                .into_iter()
                .map(|c| {
                    let name = [
                        c.fields.first_name(),
                        c.fields.last_name().unwrap_or_default(),
                    ]
                    .join(" ");
                    context! { id => c.id, name => name.trim() }
                })
                .collect(),
            Err(e) => return console.failed(e),
        }
    } else {
        Vec::new()
    };
    let names: HashMap<Uuid, String> = webhooks.iter().map(|w| (w.id, w.name.clone())).collect();
    let test = extra.test.map(|(id, sent)| {
        context! {
            webhook => names.get(&id).cloned().unwrap_or_default(),
            result => Value::from_serialize(&sent),
        }
    });
    console.render_status(
        status,
        "automations.html",
        context! {
            webhooks => webhooks.iter().map(shown_webhook).collect::<Vec<_>>(),
            plans => plans.iter().map(|p| shown_plan(p, &names)).collect::<Vec<_>>(),
            leads => leads,
            can_manage => can_manage,
            test => test,
            new_secret => extra.new_secret,
        },
    )
}

fn shown_webhook(w: &WebhookView) -> Value {
    context! {
        id => w.id,
        name => w.name,
        preset => w.preset,
        method => w.method,
        url => w.url,
        signed => w.secret.is_some(),
        body => w.body.as_ref().map(|b| serde_json::to_string_pretty(b).unwrap_or_default()),
    }
}

fn shown_plan(p: &ActionPlan, names: &HashMap<Uuid, String>) -> Value {
    let steps: Vec<Value> = p
        .steps
        .iter()
        .map(|s| {
            context! {
                webhook => names.get(&s.webhook_id).cloned().unwrap_or_default(),
                delay_seconds => s.delay_seconds,
            }
        })
        .collect();
    context! { id => p.id, name => p.name, steps => steps }
}

/// `GET /console/automations`
async fn automations(State(state): State<AppState>, console: Console) -> Response {
    render(&state, &console, StatusCode::OK, Extra::default()).await
}

/// `POST /console/automations/webhooks/{id}/test` (`client_id`, empty for the sample lead): send
/// the webhook now and show what happened (owner).
async fn test(
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
    let (account_id, id) = match (console.account_id(), path_id(&console, &id, "webhook")) {
        (Ok(account), Ok(id)) => (account, id),
        (Err(r), _) | (_, Err(r)) => return *r,
    };
    let client_id = match fields.get("client_id").filter(|c| !c.is_empty()) {
        None => None,
        Some(raw) => match Uuid::parse_str(raw) {
            Ok(id) => Some(id),
            Err(_) => return console.not_found("lead"),
        },
    };
    let sent = test_send(
        state.store.clone(),
        &state.settings.delivery,
        account_id,
        id,
        client_id,
    )
    .await;
    match sent {
        Ok(sent) => {
            let extra = Extra {
                test: Some((id, sent)),
                new_secret: None,
            };
            render(&state, &console, StatusCode::OK, extra).await
        }
        Err(e) => refused(&console, &with_account(&console, PATH), e),
    }
}

/// `POST /console/automations/webhooks` (`name`, `preset`, `url`, `method`, `body`, `sign`,
/// `api_key`): a new webhook (owner). A signing secret made for it is shown this once.
async fn create_webhook(
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
            .filter(|v| !v.is_empty())
    };
    let template = match text("body").map(|b| serde_json::from_str::<serde_json::Value>(&b)) {
        None => None,
        Some(Ok(value)) => Some(value),
        Some(Err(e)) => {
            return redirect_with(&to, FlashKind::Error, &format!("body: not JSON ({e})"));
        }
    };
    let input = WebhookRequest {
        name: text("name"),
        url: text("url"),
        method: text("method"),
        headers: None,
        body: template,
        secret: fields.contains_key("sign").then_some(json!(true)),
        preset: text("preset"),
        api_key: text("api_key"),
        message: text("message"),
    };
    match automation::create_webhook(state.store.as_ref(), account_id, input).await {
        Ok(view) => {
            let action = AuditAction::new("webhook", "create");
            console
                .audit(&state, action, Some(view.id.to_string()))
                .await;
            let extra = Extra {
                test: None,
                new_secret: view.new_secret().map(String::from),
            };
            render(&state, &console, StatusCode::OK, extra).await
        }
        Err(e) => refused(&console, &to, e),
    }
}

/// `POST /console/automations/plans` (`name`, then `webhook_id` / `delay_seconds` pairs in order):
/// a new action plan (owner).
async fn create_plan(
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
    let hooks = all_values(&body, "webhook_id");
    let delays = all_values(&body, "delay_seconds");
    let mut steps = Vec::new();
    for (at, hook) in hooks.iter().enumerate() {
        if hook.is_empty() {
            continue;
        }
        let Ok(webhook_id) = Uuid::parse_str(hook) else {
            return console.not_found("webhook");
        };
        let delay = delays.get(at).map(|d| d.trim()).unwrap_or_default();
        let delay_seconds = if delay.is_empty() {
            0
        } else {
            match delay.parse::<i64>() {
                Ok(n) => n,
                Err(_) => {
                    return redirect_with(
                        &to,
                        FlashKind::Error,
                        &format!("steps[{at}].delay_seconds: must be a whole number"),
                    );
                }
            }
        };
        steps.push(StepRequest {
            webhook_id,
            delay_seconds,
        });
    }
    let input = ActionPlanRequest {
        name: fields.get("name").cloned(),
        steps,
    };
    let created = automation::create_action_plan(state.store.as_ref(), account_id, input).await;
    if let Ok(plan) = &created {
        let action = AuditAction::new("action_plan", "create");
        console
            .audit(&state, action, Some(plan.id.to_string()))
            .await;
    }
    answer(&console, &to, created, |plan| {
        format!("Action plan \"{}\" created.", plan.name)
    })
}
