//! Leads by email and from lead vendors, stored: a message received for a lead source's inbound
//! token (over HTTP or SMTP) is kept with its raw source, ignored when it is automatic mail, read by
//! the source's parsers and sent through the shared intake pipeline; a Thumbtack lead is mapped
//! and sent through the same pipeline, its `leadID` remembered for good. Also a lead source's
//! inbound addresses and their rotation, and the reparse of a kept message.

use std::net::IpAddr;
use std::sync::Arc;

use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

use super::ServiceError;
use super::intake::{Arrival, Pipeline, Settled, reject, settle};
use crate::config::{InboundSettings, ServerSettings};
use crate::inbound::ignore::{IgnoreReason, always_ignored, ignored_when_unmatched};
use crate::inbound::parser::first_match;
use crate::inbound::thumbtack::ThumbtackLead;
use crate::inbound::{InboundMessage, Parser};
use crate::intake::answer::IntakeError;
use crate::store::{
    Channel, KeyOwner, LeadSource, Outcome, Store, StoreError, Submission, VendorLead, new_id,
};

/// Most bytes of a message's raw source kept in the log.
pub const RAW_LOG_LIMIT: usize = 256 * 1024;
/// The vendor name Thumbtack's lead ids are remembered under.
const THUMBTACK: &str = "thumbtack";

/// Fill in a lead source's inbound addresses: `inbound_url` absolute under the public URL when one
/// is set, and `inbound_address` when an inbound domain is.
pub fn with_addresses(
    mut source: LeadSource,
    server: &ServerSettings,
    inbound: &InboundSettings,
) -> LeadSource {
    let path = crate::store::inbound_path(&source.inbound_token);
    source.inbound_url = match server.public_url() {
        Some(base) => format!("{}{path}", base.trim_end_matches('/')),
        None => path,
    };
    source.inbound_address = inbound
        .domain()
        .map(|domain| format!("{}@{domain}", source.inbound_token));
    source
}

/// Give a lead source a new inbound token: the old one is refused at once.
pub async fn rotate_token(
    store: &dyn Store,
    account_id: Uuid,
    source_id: Uuid,
) -> Result<LeadSource, ServiceError> {
    store
        .rotate_inbound_token(account_id, source_id)
        .await
        .map_err(|e| ServiceError::from_store(e, "lead source"))?;
    tracing::info!(%account_id, lead_source_id = %source_id, "inbound token rotated");
    super::lead_sources::get(store, account_id, source_id).await
}

/// Where a message came from, besides its bytes.
#[derive(Debug, Clone)]
pub struct Sender {
    /// The client IP (HTTP) or the connecting peer (SMTP).
    pub ip: IpAddr,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
}

/// What became of a received message that was stored.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Stored {
    pub submission_id: Uuid,
    pub outcome: Outcome,
    pub client_id: Option<Uuid>,
}

/// Why a received message was not stored.
#[derive(Debug, thiserror::Error)]
pub enum NotStored {
    /// No lead source has this inbound token.
    #[error("unknown inbound address")]
    UnknownToken,
    /// The store could not be reached: the sender should try again.
    #[error("temporarily unable to store the message; please try again")]
    StorageUnavailable,
}

impl From<StoreError> for NotStored {
    fn from(e: StoreError) -> Self {
        tracing::error!(error = %e, "inbound storage failed");
        NotStored::StorageUnavailable
    }
}

/// The lead source an inbound token names, as a key owner; `None` when no source has it.
pub async fn owner_of_token(
    store: &dyn Store,
    token: &str,
) -> Result<Option<KeyOwner>, StoreError> {
    let Some((account_id, source_id)) = store.find_inbound_source(token).await? else {
        return Ok(None);
    };
    store.owner_of(account_id, Some(source_id)).await.map(Some)
}

/// A new email log row for `owner`.
fn email_log(
    owner: Option<&KeyOwner>,
    raw: &[u8],
    sender: &Sender,
    channel: Channel,
) -> Submission {
    Submission {
        id: new_id(),
        account_id: owner.map(|o| o.account_id),
        lead_source_id: owner.and_then(|o| o.lead_source.as_ref().map(|s| s.id)),
        client_id: None,
        outcome: Outcome::Rejected,
        error_code: None,
        message: None,
        replay_of: None,
        fields: Vec::new(),
        remote_ip: Some(sender.ip.to_string()),
        user_agent: sender.user_agent.clone(),
        created_at: OffsetDateTime::now_utc(),
        spam_reasons: Vec::new(),
        released_client_id: None,
        released_at: None,
        release_error_code: None,
        channel,
        raw_message: Some(raw_text(raw)),
        reparsed_at: None,
        request_id: None,
    }
}

/// The first [`RAW_LOG_LIMIT`] bytes of a raw source as text (NUL removed: no database keeps it).
pub fn raw_text(raw: &[u8]) -> String {
    let cut = &raw[..raw.len().min(RAW_LOG_LIMIT)];
    String::from_utf8_lossy(cut).replace('\0', "")
}

/// Store one message received for `owner`'s lead source. `message` is `Err` when the body could
/// not be read as an email at all (it is kept, `rejected`, with the reason).
pub async fn receive_email(
    pipeline: Pipeline<'_>,
    owner: KeyOwner,
    raw: &[u8],
    message: Result<InboundMessage, String>,
    sender: Sender,
) -> Result<Stored, NotStored> {
    let log = email_log(Some(&owner), raw, &sender, Channel::Email);
    let message = match message {
        Ok(message) => message,
        Err(reason) => {
            return keep(pipeline.store, log, Outcome::Rejected, "unreadable", reason).await;
        }
    };
    let parsers = compiled_parsers(pipeline.store, &owner).await?;
    process_message(pipeline, owner, log, &message, &parsers, sender).await
}

/// Ignore rules, parsers and the pipeline over one readable message.
async fn process_message(
    pipeline: Pipeline<'_>,
    owner: KeyOwner,
    mut log: Submission,
    message: &InboundMessage,
    parsers: &[Parser],
    sender: Sender,
) -> Result<Stored, NotStored> {
    if let Some(reason) = always_ignored(message) {
        return keep_ignored(pipeline.store, log, reason).await;
    }
    let Some(parser) = first_match(parsers, message) else {
        if let Some(reason) = ignored_when_unmatched(message) {
            return keep_ignored(pipeline.store, log, reason).await;
        }
        let reason = "no parser of the lead source matches the message".to_string();
        return keep(pipeline.store, log, Outcome::Rejected, "no_parser", reason).await;
    };
    tracing::info!(parser = %parser.name, "a parser took the message");
    let posted = super::intake::posted(parser.extract(&message.text));
    log.fields = posted.pairs.clone();
    run_pipeline(pipeline, owner, log, posted, sender, None).await
}

/// The shared pipeline; the log row's outcome as stored.
async fn run_pipeline(
    pipeline: Pipeline<'_>,
    owner: KeyOwner,
    log: Submission,
    posted: crate::intake::body::PostedPairs,
    sender: Sender,
    fingerprint: Option<String>,
) -> Result<Stored, NotStored> {
    let submission_id = log.id;
    let arrival = Arrival {
        owner,
        fields: Arc::new(posted),
        log,
        client_ip: sender.ip,
        request_id: sender.request_id,
        fingerprint,
    };
    let (outcome, client_id) = match settle(pipeline, arrival).await {
        Settled::Accepted { client_id, .. } => (Outcome::Accepted, Some(client_id)),
        Settled::Spam { .. } => (Outcome::Spam, None),
        Settled::Refused { logged: true, .. } => (Outcome::Rejected, None),
        Settled::Refused { logged: false, .. } => return Err(NotStored::StorageUnavailable),
    };
    Ok(Stored {
        submission_id,
        outcome,
        client_id,
    })
}

/// A lead source's parsers, compiled, in order; one that no longer compiles is skipped (logged).
pub(super) async fn compiled_parsers(
    store: &dyn Store,
    owner: &KeyOwner,
) -> Result<Vec<Parser>, StoreError> {
    let Some(source) = &owner.lead_source else {
        return Ok(Vec::new());
    };
    let stored = store.list_parsers(source.id).await?;
    Ok(stored
        .iter()
        .filter_map(|p| match Parser::compile(&p.spec()) {
            Ok(parser) => Some(parser),
            Err(problems) => {
                tracing::warn!(parser_id = %p.id, ?problems, "a stored parser does not compile");
                None
            }
        })
        .collect())
}

async fn keep_ignored(
    store: &dyn Store,
    log: Submission,
    reason: IgnoreReason,
) -> Result<Stored, NotStored> {
    let text = format!("automatic mail: {reason}");
    keep(store, log, Outcome::Ignored, reason.as_str(), text).await
}

/// Keep a message that goes no further, with its outcome and reason.
async fn keep(
    store: &dyn Store,
    mut log: Submission,
    outcome: Outcome,
    code: &str,
    message: String,
) -> Result<Stored, NotStored> {
    tracing::Span::current().record("outcome", code);
    log.outcome = outcome;
    log.error_code = Some(code.to_string());
    log.message = Some(message);
    store.record_rejection(&log).await?;
    Ok(Stored {
        submission_id: log.id,
        outcome,
        client_id: None,
    })
}

/// How a vendor's lead ended, for the JSON answer of §2.4.
#[derive(Debug)]
pub enum VendorAnswer {
    /// Accepted, a double submit, or spam: the success answer.
    Success,
    /// Refused with this error.
    Refused(IntakeError),
}

/// Keep a vendor's post refused before any owner was known (no web_key, an unknown one, or a
/// store that could not say): every post is logged, like a form post refused ct101.
pub async fn refuse_vendor_post(
    store: &dyn Store,
    body: &[u8],
    sender: &Sender,
    error: &IntakeError,
) {
    reject(store, email_log(None, body, sender, Channel::Vendor), error).await;
}

/// Store one Thumbtack lead for the key's owner: the same `leadID` again for the account is the
/// success answer and nothing new.
pub async fn receive_thumbtack(
    pipeline: Pipeline<'_>,
    owner: KeyOwner,
    body: &[u8],
    sender: Sender,
) -> VendorAnswer {
    let mut log = email_log(Some(&owner), body, &sender, Channel::Vendor);
    let lead = match ThumbtackLead::parse(body, crate::intake::form::is_reserved) {
        Ok(lead) => lead,
        Err(e) => {
            let error = IntakeError::BadRequest(e.to_string());
            let logged = reject(pipeline.store, log, &error).await;
            return refused(error, logged);
        }
    };
    match pipeline
        .store
        .vendor_lead(owner.account_id, THUMBTACK, &lead.lead_id)
        .await
    {
        Ok(Some(first)) => return repeat(pipeline.store, log, first).await,
        Ok(None) => {}
        Err(e) => {
            tracing::error!(error = %e, "could not look up a vendor lead id");
            return VendorAnswer::Refused(IntakeError::StorageUnavailable);
        }
    }
    let posted = super::intake::posted(lead.fields);
    log.fields = posted.pairs.clone();
    let submission_id = log.id;
    let account_id = owner.account_id;
    let fingerprint = format!("vendor:{THUMBTACK}:{}", lead.lead_id);
    let arrival = Arrival {
        owner,
        fields: Arc::new(posted),
        log,
        client_ip: sender.ip,
        request_id: sender.request_id,
        fingerprint: Some(fingerprint),
    };
    match settle(pipeline, arrival).await {
        Settled::Accepted { client_id, .. } => {
            let remembered = VendorLead {
                client_id,
                submission_id,
            };
            if let Err(e) = pipeline
                .store
                .remember_vendor_lead(account_id, THUMBTACK, &lead.lead_id, remembered)
                .await
            {
                // The lead is stored; within the replay window a repeat is still a double submit.
                tracing::error!(error = %e, "could not remember a vendor lead id");
            }
            VendorAnswer::Success
        }
        Settled::Spam { .. } => VendorAnswer::Success,
        Settled::Refused { error, .. } => VendorAnswer::Refused(error),
    }
}

fn refused(error: IntakeError, logged: bool) -> VendorAnswer {
    if logged {
        VendorAnswer::Refused(error)
    } else {
        VendorAnswer::Refused(IntakeError::StorageUnavailable)
    }
}

/// A vendor lead id seen before: logged as a double submit of the first, answered as a success.
async fn repeat(store: &dyn Store, mut log: Submission, first: VendorLead) -> VendorAnswer {
    log.outcome = Outcome::Accepted;
    log.replay_of = Some(first.submission_id);
    log.client_id = Some(first.client_id);
    match store.record_rejection(&log).await {
        Ok(()) => {
            tracing::info!(of_submission = %first.submission_id, "vendor lead seen again");
            metrics::counter!("leadpost_double_submits_total").increment(1);
            VendorAnswer::Success
        }
        Err(e) => {
            tracing::error!(error = %e, "could not log a repeated vendor lead");
            VendorAnswer::Refused(IntakeError::StorageUnavailable)
        }
    }
}

/// Run a kept email (`rejected` or `ignored`) through the ignore rules, the parsers and the
/// pipeline again, writing the result over the same row.
pub async fn reparse(
    pipeline: Pipeline<'_>,
    submission_id: Uuid,
) -> Result<Submission, ServiceError> {
    let store = pipeline.store;
    let submission = store
        .get_submission(submission_id)
        .await
        .map_err(|e| ServiceError::from_store(e, "submission"))?;
    let reparsable = submission.channel == Channel::Email
        && matches!(submission.outcome, Outcome::Rejected | Outcome::Ignored);
    let not_reparsable =
        || ServiceError::Conflict("only a rejected or ignored email can be reparsed".into());
    let (Some(account_id), true) = (submission.account_id, reparsable) else {
        return Err(not_reparsable());
    };
    let owner = store
        .owner_of(account_id, submission.lead_source_id)
        .await
        .map_err(|e| ServiceError::from_store(e, "account"))?;
    let raw = submission.raw_message.clone().unwrap_or_default();
    let parsers = compiled_parsers(store, &owner).await?;
    super::reparse::run(pipeline, owner, submission, raw.as_bytes(), &parsers).await?;
    store
        .get_submission(submission_id)
        .await
        .map_err(|e| ServiceError::from_store(e, "submission"))
}
