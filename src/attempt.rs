//! What one delivery attempt produced, whatever sent it (the webhook sender in
//! `delivery`, the SMTP and SMS senders in `notify`): its status, the answer kept
//! for the attempt log, and how it ended. Shared by both sides so neither
//! imports the other for it.

use std::time::Duration;

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A 2xx answer.
    Delivered,
    /// Worth trying again, after `retry_after` when the target said so.
    Transient {
        error: String,
        retry_after: Option<Duration>,
    },
    /// Trying again would not help.
    Permanent { error: String },
    /// Nothing was sent because nothing is configured to send it with.
    Skipped { reason: String },
}

/// What one attempt produced, before it is logged.
#[derive(Debug)]
pub struct AttemptResult {
    pub status: Option<u16>,
    pub response: Option<String>,
    pub outcome: Outcome,
}

impl AttemptResult {
    /// An attempt that got no answer worth logging.
    pub fn failed(outcome: Outcome) -> Self {
        AttemptResult {
            status: None,
            response: None,
            outcome,
        }
    }

    /// Failed for good.
    pub fn permanent(error: impl Into<String>) -> Self {
        Self::failed(Outcome::Permanent {
            error: error.into(),
        })
    }

    /// Failed for now; worth another try on the schedule.
    pub fn transient(error: impl Into<String>) -> Self {
        Self::failed(Outcome::Transient {
            error: error.into(),
            retry_after: None,
        })
    }

    /// Nothing is configured to send it with.
    pub fn skipped(reason: impl Into<String>) -> Self {
        Self::failed(Outcome::Skipped {
            reason: reason.into(),
        })
    }
}

/// An error with its causes, for the attempt log.
pub fn describe(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
