//! The records the store keeps and hands out: accounts, lead sources, webhooks,
//! action plans, clients, submissions, notifications and jobs.

use super::{JobKind, JobState};
use std::collections::BTreeMap;

use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

pub use crate::actions::autoreply::Autoresponder;
pub use crate::clients::LeadRules;
use crate::clients::{ClientValues, NewClient, read_back};
use crate::spam::{OriginPattern, OriginPolicy, SpamReason, SpamSettings};

/// The state of the database connection pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    pub open: u32,
    pub idle: u32,
    pub max: u32,
}

/// A page of a newest-first list: at most `limit` rows older than `after`.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub limit: i64,
    pub after: Option<Uuid>,
}

impl Page {
    /// The first `limit` rows.
    pub fn first(limit: i64) -> Self {
        Page { limit, after: None }
    }

    /// The id every row of the page is below: `after`, or above any id for the
    /// first page. (A plain `id < $n` lets both databases walk the index from
    /// there; `$n IS NULL OR id < $n` made SQLite scan from the newest row on
    /// every page, quadratic over an export.)
    pub fn upper_bound(&self) -> Uuid {
        self.after.unwrap_or(Uuid::max())
    }
}

/// A new account.
#[derive(Debug, Clone, Default)]
pub struct NewAccount {
    pub name: String,
    pub owner_email: Option<String>,
    pub owner_phone: Option<String>,
    /// Given to move existing forms over unchanged; otherwise a random one is made.
    pub web_key: Option<String>,
}

/// An account: the owner of clients, lead sources, webhooks and plans.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Account {
    pub id: Uuid,
    pub name: String,
    pub web_key: String,
    pub owner_email: Option<String>,
    pub owner_phone: Option<String>,
    pub default_action_plan_id: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// The name visitors see on the hosted pages.
    pub display_name: Option<String>,
    /// The account's own website (http/https), linked from the hosted pages.
    pub website_url: Option<String>,
    /// Phones may be posted with common North American formatting.
    pub lenient_phones: bool,
    /// The `new_lead_notification` level (0, 1 or 2) of a post that does not send one.
    pub new_lead_notification_default: i64,
    /// Browsers posting without redirect URLs land on the hosted /thanks and /oops pages.
    pub hosted_pages: bool,
}

/// A new lead source of an account.
#[derive(Debug, Clone, Default)]
pub struct NewLeadSource {
    pub name: String,
    pub action_plan_id: Option<Uuid>,
    pub web_key: Option<String>,
}

/// A lead source: its own web_key runs its connection action plan.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LeadSource {
    pub id: Uuid,
    pub account_id: Uuid,
    pub name: String,
    pub web_key: String,
    pub action_plan_id: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Where this source's posts may come from; `null`: the account's list applies.
    #[schema(value_type = Option<Vec<String>>)]
    pub allowed_origins: Option<Vec<OriginPattern>>,
    /// Whether this source's posts must name their origin; `null`: the account's setting applies.
    pub require_origin: Option<bool>,
    /// Where email for this source is posted (`/v1/inbound/{token}`, absolute when the public URL is set).
    pub inbound_url: String,
    /// `{token}@{domain}` when an inbound domain is configured.
    pub inbound_address: Option<String>,
    /// The source's inbound token (shown only inside `inbound_url` and `inbound_address`).
    #[serde(skip)]
    pub inbound_token: String,
    /// The mail each new lead of this source gets; `null`: none.
    pub autoresponder: Option<Autoresponder>,
}

/// A new webhook (already checked by the caller).
#[derive(Debug, Clone, Default)]
pub struct NewWebhook {
    pub name: String,
    pub preset: Option<String>,
    pub url: String,
    pub method: String,
    pub headers: serde_json::Value,
    pub body: Option<serde_json::Value>,
    pub secret: Option<String>,
}

/// A webhook as stored.
#[derive(Debug, Clone, Serialize)]
pub struct Webhook {
    pub id: Uuid,
    pub account_id: Uuid,
    pub name: String,
    pub preset: Option<String>,
    pub url: String,
    pub method: String,
    pub headers: serde_json::Value,
    pub body: Option<serde_json::Value>,
    /// Never serialized: the admin API shows it masked.
    #[serde(skip)]
    pub secret: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// A new action plan: webhooks to call, in order, each after its delay.
#[derive(Debug, Clone, Default)]
pub struct NewActionPlan {
    pub name: String,
    pub steps: Vec<PlanStep>,
}

/// One step of an action plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PlanStep {
    pub webhook_id: Uuid,
    pub delay_seconds: i64,
}

/// An action plan as stored.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ActionPlan {
    pub id: Uuid,
    pub account_id: Uuid,
    pub name: String,
    pub steps: Vec<PlanStep>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// What a web_key leads to.
#[derive(Debug, Clone)]
pub struct KeyOwner {
    pub account_id: Uuid,
    pub account_name: String,
    pub owner_email: Option<String>,
    pub owner_phone: Option<String>,
    /// Set when the key is a lead source's.
    pub lead_source: Option<LeadSourceRef>,
    /// The plan the new client starts: the source's own, or for the account key the default.
    pub action_plan_id: Option<Uuid>,
    /// The account answers browsers with its hosted /thanks and /oops pages.
    pub hosted_pages: bool,
    /// The account's spam checks.
    pub spam: SpamSettings,
    /// The lead source's own allowed origins, replacing the account's when set.
    pub source_allowed_origins: Option<Vec<OriginPattern>>,
    /// The lead source's own `require_origin`, replacing the account's when set.
    pub source_require_origin: Option<bool>,
    /// How the account reads phones and the notification level a post leaves out.
    pub lead_rules: LeadRules,
    /// The lead source's autoresponder, if it has one.
    pub autoresponder: Option<Autoresponder>,
}

impl KeyOwner {
    /// The origin rules for a post with this key: the source's where it has its own.
    pub fn origin_policy(&self) -> OriginPolicy<'_> {
        OriginPolicy::resolve(
            &self.spam.allowed_origins,
            self.spam.require_origin,
            self.source_allowed_origins.as_deref(),
            self.source_require_origin,
        )
    }
}

/// A lead source's id and name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LeadSourceRef {
    pub id: Uuid,
    pub name: String,
}

/// A submission as logged (accepted or rejected).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Submission {
    pub id: Uuid,
    pub account_id: Option<Uuid>,
    pub lead_source_id: Option<Uuid>,
    pub client_id: Option<Uuid>,
    pub outcome: Outcome,
    pub error_code: Option<String>,
    pub message: Option<String>,
    pub replay_of: Option<Uuid>,
    /// The raw fields as posted, in order, as `[name, value]` pairs.
    #[schema(value_type = Vec<Vec<String>>)]
    pub fields: Vec<(String, String)>,
    pub remote_ip: Option<String>,
    pub user_agent: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Why the post is spam, in order (empty unless the outcome is `spam`).
    pub spam_reasons: Vec<SpamReason>,
    /// The client a release of this spam made.
    pub released_client_id: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub released_at: Option<OffsetDateTime>,
    /// Why the last release was refused (`ct103`).
    pub release_error_code: Option<String>,
    /// How the submission arrived.
    pub channel: Channel,
    /// The raw message or vendor JSON as received (the first 256 KiB), for inbound channels.
    pub raw_message: Option<String>,
    /// When the parsers last ran again over this message.
    #[serde(with = "time::serde::rfc3339::option")]
    pub reparsed_at: Option<OffsetDateTime>,
    /// The `x-request-id` the post was answered with (accepted leads).
    pub request_id: Option<String>,
}

/// How a submission arrived: a form post, an email, or a lead vendor's feed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    #[default]
    Form,
    Email,
    Vendor,
}

impl Channel {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Form => "form",
            Channel::Email => "email",
            Channel::Vendor => "vendor",
        }
    }

    /// The channel named `name` (`form`, `email`, `vendor`), if any.
    pub fn from_name(name: &str) -> Option<Self> {
        [Channel::Form, Channel::Email, Channel::Vendor]
            .into_iter()
            .find(|c| c.as_str() == name)
    }

    pub(crate) fn from_stored(s: &str) -> Self {
        [Channel::Email, Channel::Vendor]
            .into_iter()
            .find(|c| c.as_str() == s)
            .unwrap_or(Channel::Form)
    }
}

/// How a post ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Accepted,
    Rejected,
    /// Kept out by the spam checks (or marked spam later), never lost.
    Spam,
    /// Automatic mail (a bounce, an auto-reply) kept without being parsed.
    Ignored,
}

impl Outcome {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Accepted => "accepted",
            Outcome::Rejected => "rejected",
            Outcome::Spam => "spam",
            Outcome::Ignored => "ignored",
        }
    }

    /// The outcome with this stored spelling.
    pub fn from_name(s: &str) -> Option<Self> {
        [
            Outcome::Accepted,
            Outcome::Rejected,
            Outcome::Spam,
            Outcome::Ignored,
        ]
        .into_iter()
        .find(|o| o.as_str() == s)
    }

    pub(crate) fn from_stored(s: &str) -> Self {
        Outcome::from_name(s).unwrap_or(Outcome::Rejected)
    }
}

/// A valid lead, ready to be stored.
#[derive(Debug, Clone)]
pub struct LeadToStore {
    pub owner: KeyOwner,
    pub client: NewClient,
    /// The submission log row; its `client_id` and `outcome` are filled in by the store.
    pub submission: Submission,
    /// Hash of the posted fields (order ignored), for double submits.
    pub fingerprint: String,
    /// How long an identical post counts as a double submit.
    pub replay_window_seconds: i64,
    /// The `x-request-id` of the post, kept on its jobs and their attempt logs.
    pub request_id: Option<String>,
}

/// What became of a valid lead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AcceptOutcome {
    /// A new client, committed.
    Created { client_id: Uuid },
    /// The same post was accepted moments ago: nothing new was stored.
    Replay {
        of_submission: Uuid,
        client_id: Uuid,
    },
    /// The account already has a client with this email: refused, Duplicate Record raised.
    DuplicateEmail { existing_client_id: Uuid },
}

/// Filters for listing clients.
#[derive(Debug, Clone, Default)]
pub struct ClientFilter {
    /// Matched case-insensitively.
    pub email: Option<String>,
    /// Clients carrying this tag (matched case-insensitively).
    pub tag: Option<String>,
    /// Clients created strictly after this moment.
    pub created_after: Option<OffsetDateTime>,
    /// Text found anywhere in the name, email or phone numbers, any case (the console's search).
    pub search: Option<String>,
    /// Clients of this lead source.
    pub lead_source_id: Option<Uuid>,
    /// Clients created strictly before this moment.
    pub created_before: Option<OffsetDateTime>,
}

/// Filters for listing submissions.
#[derive(Debug, Clone, Default)]
pub struct SubmissionFilter {
    pub account_id: Option<Uuid>,
    pub outcome: Option<Outcome>,
    pub error_code: Option<String>,
    /// How the submissions arrived; none for every channel.
    pub channel: Option<Channel>,
}

/// A client read back: every stored reserved field under its form name
/// (`crate::clients::read_back`, in catalog order), then `tags`,
/// `custom_fields`, `notes` and `created_at`.
#[derive(Debug, Clone, PartialEq)]
pub struct Client {
    pub id: Uuid,
    pub account_id: Uuid,
    pub lead_source_id: Option<Uuid>,
    /// The reserved fields, by catalog position.
    pub fields: ClientValues,
    pub tags: Vec<String>,
    pub custom_fields: BTreeMap<String, String>,
    pub notes: Vec<Note>,
    pub created_at: OffsetDateTime,
}

impl Serialize for Client {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{Error, SerializeMap};
        let created_at = self
            .created_at
            .format(&time::format_description::well_known::Rfc3339)
            .map_err(S::Error::custom)?;
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("id", &self.id)?;
        map.serialize_entry("account_id", &self.account_id)?;
        map.serialize_entry("lead_source_id", &self.lead_source_id)?;
        for value in read_back(&self.fields) {
            map.serialize_entry(value.json, &value.value)?;
        }
        map.serialize_entry("tags", &self.tags)?;
        map.serialize_entry("custom_fields", &self.custom_fields)?;
        map.serialize_entry("notes", &self.notes)?;
        map.serialize_entry("created_at", &created_at)?;
        map.end()
    }
}

/// A history note on a client.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct Note {
    pub body: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// An in-app notification for the account owner.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct Notification {
    pub id: Uuid,
    /// `new_lead` or `duplicate`.
    pub kind: String,
    pub client_id: Option<Uuid>,
    pub message: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub read: bool,
}

/// A job of the durable queue.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct Job {
    pub id: Uuid,
    pub account_id: Uuid,
    pub client_id: Option<Uuid>,
    pub kind: JobKind,
    pub webhook_id: Option<Uuid>,
    pub state: JobState,
    #[serde(with = "time::serde::rfc3339")]
    pub due_at: OffsetDateTime,
    pub attempts: i64,
    /// The `webhook-id` sent on every attempt.
    pub message_id: String,
    pub last_error: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// Changes to an account; `None` leaves a value as it is, `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct AccountChanges {
    pub name: Option<String>,
    pub owner_email: Option<Option<String>>,
    pub owner_phone: Option<Option<String>>,
    /// Must be one of the account's plans (else [`StoreError::NotFound`](super::StoreError::NotFound)).
    pub default_action_plan_id: Option<Option<Uuid>>,
    pub display_name: Option<Option<String>>,
    pub website_url: Option<Option<String>>,
    pub lenient_phones: Option<bool>,
    pub new_lead_notification_default: Option<i64>,
    pub hosted_pages: Option<bool>,
}

/// The result of a key rotation.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RotatedKey {
    /// The new current key.
    pub web_key: String,
    /// The key that was current until now, if there was one.
    pub previous_web_key: Option<String>,
    /// When the previous key stops working.
    #[serde(with = "time::serde::rfc3339::option")]
    pub previous_expires_at: Option<OffsetDateTime>,
}

/// The path email for a lead source's inbound token is posted to.
pub fn inbound_path(token: &str) -> String {
    format!("/v1/inbound/{token}")
}
