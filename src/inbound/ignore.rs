//! Which messages are automatic mail to be logged as `ignored` rather than parsed: bounces and
//! auto-replies always; other automatic or bulk mail only when no parser takes it (a vendor's lead
//! mail is often marked `auto-generated` or bulk, and must still be processed).

use std::fmt;

use super::message::InboundMessage;

/// Why a message is ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IgnoreReason {
    /// The reverse path is empty (`MAIL FROM:<>` or `Return-Path: <>`): a bounce or a report.
    NullSender,
    /// A `multipart/report` message: a delivery or read report.
    DeliveryReport,
    /// `Auto-Submitted: auto-replied`: an out-of-office or similar reply.
    AutoReply,
    /// Another `Auto-Submitted` value (not `no`), and no parser took the message.
    AutoSubmitted,
    /// `Precedence: bulk`, `junk` or `list`, and no parser took the message.
    Bulk,
}

impl IgnoreReason {
    /// A stable name for logs and the submission's reason.
    pub fn as_str(&self) -> &'static str {
        match self {
            IgnoreReason::NullSender => "null_sender",
            IgnoreReason::DeliveryReport => "delivery_report",
            IgnoreReason::AutoReply => "auto_reply",
            IgnoreReason::AutoSubmitted => "auto_submitted",
            IgnoreReason::Bulk => "bulk",
        }
    }
}

impl fmt::Display for IgnoreReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The rules that ignore a message whatever the parsers say: checked before parsing.
pub fn always_ignored(message: &InboundMessage) -> Option<IgnoreReason> {
    let headers = &message.automation;
    if headers.return_path.as_deref() == Some("") {
        Some(IgnoreReason::NullSender)
    } else if headers.is_report {
        Some(IgnoreReason::DeliveryReport)
    } else if auto_submitted(message).as_deref() == Some("auto-replied") {
        Some(IgnoreReason::AutoReply)
    } else {
        None
    }
}

/// The rules for a message no parser took: `ignored` when this gives a reason, else `rejected`
/// (`no_parser`).
pub fn ignored_when_unmatched(message: &InboundMessage) -> Option<IgnoreReason> {
    if let Some(reason) = always_ignored(message) {
        return Some(reason);
    }
    if auto_submitted(message).is_some_and(|v| v != "no") {
        return Some(IgnoreReason::AutoSubmitted);
    }
    let bulk = message.automation.precedence.as_deref().is_some_and(|p| {
        let p = p.trim();
        ["bulk", "junk", "list"]
            .iter()
            .any(|b| p.eq_ignore_ascii_case(b))
    });
    bulk.then_some(IgnoreReason::Bulk)
}

/// The `Auto-Submitted` keyword in lower case, without parameters (`auto-replied; owner=...`).
fn auto_submitted(message: &InboundMessage) -> Option<String> {
    let value = message.automation.auto_submitted.as_deref()?;
    let keyword = value.split(';').next().unwrap_or_default().trim();
    Some(keyword.to_ascii_lowercase()).filter(|k| !k.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inbound::message::AutomationHeaders;

    fn with(headers: AutomationHeaders) -> InboundMessage {
        InboundMessage {
            from: Some("a@b.example".into()),
            automation: headers,
            ..Default::default()
        }
    }

    fn auto_submitted(value: &str) -> InboundMessage {
        with(AutomationHeaders {
            auto_submitted: Some(value.into()),
            ..Default::default()
        })
    }

    fn precedence(value: &str) -> InboundMessage {
        with(AutomationHeaders {
            precedence: Some(value.into()),
            ..Default::default()
        })
    }

    #[test]
    fn ordinary_mail_is_never_ignored() {
        let m = with(AutomationHeaders {
            return_path: Some("a@b.example".into()),
            ..Default::default()
        });
        assert_eq!(always_ignored(&m), None);
        assert_eq!(ignored_when_unmatched(&m), None);
    }

    #[test]
    fn null_sender_is_always_ignored() {
        let m = InboundMessage::default().with_envelope_sender("<>");
        assert_eq!(always_ignored(&m), Some(IgnoreReason::NullSender));
    }

    #[test]
    fn delivery_report_is_always_ignored() {
        let m = with(AutomationHeaders {
            is_report: true,
            ..Default::default()
        });
        assert_eq!(always_ignored(&m), Some(IgnoreReason::DeliveryReport));
    }

    #[test]
    fn auto_reply_is_always_ignored_in_any_case_and_with_parameters() {
        assert_eq!(
            always_ignored(&auto_submitted("Auto-Replied")),
            Some(IgnoreReason::AutoReply)
        );
        assert_eq!(
            always_ignored(&auto_submitted("auto-replied; owner-email=x@y.example")),
            Some(IgnoreReason::AutoReply)
        );
    }

    #[test]
    fn auto_generated_mail_is_processed_when_a_parser_takes_it() {
        assert_eq!(always_ignored(&auto_submitted("auto-generated")), None);
        assert_eq!(always_ignored(&precedence("bulk")), None);
    }

    #[test]
    fn auto_generated_mail_no_parser_takes_is_ignored() {
        assert_eq!(
            ignored_when_unmatched(&auto_submitted("auto-generated")),
            Some(IgnoreReason::AutoSubmitted)
        );
    }

    #[test]
    fn auto_submitted_no_is_ordinary_mail() {
        assert_eq!(ignored_when_unmatched(&auto_submitted("No")), None);
    }

    #[test]
    fn bulk_junk_and_list_precedence_no_parser_takes_is_ignored() {
        for p in ["bulk", "JUNK", " list "] {
            assert_eq!(
                ignored_when_unmatched(&precedence(p)),
                Some(IgnoreReason::Bulk),
                "{p}"
            );
        }
        assert_eq!(ignored_when_unmatched(&precedence("first-class")), None);
    }

    #[test]
    fn always_rules_also_hold_when_unmatched() {
        assert_eq!(
            ignored_when_unmatched(&auto_submitted("auto-replied")),
            Some(IgnoreReason::AutoReply)
        );
    }
}
