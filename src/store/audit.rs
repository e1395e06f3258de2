//! The audit log: one row per successful write through the admin API, the CLI or the console —
//! who, what, which object, when and from where. Never a secret: only kinds, ids and the route's
//! action name are kept. An account's rows go only with the account (`ON DELETE CASCADE`).

use std::net::IpAddr;

use time::OffsetDateTime;
use uuid::Uuid;

use super::sql::{Backend, Bind, SqlStore, execute, sql};
use super::types::{DbId, DbTime};
use super::{Page, StoreError};

/// Who made a change, as the audit log spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    /// The admin token.
    Operator,
    /// A signed-in user (operators too).
    User,
    /// An account API token.
    Token,
    /// The command line.
    Cli,
}

impl ActorKind {
    /// Its name in the log.
    pub fn as_str(self) -> &'static str {
        match self {
            ActorKind::Operator => "operator",
            ActorKind::User => "user",
            ActorKind::Token => "token",
            ActorKind::Cli => "cli",
        }
    }

    /// The kind of this name.
    pub fn from_name(name: &str) -> Option<Self> {
        [
            ActorKind::Operator,
            ActorKind::User,
            ActorKind::Token,
            ActorKind::Cli,
        ]
        .into_iter()
        .find(|k| k.as_str() == name)
    }
}

/// Who made a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct AuditActor {
    pub kind: ActorKind,
    /// The user's or token's id; `null` for the admin token and the CLI.
    pub id: Option<Uuid>,
}

/// One audit entry.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    pub id: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub actor: AuditActor,
    /// `<object_type>.<verb>`, e.g. `lead_source.create`.
    pub action: String,
    pub object_type: String,
    pub object_id: Option<String>,
    /// Where the request came from; `null` for the CLI.
    pub ip: Option<String>,
    #[serde(skip)]
    pub account_id: Option<Uuid>,
}

/// A change to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuditEntry {
    pub account_id: Option<Uuid>,
    pub actor: AuditActor,
    pub object_type: String,
    pub verb: String,
    pub object_id: Option<String>,
    pub ip: Option<IpAddr>,
}

/// Which entries to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub action: Option<String>,
    pub actor_kind: Option<ActorKind>,
    pub since: Option<OffsetDateTime>,
    pub until: Option<OffsetDateTime>,
}

#[derive(sqlx::FromRow)]
struct AuditRow {
    id: DbId,
    account_id: Option<DbId>,
    at: DbTime,
    actor_kind: String,
    actor_id: Option<DbId>,
    action: String,
    object_type: String,
    object_id: Option<String>,
    ip: Option<String>,
}

impl From<AuditRow> for AuditEntry {
    fn from(r: AuditRow) -> Self {
        AuditEntry {
            id: r.id.0,
            at: r.at.0,
            actor: AuditActor {
                kind: ActorKind::from_name(&r.actor_kind).unwrap_or(ActorKind::Operator),
                id: r.actor_id.map(|i| i.0),
            },
            action: r.action,
            object_type: r.object_type,
            object_id: r.object_id,
            ip: r.ip,
            account_id: r.account_id.map(|i| i.0),
        }
    }
}

/// The audit log.
#[async_trait::async_trait]
pub trait AuditStore: Send + Sync {
    /// Record one change.
    async fn record_audit(&self, entry: &NewAuditEntry) -> Result<AuditEntry, StoreError>;
    /// The account's entries, newest first.
    async fn list_audit(
        &self,
        account_id: Uuid,
        filter: &AuditFilter,
        page: Page,
    ) -> Result<Vec<AuditEntry>, StoreError>;
}

#[async_trait::async_trait]
impl<DB: Backend> AuditStore for SqlStore<DB> {
    async fn record_audit(&self, entry: &NewAuditEntry) -> Result<AuditEntry, StoreError> {
        let id = super::new_id();
        let at = DbTime::now();
        let action = format!("{}.{}", entry.object_type, entry.verb);
        let ip = entry.ip.map(|ip| ip.to_string());
        let query = sql(
            "INSERT INTO audit_log (id, account_id, at, actor_kind, actor_id, action, \
             object_type, object_id, ip) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .param(DbId(id))
        .param(entry.account_id.map(DbId))
        .param(at)
        .param(entry.actor.kind.as_str())
        .param(entry.actor.id.map(DbId))
        .param(action.clone())
        .param(entry.object_type.clone())
        .param(entry.object_id.clone())
        .param(ip.clone());
        let mut tx = self.begin_write().await?;
        execute(query, DB::on_conn(&mut tx)).await?;
        tx.commit().await?;
        Ok(AuditEntry {
            id,
            at: at.0,
            actor: entry.actor,
            action,
            object_type: entry.object_type.clone(),
            object_id: entry.object_id.clone(),
            ip,
            account_id: entry.account_id,
        })
    }

    async fn list_audit(
        &self,
        account_id: Uuid,
        filter: &AuditFilter,
        page: Page,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let query = sql("SELECT * FROM audit_log WHERE account_id = $1 AND id < $2 \
             AND ($3 IS NULL OR action = $3) AND ($4 IS NULL OR actor_kind = $4) \
             AND ($5 IS NULL OR at >= $5) AND ($6 IS NULL OR at <= $6) \
             ORDER BY id DESC LIMIT $7")
        .param(DbId(account_id))
        .param(DbId(page.upper_bound()))
        .param(filter.action.clone())
        .param(filter.actor_kind.map(ActorKind::as_str))
        .param(filter.since.map(DbTime::from))
        .param(filter.until.map(DbTime::from))
        .param(page.limit);
        let rows: Vec<AuditRow> = self.read_all(query).await?;
        Ok(rows.into_iter().map(AuditEntry::from).collect())
    }
}
