//! `autoreply` jobs: the lead source's autoresponder, rendered over the lead's webhook context and
//! mailed to the lead — From `notify.smtp_from`, To the lead, Reply-To the owner's email (left out
//! when the account has none), a text/plain body. Without SMTP the job is skipped; the 24-hour
//! limit was decided when the job was queued (`src/store/hearing.rs`).

use lettre::Message;
use lettre::message::{Mailbox, header::ContentType};

use super::Worker;
use crate::actions::autoreply::RenderedReply;
use crate::actions::template;
use crate::attempt::AttemptResult;
use crate::notify;
use crate::store::{Autoresponder, StoreError};

/// The autoreply mail: From, To the lead, Reply-To the owner when there is one, text/plain body.
pub fn compose(
    reply: RenderedReply,
    from: &Mailbox,
    to: &str,
    reply_to: Option<&str>,
) -> Result<Message, String> {
    let to: Mailbox = to
        .trim()
        .parse()
        .map_err(|e| format!("the lead's email {to:?} cannot be used: {e}"))?;
    let mut builder = Message::builder().from(from.clone()).to(to);
    if let Some(owner) = reply_to.map(str::trim).filter(|e| !e.is_empty()) {
        match owner.parse::<Mailbox>() {
            Ok(mailbox) => builder = builder.reply_to(mailbox),
            Err(e) => tracing::warn!(error = %e, "the owner email cannot be a Reply-To; left out"),
        }
    }
    builder
        .subject(reply.subject.replace("=?", "= ?"))
        .header(ContentType::TEXT_PLAIN)
        .body(reply.body)
        .map_err(|e| format!("cannot build the autoreply: {e}"))
}

impl Worker {
    /// Mail the lead source's autoresponder to the job's client.
    pub(super) async fn attempt_autoreply(&self, job: &crate::store::Job) -> AttemptResult {
        let Some(smtp) = &self.notifier.smtp else {
            return AttemptResult::skipped(super::NO_SMTP);
        };
        let (context, account) = match self.owner_context(job).await {
            Ok(found) => found,
            Err(failed) => return failed,
        };
        let Some(to) = context.client.fields.email().map(str::to_string) else {
            return AttemptResult::skipped("the lead has no email");
        };
        let autoresponder = match self.autoresponder_of(&context).await {
            Ok(Some(found)) => found,
            Ok(None) => return AttemptResult::skipped("the lead source has no autoresponder now"),
            Err(failed) => return failed,
        };
        let reply = match autoresponder.render(&template::context(&context)) {
            Ok(reply) => reply,
            Err(e) => return AttemptResult::permanent(e.to_string()),
        };
        let message = match compose(reply, &smtp.from, &to, account.owner_email.as_deref()) {
            Ok(m) => m,
            Err(e) => return AttemptResult::permanent(e),
        };
        notify::email::send(smtp, message).await
    }

    /// The autoresponder of the lead's source as it is now.
    async fn autoresponder_of(
        &self,
        context: &crate::store::DeliveryContext,
    ) -> Result<Option<Autoresponder>, AttemptResult> {
        let Some(source) = &context.lead_source else {
            return Ok(None);
        };
        match self
            .store
            .get_lead_source(context.account.id, source.id)
            .await
        {
            Ok(source) => Ok(source.autoresponder),
            Err(StoreError::NotFound) => Ok(None),
            Err(e) => Err(AttemptResult::transient(format!("storage: {e}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply() -> RenderedReply {
        RenderedReply {
            subject: "Thanks".into(),
            body: "Hello".into(),
        }
    }

    fn from() -> Mailbox {
        "leads@example.com".parse().expect("mailbox")
    }

    #[test]
    fn the_owner_is_the_reply_to() {
        let message = compose(
            reply(),
            &from(),
            "ann@example.com",
            Some("owner@example.com"),
        )
        .expect("composed");
        let text = String::from_utf8(message.formatted()).expect("utf-8");
        assert!(text.contains("Reply-To: owner@example.com"), "{text}");
        assert!(text.contains("To: ann@example.com"), "{text}");
        assert!(text.contains("Content-Type: text/plain"), "{text}");
    }

    #[test]
    fn without_an_owner_email_there_is_no_reply_to() {
        let message = compose(reply(), &from(), "ann@example.com", None).expect("composed");
        let text = String::from_utf8(message.formatted()).expect("utf-8");
        assert!(!text.contains("Reply-To"), "{text}");
    }
}
