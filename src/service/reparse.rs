//! Reparse: a kept email (`rejected` or `ignored`) goes through the ignore rules, the lead source's
//! parsers and the shared pipeline again, and the result is written over the same submission row
//! (outcome, fields, reason, client, `reparsed_at`).

use std::sync::Arc;

use super::ServiceError;
use super::intake::{Pipeline, keep_spam_counted, spam_reasons, validate};
use crate::inbound::ignore::{always_ignored, ignored_when_unmatched};
use crate::inbound::parser::first_match;
use crate::inbound::{InboundMessage, Parser};
use crate::store::{KeyOwner, LeadToStore, Outcome, ReparseOutcome, Submission};

/// Reparse `submission` (already checked to be a reparsable email of `owner`'s source).
pub async fn run(
    pipeline: Pipeline<'_>,
    owner: KeyOwner,
    mut submission: Submission,
    raw: &[u8],
    parsers: &[Parser],
) -> Result<(), ServiceError> {
    let message = match InboundMessage::parse(raw) {
        Ok(message) => message,
        Err(e) => {
            let reason = e.to_string();
            return write(
                pipeline,
                submission,
                Outcome::Rejected,
                "unreadable",
                reason,
            )
            .await;
        }
    };
    if let Some(reason) = always_ignored(&message) {
        let text = format!("automatic mail: {reason}");
        return write(
            pipeline,
            submission,
            Outcome::Ignored,
            reason.as_str(),
            text,
        )
        .await;
    }
    let Some(parser) = first_match(parsers, &message) else {
        if let Some(reason) = ignored_when_unmatched(&message) {
            let text = format!("automatic mail: {reason}");
            return write(
                pipeline,
                submission,
                Outcome::Ignored,
                reason.as_str(),
                text,
            )
            .await;
        }
        let text = "no parser of the lead source matches the message".to_string();
        return write(pipeline, submission, Outcome::Rejected, "no_parser", text).await;
    };
    let posted = super::intake::posted(parser.extract(&message.text));
    submission.fields = posted.pairs.clone();
    let posted = Arc::new(posted);
    let (valid, _) = match validate(posted.clone()).await {
        Ok(checked) => checked,
        Err(error) => {
            let text = error.to_string();
            return write(pipeline, submission, Outcome::Rejected, error.code(), text).await;
        }
    };
    let peer = submission
        .remote_ip
        .as_deref()
        .and_then(|ip| ip.parse().ok())
        .unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED));
    let reasons = spam_reasons(pipeline, &owner, submission.channel, &posted.pairs, peer).await;
    if !reasons.is_empty() {
        keep_spam_counted(&reasons);
        submission.outcome = Outcome::Spam;
        submission.error_code = None;
        submission.message = None;
        submission.spam_reasons = reasons;
        return record(pipeline, &submission).await;
    }
    let lead = LeadToStore {
        owner,
        client: valid.client,
        submission,
        // A reparse writes over its own row: no double-submit guard.
        fingerprint: String::new(),
        replay_window_seconds: 0,
        request_id: None,
    };
    match pipeline.store.accept_reparse(&lead).await? {
        ReparseOutcome::Accepted { client_id } => {
            tracing::info!(%client_id, "reparse made a lead");
            metrics::counter!("leadpost_leads_accepted_total").increment(1);
            Ok(())
        }
        ReparseOutcome::DuplicateEmail { existing_client_id } => {
            tracing::info!(%existing_client_id, "reparse refused: duplicate email");
            Ok(())
        }
        ReparseOutcome::NotReparsable => Err(not_reparsable()),
    }
}

fn not_reparsable() -> ServiceError {
    ServiceError::Conflict("only a rejected or ignored email can be reparsed".into())
}

/// Write a reparse that made no lead over the row.
async fn write(
    pipeline: Pipeline<'_>,
    mut submission: Submission,
    outcome: Outcome,
    code: &str,
    message: String,
) -> Result<(), ServiceError> {
    submission.outcome = outcome;
    submission.error_code = Some(code.to_string());
    submission.message = Some(message);
    submission.spam_reasons = Vec::new();
    record(pipeline, &submission).await
}

async fn record(pipeline: Pipeline<'_>, submission: &Submission) -> Result<(), ServiceError> {
    if pipeline.store.record_reparse(submission).await? {
        Ok(())
    } else {
        Err(not_reparsable())
    }
}
