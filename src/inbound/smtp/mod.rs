//! A receiving SMTP server for inbound leads. It speaks EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP,
//! QUIT and STARTTLS (when a certificate is configured), advertises SIZE, PIPELINING and 8BITMIME,
//! closes idle connections and caps how many are open. Which recipients exist and where a message
//! goes are the app's business, behind the [`Recipients`] and [`MessageSink`] traits: `250` after
//! DATA is only sent once the sink has stored the message.

mod session;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::{self, ServerConfig};
use tracing::Instrument;

use session::{Next, Session};

/// Whether a recipient address is one this server takes mail for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accept {
    Accept,
    /// `550 5.1.1`.
    Unknown,
    /// The lookup failed (storage down): `451`, so the sender retries.
    Unavailable,
}

/// What became of a message handed to the sink.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// Durably stored: `250`.
    Stored,
    /// Storage is down: `451`, so the sender retries.
    Unavailable,
}

/// Decides, at RCPT time, which recipients are taken.
#[async_trait]
pub trait Recipients: Send + Sync + 'static {
    async fn accept(&self, recipient: &str) -> Accept;
}

/// Stores a received message for every accepted recipient of its envelope.
#[async_trait]
pub trait MessageSink: Send + Sync + 'static {
    async fn store(&self, envelope: &Envelope, raw: &[u8]) -> Stored;
}

/// The SMTP envelope of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// The connecting peer (for blocked IPs and the log).
    pub peer: SocketAddr,
    /// The name the client gave in EHLO/HELO.
    pub helo: String,
    /// The reverse path without angle brackets; empty is the null sender (`MAIL FROM:<>`).
    pub mail_from: String,
    /// The accepted recipients, as given.
    pub recipients: Vec<String>,
}

/// How the server behaves.
#[derive(Clone)]
pub struct SmtpConfig {
    /// The name in the greeting and the EHLO reply.
    pub hostname: String,
    /// Largest message accepted (`552` over it; advertised as SIZE).
    pub max_message_bytes: usize,
    /// Most recipients in one transaction (`452` past it).
    pub max_recipients: usize,
    /// Open connections at once; one more is told `421` and closed.
    pub max_connections: usize,
    /// A connection silent this long is told `421` and closed.
    pub idle_timeout: Duration,
    /// STARTTLS is offered when set.
    pub tls: Option<TlsAcceptor>,
}

impl SmtpConfig {
    /// Defaults for `hostname`: 1 MiB messages, 1,000 recipients, 100 connections, 5 minutes idle
    /// (the RFC 5321 minimum for a server), no TLS.
    pub fn new(hostname: impl Into<String>) -> Self {
        SmtpConfig {
            hostname: hostname.into(),
            max_message_bytes: 1024 * 1024,
            max_recipients: 1_000,
            max_connections: 100,
            idle_timeout: Duration::from_secs(300),
            tls: None,
        }
    }
}

/// Why the server could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum SmtpError {
    #[error("reading the TLS certificate {path}: {reason}")]
    Certificate { path: String, reason: String },
    #[error("reading the TLS private key {path}: {reason}")]
    Key { path: String, reason: String },
    #[error("the TLS certificate and key do not make a server configuration: {0}")]
    Tls(#[from] rustls::Error),
}

/// A TLS acceptor from a PEM certificate chain and a PEM private key.
pub fn tls_acceptor(cert_path: &Path, key_path: &Path) -> Result<TlsAcceptor, SmtpError> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert_path)
        .and_then(|certs| certs.collect())
        .map_err(|e| SmtpError::Certificate {
            path: cert_path.display().to_string(),
            reason: e.to_string(),
        })?;
    if certs.is_empty() {
        return Err(SmtpError::Certificate {
            path: cert_path.display().to_string(),
            reason: "no certificate in the file".into(),
        });
    }
    let key = PrivateKeyDer::from_pem_file(key_path).map_err(|e| SmtpError::Key {
        path: key_path.display().to_string(),
        reason: e.to_string(),
    })?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certs, key)?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// The server: configuration and the app's two traits.
pub struct SmtpServer<R, S> {
    config: Arc<SmtpConfig>,
    recipients: Arc<R>,
    sink: Arc<S>,
}

impl<R: Recipients, S: MessageSink> SmtpServer<R, S> {
    pub fn new(config: SmtpConfig, recipients: Arc<R>, sink: Arc<S>) -> Self {
        SmtpServer {
            config: Arc::new(config),
            recipients,
            sink,
        }
    }

    /// Accept connections on `listener` until `shutdown` completes; conversations under way are
    /// left to finish on their own tasks.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl std::future::Future<Output = ()>,
    ) {
        let slots = Arc::new(Semaphore::new(self.config.max_connections));
        tokio::pin!(shutdown);
        loop {
            let (stream, peer) = tokio::select! {
                _ = &mut shutdown => return,
                accepted = listener.accept() => match accepted {
                    Ok(pair) => pair,
                    Err(e) => {
                        tracing::warn!(error = %e, "smtp accept failed");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                },
            };
            let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
                tokio::spawn(refuse_busy(stream));
                continue;
            };
            let span = tracing::info_span!("smtp", %peer);
            let conversation = self.conversation(stream, peer);
            tokio::spawn(
                async move {
                    if let Err(e) = conversation.await {
                        tracing::debug!(error = %e, "smtp connection ended");
                    }
                    drop(slot);
                }
                .instrument(span),
            );
        }
    }

    /// One connection: the plain conversation, then, after STARTTLS, a fresh one over TLS.
    fn conversation(
        &self,
        mut stream: TcpStream,
        peer: SocketAddr,
    ) -> impl std::future::Future<Output = std::io::Result<()>> + Send + 'static {
        let config = Arc::clone(&self.config);
        let recipients = Arc::clone(&self.recipients);
        let sink = Arc::clone(&self.sink);
        async move {
            let envelope = Envelope {
                peer,
                helo: String::new(),
                mail_from: String::new(),
                recipients: Vec::new(),
            };
            let new_session = |secure| {
                Session::new(
                    Arc::clone(&config),
                    Arc::clone(&recipients),
                    Arc::clone(&sink),
                    envelope.clone(),
                    secure,
                )
            };
            let mut plain = new_session(false);
            plain.greet(&mut stream).await?;
            if plain.run(&mut stream).await? != Next::StartTls {
                return Ok(());
            }
            let Some(acceptor) = config.tls.clone() else {
                return Ok(());
            };
            let handshake = acceptor.accept(stream);
            let mut tls = tokio::time::timeout(config.idle_timeout, handshake)
                .await
                .map_err(|_| {
                    std::io::Error::new(std::io::ErrorKind::TimedOut, "TLS handshake")
                })??;
            // After TLS the client greets again; nothing said before it carries over.
            new_session(true).run(&mut tls).await?;
            Ok(())
        }
    }
}

/// Over the connection cap: say so and close.
async fn refuse_busy(mut stream: TcpStream) {
    let _ = stream
        .write_all(b"421 4.3.2 Too many connections, try again later\r\n")
        .await;
    let _ = stream.shutdown().await;
}
