//! The audit log: recording a successful write (one helper every edge calls — the admin API's
//! audit layer, the CLI's write commands, the console's form posts) and reading an account's
//! entries with filters and keyset paging. Recording never fails the write it records: a store
//! error is logged.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::ServiceError;
use super::input::{Problems, parse_moment, present};
use super::page::{PageParams, fetch};
use crate::fields::FieldProblem;
use crate::people::{Actor, Caller};
use crate::store::{ActorKind, AuditActor, AuditEntry, AuditFilter, NewAuditEntry, Store};

/// What a write did: the object's type and the verb, making the action `<object_type>.<verb>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditAction {
    pub object_type: &'static str,
    pub verb: &'static str,
}

impl AuditAction {
    /// `object_type.verb`.
    pub const fn new(object_type: &'static str, verb: &'static str) -> Self {
        AuditAction { object_type, verb }
    }

    /// `<object_type>.<verb>`.
    pub fn name(&self) -> String {
        format!("{}.{}", self.object_type, self.verb)
    }
}

/// The audit log's view of an actor.
pub fn actor_of(actor: &Actor) -> AuditActor {
    let kind = match actor {
        Actor::Operator => ActorKind::Operator,
        Actor::User { .. } => ActorKind::User,
        Actor::Token { .. } => ActorKind::Token,
        Actor::Cli => ActorKind::Cli,
    };
    AuditActor {
        kind,
        id: actor.id(),
    }
}

/// Record a successful write by `caller` in the account (if any) on the object (if any).
pub async fn record(
    store: &dyn Store,
    caller: &Caller,
    account_id: Option<Uuid>,
    action: AuditAction,
    object_id: Option<String>,
) {
    let entry = NewAuditEntry {
        account_id,
        actor: actor_of(&caller.actor),
        object_type: action.object_type.to_string(),
        verb: action.verb.to_string(),
        object_id,
        ip: caller.ip,
    };
    if let Err(e) = store.record_audit(&entry).await {
        tracing::error!(error = %e, action = %action.name(), "audit entry not recorded");
    }
}

/// Filters and page of `GET /admin/v1/accounts/{id}/audit`, as given.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// An action such as `lead_source.create`.
    #[param(schema_with = super::input::text_schema)]
    pub action: Option<String>,
    /// `operator`, `user`, `token` or `cli`.
    #[param(schema_with = actor_kind_schema)]
    pub actor_kind: Option<String>,
    /// Entries at or after this time (RFC 3339 or a date).
    #[param(schema_with = super::input::moment_schema)]
    pub since: Option<String>,
    /// Entries at or before this time (RFC 3339 or a date).
    #[param(schema_with = super::input::moment_schema)]
    pub until: Option<String>,
    /// Page size, 1 to 500 (default 50 when absent or empty).
    #[param(schema_with = super::page::limit_schema)]
    pub limit: Option<String>,
    /// The `next` cursor of the previous page; empty for the first page.
    #[param(schema_with = super::page::cursor_schema)]
    pub after: Option<String>,
}

fn actor_kind_schema() -> utoipa::openapi::Object {
    super::page::choice_or_empty_schema(&["operator", "user", "token", "cli"])
}

/// A page of audit entries, newest first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuditList {
    pub entries: Vec<AuditEntry>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

impl AuditQuery {
    fn parse(&self) -> Result<(AuditFilter, crate::store::Page), ServiceError> {
        let mut problems = Problems::default();
        let actor_kind = present(&self.actor_kind).and_then(|name| {
            problems.check(ActorKind::from_name(name).ok_or_else(|| {
                FieldProblem::new("actor_kind", "must be operator, user, token or cli")
            }))
        });
        let mut moment =
            |field: &str, value: &Option<String>| {
                present(value).and_then(|text| {
                    problems.check(parse_moment(text).ok_or_else(|| {
                        FieldProblem::new(field, "must be an RFC 3339 time or a date")
                    }))
                })
            };
        let since = moment("since", &self.since);
        let until = moment("until", &self.until);
        let page = PageParams::new(self.limit.clone(), self.after.clone()).page_into(&mut problems);
        problems.finish()?;
        let filter = AuditFilter {
            action: present(&self.action).map(str::to_string),
            actor_kind,
            since,
            until,
        };
        Ok((filter, page))
    }
}

/// The account's audit entries, newest first.
pub async fn list(
    store: &dyn Store,
    account_id: Uuid,
    query: &AuditQuery,
) -> Result<AuditList, ServiceError> {
    let (filter, page) = query.parse()?;
    super::accounts::get(store, account_id).await?;
    let (entries, next) =
        fetch(page, |p| store.list_audit(account_id, &filter, p), |e| e.id).await?;
    Ok(AuditList { entries, next })
}
