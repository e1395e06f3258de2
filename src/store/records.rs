//! One `sqlx::FromRow` record per row shape the shared SQL reads, and how each
//! becomes the record the rest of the service sees.

use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::types::Json;
use sqlx::{ColumnIndex, Decode, FromRow, Row, Type};
use time::Date;

use super::types::{DbId, DbTime};
use super::{
    Account, ActionPlan, Autoresponder, Client, Job, JobAttempt, JobKind, JobState, KeyOwner,
    LeadRules, LeadSource, LeadSourceRef, Note, Notification, Outcome, PlanStep, Submission,
    Webhook,
};
use crate::clients::catalog::{self, SqlType};
use crate::clients::{ClientValues, FieldValue};

/// A row with just an id.
#[derive(sqlx::FromRow)]
pub(super) struct IdRow {
    pub id: DbId,
}

/// A row with just a name (or key, or other text).
#[derive(sqlx::FromRow)]
pub(super) struct TextRow {
    pub text: String,
}

/// A row with just a job kind.
#[derive(sqlx::FromRow)]
pub(super) struct KindRow {
    pub kind: JobKind,
}

/// An account with its current key as `web_key`.
#[derive(sqlx::FromRow)]
pub(super) struct AccountRow {
    id: DbId,
    name: String,
    owner_email: Option<String>,
    owner_phone: Option<String>,
    default_action_plan_id: Option<DbId>,
    created_at: DbTime,
    web_key: Option<String>,
    display_name: Option<String>,
    website_url: Option<String>,
    lenient_phones: i16,
    new_lead_notification_default: i16,
    hosted_pages: i16,
}

impl From<AccountRow> for Account {
    fn from(r: AccountRow) -> Self {
        Account {
            id: r.id.0,
            name: r.name,
            web_key: r.web_key.unwrap_or_default(),
            owner_email: r.owner_email,
            owner_phone: r.owner_phone,
            default_action_plan_id: r.default_action_plan_id.map(|d| d.0),
            created_at: r.created_at.0,
            display_name: r.display_name,
            website_url: r.website_url,
            lenient_phones: r.lenient_phones != 0,
            new_lead_notification_default: r.new_lead_notification_default.into(),
            hosted_pages: r.hosted_pages != 0,
        }
    }
}

/// A lead source with its current key as `web_key`.
#[derive(sqlx::FromRow)]
pub(super) struct LeadSourceRow {
    id: DbId,
    account_id: DbId,
    name: String,
    action_plan_id: Option<DbId>,
    created_at: DbTime,
    web_key: Option<String>,
    allowed_origins: Option<String>,
    require_origin: Option<i16>,
    inbound_token: Option<String>,
    autoresponder: Option<String>,
}

impl From<LeadSourceRow> for LeadSource {
    fn from(r: LeadSourceRow) -> Self {
        LeadSource {
            id: r.id.0,
            account_id: r.account_id.0,
            name: r.name,
            web_key: r.web_key.unwrap_or_default(),
            action_plan_id: r.action_plan_id.map(|d| d.0),
            created_at: r.created_at.0,
            allowed_origins: r.allowed_origins.as_deref().map(from_json_text),
            require_origin: r.require_origin.map(|v| v != 0),
            inbound_url: super::model::inbound_path(r.inbound_token.as_deref().unwrap_or_default()),
            inbound_address: None,
            inbound_token: r.inbound_token.unwrap_or_default(),
            autoresponder: r.autoresponder.as_deref().and_then(autoresponder_from_text),
        }
    }
}

/// A stored autoresponder; one that does not read back (it never should) counts as off.
fn autoresponder_from_text(text: &str) -> Option<Autoresponder> {
    serde_json::from_str(text)
        .map_err(|e| tracing::error!(error = %e, "a stored autoresponder does not read back"))
        .ok()
}

/// A value kept as JSON text; text that does not read back (it never should) counts as the default.
pub(super) fn from_json_text<T: serde::de::DeserializeOwned + Default>(text: &str) -> T {
    serde_json::from_str(text).unwrap_or_else(|e| {
        tracing::error!(error = %e, "a stored JSON value does not read back; using the default");
        T::default()
    })
}

/// A value to keep as JSON text.
pub(super) fn to_json_text<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// A `webhooks` row.
#[derive(sqlx::FromRow)]
pub(super) struct WebhookRow {
    id: DbId,
    account_id: DbId,
    name: String,
    preset: Option<String>,
    url: String,
    method: String,
    headers: Json<serde_json::Value>,
    body: Option<Json<serde_json::Value>>,
    secret: Option<String>,
    created_at: DbTime,
}

impl From<WebhookRow> for Webhook {
    fn from(r: WebhookRow) -> Self {
        Webhook {
            id: r.id.0,
            account_id: r.account_id.0,
            name: r.name,
            preset: r.preset,
            url: r.url,
            method: r.method,
            headers: r.headers.0,
            body: r.body.map(|b| b.0),
            secret: r.secret,
            created_at: r.created_at.0,
        }
    }
}

/// An `action_plans` row (its steps are read separately).
#[derive(sqlx::FromRow)]
pub(super) struct ActionPlanRow {
    id: DbId,
    account_id: DbId,
    name: String,
    created_at: DbTime,
}

impl From<ActionPlanRow> for ActionPlan {
    fn from(r: ActionPlanRow) -> Self {
        ActionPlan {
            id: r.id.0,
            account_id: r.account_id.0,
            name: r.name,
            steps: Vec::new(),
            created_at: r.created_at.0,
        }
    }
}

/// An `action_plan_steps` row.
#[derive(sqlx::FromRow)]
pub(super) struct PlanStepRow {
    pub action_plan_id: DbId,
    webhook_id: DbId,
    delay_seconds: i64,
}

impl From<&PlanStepRow> for PlanStep {
    fn from(r: &PlanStepRow) -> Self {
        PlanStep {
            webhook_id: r.webhook_id.0,
            delay_seconds: r.delay_seconds,
        }
    }
}

/// A web_key joined with its account and lead source.
#[derive(sqlx::FromRow)]
pub(super) struct KeyOwnerRow {
    account_id: DbId,
    account_name: String,
    owner_email: Option<String>,
    owner_phone: Option<String>,
    default_action_plan_id: Option<DbId>,
    hosted_pages: i16,
    lead_source_id: Option<DbId>,
    source_name: Option<String>,
    source_plan_id: Option<DbId>,
    spam_settings: Option<String>,
    source_allowed_origins: Option<String>,
    source_require_origin: Option<i16>,
    lenient_phones: i16,
    new_lead_notification_default: i16,
    source_autoresponder: Option<String>,
    /// When the key stops working (a rotated-out key), if ever; absent when the
    /// owner is read without a key.
    #[sqlx(default)]
    pub(super) key_expires_at: Option<DbTime>,
}

impl From<KeyOwnerRow> for KeyOwner {
    fn from(r: KeyOwnerRow) -> Self {
        let lead_source = r.lead_source_id.map(|id| LeadSourceRef {
            id: id.0,
            name: r.source_name.unwrap_or_default(),
        });
        // A lead source runs its own plan only; the account key runs the default.
        let plan = match lead_source {
            Some(_) => r.source_plan_id,
            None => r.default_action_plan_id,
        };
        KeyOwner {
            account_id: r.account_id.0,
            account_name: r.account_name,
            owner_email: r.owner_email,
            owner_phone: r.owner_phone,
            lead_source,
            action_plan_id: plan.map(|d| d.0),
            hosted_pages: r.hosted_pages != 0,
            spam: r
                .spam_settings
                .as_deref()
                .map(from_json_text)
                .unwrap_or_default(),
            source_allowed_origins: r.source_allowed_origins.as_deref().map(from_json_text),
            source_require_origin: r.source_require_origin.map(|v| v != 0),
            lead_rules: LeadRules::new(
                r.lenient_phones != 0,
                r.new_lead_notification_default.into(),
            ),
            autoresponder: r
                .source_autoresponder
                .as_deref()
                .and_then(autoresponder_from_text),
        }
    }
}

/// What `leadpost_accept_lead` made of a lead (PostgreSQL's one-statement lead).
#[derive(sqlx::FromRow)]
pub(super) struct AcceptedRow {
    pub lead_outcome: String,
    pub lead_client: DbId,
    pub first_submission: Option<DbId>,
}

/// One lead of a group written by `leadpost_accept_leads`: its place in the
/// group, and its [`AcceptedRow`] or the error that rolled it back.
#[derive(sqlx::FromRow)]
pub(super) struct LeadGroupRow {
    pub lead_index: i32,
    pub lead_outcome: Option<String>,
    pub lead_client: Option<DbId>,
    pub first_submission: Option<DbId>,
    pub error_state: Option<String>,
    pub error_message: Option<String>,
}

impl LeadGroupRow {
    /// The lead's outcome, when it was written.
    pub fn accepted(&self) -> Option<AcceptedRow> {
        Some(AcceptedRow {
            lead_outcome: self.lead_outcome.clone()?,
            lead_client: self.lead_client?,
            first_submission: self.first_submission,
        })
    }
}

/// A `clients` row: the fixed columns, then one per stored catalog field. Its
/// columns come from the catalog, so it reads them by name (below) instead of
/// deriving `FromRow`.
pub(super) struct ClientRow {
    id: DbId,
    account_id: DbId,
    lead_source_id: Option<DbId>,
    fields: ClientValues,
    created_at: DbTime,
}

/// A value type both backends decode.
trait Column<R: Row>: for<'r> Decode<'r, R::Database> + Type<R::Database> {}

impl<R: Row, T> Column<R> for T where T: for<'r> Decode<'r, R::Database> + Type<R::Database> {}

/// Read a `clients` row on either backend: each stored catalog field by its
/// column's SQL type, a null read as the field's default.
fn read_client<R>(row: &R) -> Result<ClientRow, sqlx::Error>
where
    R: Row,
    for<'a> &'a str: ColumnIndex<R>,
    DbId: Column<R>,
    DbTime: Column<R>,
    String: Column<R>,
    i64: Column<R>,
    i16: Column<R>,
    Date: Column<R>,
{
    let mut fields = ClientValues::default();
    for (index, field, column) in catalog::stored() {
        let value = match field.kind.sql_type() {
            SqlType::Text => row
                .try_get::<Option<String>, _>(column)?
                .map(FieldValue::Text),
            SqlType::BigInt => row.try_get::<Option<i64>, _>(column)?.map(FieldValue::Int),
            SqlType::SmallInt => row
                .try_get::<Option<i16>, _>(column)?
                .map(|n| FieldValue::Int(n.into())),
            SqlType::Date => row
                .try_get::<Option<Date>, _>(column)?
                .map(FieldValue::Date),
        };
        fields.set(index, value.or(field.default.map(FieldValue::Int)));
    }
    Ok(ClientRow {
        id: row.try_get("id")?,
        account_id: row.try_get("account_id")?,
        lead_source_id: row.try_get("lead_source_id")?,
        fields,
        created_at: row.try_get("created_at")?,
    })
}

impl FromRow<'_, PgRow> for ClientRow {
    fn from_row(row: &PgRow) -> Result<Self, sqlx::Error> {
        read_client(row)
    }
}

impl FromRow<'_, SqliteRow> for ClientRow {
    fn from_row(row: &SqliteRow) -> Result<Self, sqlx::Error> {
        read_client(row)
    }
}

impl From<ClientRow> for Client {
    fn from(r: ClientRow) -> Self {
        Client {
            id: r.id.0,
            account_id: r.account_id.0,
            lead_source_id: r.lead_source_id.map(|d| d.0),
            fields: r.fields,
            tags: Vec::new(),
            custom_fields: Default::default(),
            notes: Vec::new(),
            created_at: r.created_at.0,
        }
    }
}

/// A tag of a client, in order.
#[derive(sqlx::FromRow)]
pub(super) struct TagRow {
    pub client_id: DbId,
    pub name: String,
}

/// A custom field value of a client.
#[derive(sqlx::FromRow)]
pub(super) struct CustomValueRow {
    pub client_id: DbId,
    pub name: String,
    pub value: String,
}

/// A note of a client.
#[derive(sqlx::FromRow)]
pub(super) struct NoteRow {
    pub client_id: DbId,
    body: String,
    created_at: DbTime,
}

impl From<NoteRow> for Note {
    fn from(r: NoteRow) -> Self {
        Note {
            body: r.body,
            created_at: r.created_at.0,
        }
    }
}

/// A `submissions` row.
#[derive(sqlx::FromRow)]
pub(super) struct SubmissionRow {
    id: DbId,
    account_id: Option<DbId>,
    lead_source_id: Option<DbId>,
    client_id: Option<DbId>,
    outcome: String,
    error_code: Option<String>,
    message: Option<String>,
    replay_of: Option<DbId>,
    fields: Json<Vec<(String, String)>>,
    remote_ip: Option<String>,
    user_agent: Option<String>,
    created_at: DbTime,
    spam_reasons: Option<String>,
    released_client_id: Option<DbId>,
    released_at: Option<DbTime>,
    release_error_code: Option<String>,
    channel: String,
    raw_message: Option<String>,
    reparsed_at: Option<DbTime>,
    #[sqlx(default)]
    request_id: Option<String>,
}

impl From<SubmissionRow> for Submission {
    fn from(r: SubmissionRow) -> Self {
        Submission {
            id: r.id.0,
            account_id: r.account_id.map(|d| d.0),
            lead_source_id: r.lead_source_id.map(|d| d.0),
            client_id: r.client_id.map(|d| d.0),
            outcome: Outcome::from_stored(&r.outcome),
            error_code: r.error_code,
            message: r.message,
            replay_of: r.replay_of.map(|d| d.0),
            fields: r.fields.0,
            remote_ip: r.remote_ip,
            user_agent: r.user_agent,
            created_at: r.created_at.0,
            spam_reasons: r
                .spam_reasons
                .as_deref()
                .map(from_json_text)
                .unwrap_or_default(),
            released_client_id: r.released_client_id.map(|d| d.0),
            released_at: r.released_at.map(|t| t.0),
            release_error_code: r.release_error_code,
            channel: super::Channel::from_stored(&r.channel),
            raw_message: r.raw_message,
            reparsed_at: r.reparsed_at.map(|t| t.0),
            request_id: r.request_id,
        }
    }
}

/// A `notifications` row.
#[derive(sqlx::FromRow)]
pub(super) struct NotificationRow {
    id: DbId,
    kind: String,
    client_id: Option<DbId>,
    message: String,
    read: i16,
    created_at: DbTime,
}

impl From<NotificationRow> for Notification {
    fn from(r: NotificationRow) -> Self {
        Notification {
            id: r.id.0,
            kind: r.kind,
            client_id: r.client_id.map(|d| d.0),
            message: r.message,
            created_at: r.created_at.0,
            read: r.read != 0,
        }
    }
}

/// A `jobs` row.
#[derive(sqlx::FromRow)]
pub(super) struct JobRow {
    id: DbId,
    account_id: DbId,
    client_id: Option<DbId>,
    kind: JobKind,
    webhook_id: Option<DbId>,
    state: JobState,
    due_at: DbTime,
    attempts: i32,
    message_id: String,
    last_error: Option<String>,
    created_at: DbTime,
}

impl From<JobRow> for Job {
    fn from(r: JobRow) -> Self {
        Job {
            id: r.id.0,
            account_id: r.account_id.0,
            client_id: r.client_id.map(|d| d.0),
            kind: r.kind,
            webhook_id: r.webhook_id.map(|d| d.0),
            state: r.state,
            due_at: r.due_at.0,
            attempts: i64::from(r.attempts),
            message_id: r.message_id,
            last_error: r.last_error,
            created_at: r.created_at.0,
        }
    }
}

/// A `job_attempts` row.
#[derive(sqlx::FromRow)]
pub(super) struct JobAttemptRow {
    id: DbId,
    pub job_id: DbId,
    attempted_at: DbTime,
    status_code: Option<i32>,
    latency_ms: i64,
    response: Option<String>,
    error: Option<String>,
    request_id: Option<String>,
}

impl From<JobAttemptRow> for JobAttempt {
    fn from(r: JobAttemptRow) -> Self {
        JobAttempt {
            id: r.id.0,
            attempted_at: r.attempted_at.0,
            status_code: r.status_code,
            latency_ms: r.latency_ms,
            response: r.response,
            error: r.error,
            request_id: r.request_id,
        }
    }
}

/// How many jobs are in one state.
#[derive(sqlx::FromRow)]
pub(super) struct StateCountRow {
    pub state: JobState,
    pub n: i64,
}

/// A client's account and lead source, for rendering.
#[derive(sqlx::FromRow)]
pub(super) struct ClientOwnerRow {
    pub client_id: DbId,
    pub account_id: DbId,
    pub account_name: String,
    pub source_id: Option<DbId>,
    pub source_name: Option<String>,
}

/// Whether an account has hosted pages on.
#[derive(sqlx::FromRow)]
pub(super) struct FlagRow {
    pub flag: i16,
}

/// Turn records into the service's records.
pub(super) fn into_all<R, T: From<R>>(rows: Vec<R>) -> Vec<T> {
    rows.into_iter().map(T::from).collect()
}
