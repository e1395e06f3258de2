//! The one intake pipeline every channel shares once its fields are read: a form post, an email a
//! parser read, a vendor's lead and a released spam post all go through §2's rules, §10's spam
//! checks, the double-submit and duplicate checks and the lead's transaction (client, plan jobs,
//! notifications, submission log) here.

use std::net::IpAddr;
use std::sync::Arc;

use uuid::Uuid;

use crate::fields::{FieldProblem, RedirectUrl};
use crate::intake::answer::IntakeError;
use crate::intake::body::PostedPairs;
use crate::intake::form::{Form, ValidLead};
use crate::service::live::LeadEvents;
use crate::spam::{CaptchaVerifier, SpamReason, count_spam, judge};
use crate::store::{
    AcceptOutcome, Channel, KeyOwner, LeadRules, LeadToStore, Outcome, Store, Submission,
};

/// Most bytes of names and values kept in the submission log for a refused post.
const REFUSED_FIELDS_LOG_LIMIT: usize = 16 * 1024;

/// What the pipeline works with besides the arrival itself.
#[derive(Clone, Copy)]
pub struct Pipeline<'a> {
    pub store: &'a dyn Store,
    /// Asks the CAPTCHA providers (form posts only).
    pub captcha: &'a CaptchaVerifier,
    /// How long an identical post counts as a double submit.
    pub replay_window_seconds: i64,
    /// Told of every new lead (the console's live inbox).
    pub events: &'a LeadEvents,
}

/// Fields that arrived for a known key owner, with their log row (whose `channel` says how).
pub struct Arrival {
    pub owner: KeyOwner,
    pub fields: Arc<PostedPairs>,
    pub log: Submission,
    /// The client IP (HTTP) or the connecting peer (SMTP), for blocked IPs.
    pub client_ip: IpAddr,
    pub request_id: Option<String>,
    /// Replaces the fields' fingerprint for the double-submit guard (a vendor's lead id).
    pub fingerprint: Option<String>,
}

/// How an arrival ended.
#[derive(Debug)]
pub enum Settled {
    /// A new client, or a double submit answered again: the success answer.
    Accepted {
        client_id: Uuid,
        success_url: Option<RedirectUrl>,
        replay: bool,
    },
    /// Kept as spam: answered exactly as a success.
    Spam { success_url: Option<RedirectUrl> },
    /// Refused; `logged` tells whether its log row was written.
    Refused { error: IntakeError, logged: bool },
}

/// Steps 4 to 6 and the store, once the key owner is known (and, for a form post, its origin
/// allowed).
pub async fn settle(pipeline: Pipeline<'_>, arrival: Arrival) -> Settled {
    let Arrival {
        owner,
        fields,
        log,
        client_ip,
        request_id,
        fingerprint,
    } = arrival;
    let (valid, form_fingerprint) = match validate(fields.clone(), owner.lead_rules).await {
        Ok(checked) => checked,
        Err(error) => {
            let logged = reject(pipeline.store, log, &error).await;
            return Settled::Refused { error, logged };
        }
    };
    // Step 5b: spam is kept, and answered exactly as a success.
    let reasons = spam_reasons(pipeline, &owner, log.channel, &fields.pairs, client_ip).await;
    if !reasons.is_empty() {
        return match keep_spam(pipeline.store, log, reasons).await {
            Ok(()) => Settled::Spam {
                success_url: valid.success_url,
            },
            Err(()) => Settled::Refused {
                error: IntakeError::StorageUnavailable,
                logged: false,
            },
        };
    }
    let lead = LeadToStore {
        owner,
        client: valid.client,
        submission: log,
        fingerprint: fingerprint.unwrap_or(form_fingerprint),
        replay_window_seconds: pipeline.replay_window_seconds,
        request_id,
    };
    match pipeline.store.accept_lead(&lead).await {
        Ok(AcceptOutcome::Created { client_id }) => {
            tracing::info!(%client_id, "lead accepted");
            pipeline.events.publish(lead.owner.account_id, client_id);
            metrics::counter!("leadpost_leads_accepted_total").increment(1);
            tracing::Span::current().record("outcome", "accepted");
            Settled::Accepted {
                client_id,
                success_url: valid.success_url,
                replay: false,
            }
        }
        Ok(AcceptOutcome::Replay {
            of_submission,
            client_id,
        }) => {
            tracing::info!(%of_submission, "double submit answered again");
            metrics::counter!("leadpost_double_submits_total").increment(1);
            tracing::Span::current().record("outcome", "accepted");
            Settled::Accepted {
                client_id,
                success_url: valid.success_url,
                replay: true,
            }
        }
        Ok(AcceptOutcome::DuplicateEmail { existing_client_id }) => {
            tracing::info!(%existing_client_id, "duplicate email refused");
            tracing::Span::current().record("outcome", "ct103");
            Settled::Refused {
                error: IntakeError::DuplicateClient,
                logged: true,
            }
        }
        Err(e) => {
            tracing::error!(error = %e, "could not store the lead");
            let error = IntakeError::StorageUnavailable;
            reject(pipeline.store, lead.submission, &error).await;
            Settled::Refused {
                error,
                logged: false,
            }
        }
    }
}

/// Steps 4 and 5 (the name and every other field), on a blocking thread: HTML stripping of a large
/// post is CPU work the async workers must not wait on. The valid lead and the fields' fingerprint.
pub async fn validate(
    posted: Arc<PostedPairs>,
    rules: LeadRules,
) -> Result<(ValidLead, String), IntakeError> {
    let checked = tokio::task::spawn_blocking(move || {
        let form = Form::new(&posted);
        let name = form.name().ok_or(IntakeError::NameNotReceived)?;
        let valid = form
            .lead_with(name, &rules)
            .map_err(IntakeError::InvalidFields)?;
        Ok((valid, form.fingerprint()))
    })
    .await;
    checked.unwrap_or_else(|e| {
        tracing::error!(error = %e, "validating a post failed");
        Err(IntakeError::BadRequest(
            "the post could not be checked".into(),
        ))
    })
}

/// Fields read from a message or a vendor's JSON, as a post: controls removed like a form post's.
pub fn posted(pairs: Vec<(String, String)>) -> PostedPairs {
    let mut posted = PostedPairs {
        pairs,
        nested: Vec::new(),
    };
    posted.remove_controls();
    posted
}

/// Kept fields read again as a lead (a spam release, a reparse): every problem names its field.
pub fn lead_of(
    fields: &[(String, String)],
    rules: &LeadRules,
) -> Result<ValidLead, Vec<FieldProblem>> {
    let posted = PostedPairs {
        pairs: fields.to_vec(),
        nested: Vec::new(),
    };
    let form = Form::new(&posted);
    let Some(name) = form.name() else {
        return Err(vec![FieldProblem::new("name", "the kept post has no name")]);
    };
    form.lead_with(name, rules)
}

/// Step 5b: every reason the fields are spam, in the documented order (empty: not spam). Form posts
/// get every check; inbound channels skip the honeypot, the fill time and CAPTCHA.
pub async fn spam_reasons(
    pipeline: Pipeline<'_>,
    owner: &KeyOwner,
    channel: Channel,
    fields: &[(String, String)],
    client_ip: IpAddr,
) -> Vec<SpamReason> {
    let mut reasons = judge(&owner.spam, fields, client_ip);
    if channel != Channel::Form {
        reasons.retain(|r| !matches!(r, SpamReason::Honeypot | SpamReason::TooFast));
        return reasons;
    }
    if let Some(captcha) = &owner.spam.captcha
        && let Some(reason) = pipeline
            .captcha
            .verify(captcha, fields, client_ip)
            .await
            .reason()
    {
        reasons.push(reason);
    }
    reasons.sort();
    reasons
}

/// Keep a spam post in the log with its reasons and count it. `Err` when the log row could not be
/// written: the post is then answered like any storage failure, so that it is retried, not lost.
pub async fn keep_spam(
    store: &dyn Store,
    mut log: Submission,
    reasons: Vec<SpamReason>,
) -> Result<(), ()> {
    keep_spam_counted(&reasons);
    log.outcome = Outcome::Spam;
    log.spam_reasons = reasons;
    match store.record_rejection(&log).await {
        Ok(()) => {
            tracing::info!(reasons = ?log.spam_reasons, "spam kept");
            Ok(())
        }
        Err(e) => {
            tracing::error!(error = %e, "could not keep a spam post");
            Err(())
        }
    }
}

/// Count spam in the metric and mark the span.
pub fn keep_spam_counted(reasons: &[SpamReason]) {
    tracing::Span::current().record("outcome", "spam");
    count_spam(reasons);
}

/// Log a refused post; a log that cannot be written is reported, not fatal. Whether it was written.
pub async fn reject(store: &dyn Store, mut log: Submission, error: &IntakeError) -> bool {
    tracing::Span::current().record("outcome", error.code());
    log.outcome = Outcome::Rejected;
    log.error_code = Some(error.code().to_string());
    log.message = Some(error.to_string());
    keep_at_most(&mut log.fields, REFUSED_FIELDS_LOG_LIMIT);
    match store.record_rejection(&log).await {
        Ok(()) => true,
        Err(e) => {
            tracing::warn!(error = %e, "could not log a refused submission");
            false
        }
    }
}

/// Cut `fields` to about `limit` bytes of names and values in all; when anything is
/// cut, a last field `_truncated` says how many bytes the post had.
pub fn keep_at_most(fields: &mut Vec<(String, String)>, limit: usize) {
    let total: usize = fields.iter().map(|(n, v)| n.len() + v.len()).sum();
    if total <= limit {
        return;
    }
    let mut room = limit;
    let mut kept = Vec::new();
    for (mut name, mut value) in fields.drain(..) {
        if room == 0 {
            break;
        }
        name.truncate(floor_char_boundary(&name, room));
        room -= name.len();
        value.truncate(floor_char_boundary(&value, room));
        room -= value.len();
        kept.push((name, value));
    }
    kept.push(("_truncated".into(), format!("{total} bytes posted")));
    *fields = kept;
}

/// The largest char boundary of `s` at or below `at`.
pub fn floor_char_boundary(s: &str, at: usize) -> usize {
    if at >= s.len() {
        return s.len();
    }
    (0..=at).rev().find(|i| s.is_char_boundary(*i)).unwrap_or(0)
}
