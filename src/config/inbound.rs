//! `[inbound]`: leads by email, over HTTP and the optional receiving SMTP server.

use serde::Deserialize;

/// `[inbound]`
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct InboundSettings {
    /// The domain of `{token}@{domain}` addresses; empty: none.
    pub domain: String,
    /// Largest inbound message (413 over HTTP, 552 over SMTP).
    pub max_bytes: usize,
    /// `host:port` of the SMTP listener; empty: off.
    pub smtp_listen: String,
    /// The name the SMTP server greets with.
    pub smtp_hostname: String,
    /// PEM certificate chain for STARTTLS (with `smtp_tls_key`).
    pub smtp_tls_cert: String,
    /// PEM private key for STARTTLS.
    pub smtp_tls_key: String,
    /// SMTP connections open at once.
    pub smtp_max_connections: usize,
    /// Seconds an SMTP client may stay silent.
    pub smtp_idle_timeout_seconds: u64,
}

impl Default for InboundSettings {
    fn default() -> Self {
        InboundSettings {
            domain: String::new(),
            max_bytes: 1024 * 1024,
            smtp_listen: String::new(),
            smtp_hostname: "leadpost".into(),
            smtp_tls_cert: String::new(),
            smtp_tls_key: String::new(),
            smtp_max_connections: 100,
            smtp_idle_timeout_seconds: 300,
        }
    }
}

impl InboundSettings {
    /// The inbound domain, when one is configured.
    pub fn domain(&self) -> Option<&str> {
        Some(self.domain.trim()).filter(|d| !d.is_empty())
    }

    /// The SMTP listener's address, when one is configured.
    pub fn smtp_listen(&self) -> Option<&str> {
        Some(self.smtp_listen.trim()).filter(|d| !d.is_empty())
    }
}
