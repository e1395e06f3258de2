//! The SMTP edge: the receiving server of `crate::inbound::smtp` wired to the store. A recipient is
//! taken when it is `{token}@{inbound domain}` (domain in any case; any domain while none is
//! configured) for a lead source's inbound token; a message is stored for every recipient through
//! `service::inbound` before `250` is answered, and storage down is `451`.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tokio::net::TcpListener;

use crate::config::InboundSettings;
use crate::inbound::InboundMessage;
use crate::inbound::smtp::{
    Accept, Envelope, MessageSink, Recipients, SmtpConfig, SmtpServer, Stored, tls_acceptor,
};
use crate::service::inbound::{self as inbound_service, NotStored, Sender};
use crate::state::AppState;

/// Bind the SMTP listener when `inbound.smtp_listen` is set.
pub async fn bind(settings: &InboundSettings) -> anyhow::Result<Option<TcpListener>> {
    let Some(addr) = settings.smtp_listen() else {
        return Ok(None);
    };
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {addr} for SMTP: {e}"))?;
    Ok(Some(listener))
}

/// The server's configuration from the settings (the TLS files are read here).
pub fn config(settings: &InboundSettings) -> anyhow::Result<SmtpConfig> {
    let mut config = SmtpConfig::new(settings.smtp_hostname.clone());
    config.max_message_bytes = settings.max_bytes;
    config.max_connections = settings.smtp_max_connections.max(1);
    config.idle_timeout = Duration::from_secs(settings.smtp_idle_timeout_seconds.max(1));
    let cert = settings.smtp_tls_cert.trim();
    let key = settings.smtp_tls_key.trim();
    config.tls = match (cert.is_empty(), key.is_empty()) {
        (true, true) => None,
        (false, false) => Some(tls_acceptor(cert.as_ref(), key.as_ref())?),
        _ => anyhow::bail!("inbound.smtp_tls_cert and inbound.smtp_tls_key go together"),
    };
    Ok(config)
}

/// Serve SMTP on `listener` until `stop` turns true.
pub fn spawn(
    listener: TcpListener,
    state: AppState,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let config = config(&state.settings.inbound)?;
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(tls = config.tls.is_some(), "SMTP listening on {addr}");
    }
    let edge = Arc::new(StoreEdge { state });
    let server = SmtpServer::new(config, Arc::clone(&edge), edge);
    Ok(tokio::spawn(server.serve(listener, async move {
        let _ = stop.wait_for(|stop| *stop).await;
    })))
}

/// Recipients and storage, both from the application's state.
struct StoreEdge {
    state: AppState,
}

impl StoreEdge {
    /// The inbound token of a recipient, when its domain is the configured one.
    fn token_of<'a>(&self, recipient: &'a str) -> Option<&'a str> {
        let address = recipient
            .trim()
            .trim_start_matches('<')
            .trim_end_matches('>');
        let (local, domain) = address.rsplit_once('@')?;
        let domain_ok = self
            .state
            .settings
            .inbound
            .domain()
            .is_none_or(|d| d.eq_ignore_ascii_case(domain));
        (domain_ok && !local.is_empty()).then_some(local)
    }
}

#[async_trait]
impl Recipients for StoreEdge {
    async fn accept(&self, recipient: &str) -> Accept {
        let Some(token) = self.token_of(recipient) else {
            return Accept::Unknown;
        };
        match self.state.store.find_inbound_source(token).await {
            Ok(Some(_)) => Accept::Accept,
            Ok(None) => Accept::Unknown,
            Err(e) => {
                tracing::error!(error = %e, "could not look up an inbound address");
                Accept::Unavailable
            }
        }
    }
}

#[async_trait]
impl MessageSink for StoreEdge {
    async fn store(&self, envelope: &Envelope, raw: &[u8]) -> Stored {
        let store = self.state.store.as_ref();
        for recipient in &envelope.recipients {
            let Some(token) = self.token_of(recipient) else {
                continue;
            };
            let owner = match inbound_service::owner_of_token(store, token).await {
                Ok(Some(owner)) => owner,
                // Rotated away since RCPT: nobody to store it for.
                Ok(None) => continue,
                Err(e) => {
                    tracing::error!(error = %e, "could not look up an inbound address");
                    return Stored::Unavailable;
                }
            };
            let message = InboundMessage::parse(raw)
                .map(|m| m.with_envelope_sender(&envelope.mail_from))
                .map_err(|e| e.to_string());
            let sender = Sender {
                ip: envelope.peer.ip(),
                user_agent: None,
                request_id: None,
            };
            let pipeline = super::pipeline(&self.state);
            match inbound_service::receive_email(pipeline, owner, raw, message, sender).await {
                Ok(stored) => {
                    tracing::info!(submission_id = %stored.submission_id, outcome = stored.outcome.as_str(), "smtp message stored");
                }
                Err(NotStored::UnknownToken) => {}
                Err(NotStored::StorageUnavailable) => return Stored::Unavailable,
            }
        }
        Stored::Stored
    }
}
