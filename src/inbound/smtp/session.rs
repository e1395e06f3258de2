//! One SMTP conversation: commands read with `smtp-proto`, the transaction's state (greeting, sender,
//! recipients, message), replies buffered so a pipelining client gets them in one write, and the
//! message body dot-unstuffed and size-checked as it streams in.

use std::sync::Arc;

use smtp_proto::request::receiver::{DataReceiver, RequestReceiver};
use smtp_proto::{
    EXT_8BIT_MIME, EXT_ENHANCED_STATUS_CODES, EXT_PIPELINING, EXT_SIZE, EXT_START_TLS,
    EhloResponse, Error as ProtoError, MailFrom, RcptTo, Request, Response,
};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::{Accept, Envelope, MessageSink, Recipients, SmtpConfig, Stored};

/// Size of one socket read.
const READ_CHUNK: usize = 16 * 1024;
/// Bad commands tolerated in one connection before it is closed.
const MAX_ERRORS: usize = 20;

/// How a conversation ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Next {
    /// The client asked for TLS and got `220`: upgrade the stream, then run a fresh session.
    StartTls,
    /// QUIT, idle timeout, too many errors or the client went away.
    Close,
}

/// What the connection is doing with incoming bytes.
enum Mode {
    Commands,
    Data {
        receiver: DataReceiver,
        too_big: bool,
    },
}

/// A conversation's state.
pub struct Session<R, S> {
    config: Arc<SmtpConfig>,
    recipients: Arc<R>,
    sink: Arc<S>,
    envelope: Envelope,
    /// Whether the stream is already encrypted (no second STARTTLS).
    secure: bool,
    greeted: bool,
    sender: Option<String>,
    mode: Mode,
    data: Vec<u8>,
    out: Vec<u8>,
    errors: usize,
}

impl<R: Recipients, S: MessageSink> Session<R, S> {
    pub fn new(
        config: Arc<SmtpConfig>,
        recipients: Arc<R>,
        sink: Arc<S>,
        envelope: Envelope,
        secure: bool,
    ) -> Self {
        Session {
            config,
            recipients,
            sink,
            envelope,
            secure,
            greeted: false,
            sender: None,
            mode: Mode::Commands,
            data: Vec::new(),
            out: Vec::new(),
            errors: 0,
        }
    }

    /// Write the `220` greeting.
    pub async fn greet<IO: AsyncWrite + Unpin>(&mut self, io: &mut IO) -> std::io::Result<()> {
        let greeting = format!("220 {} ESMTP leadpost ready\r\n", self.config.hostname);
        io.write_all(greeting.as_bytes()).await?;
        io.flush().await
    }

    /// Serve commands until the conversation ends; I/O errors end it too.
    pub async fn run<IO: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        io: &mut IO,
    ) -> std::io::Result<Next> {
        let mut requests = RequestReceiver::default();
        let mut buf = vec![0u8; READ_CHUNK];
        loop {
            let read = tokio::time::timeout(self.config.idle_timeout, io.read(&mut buf)).await;
            let n = match read {
                Err(_) => {
                    self.reply(421, [4, 4, 2], "Idle timeout, closing connection");
                    io.write_all(&self.out).await?;
                    return Ok(Next::Close);
                }
                Ok(result) => result?,
            };
            if n == 0 {
                return Ok(Next::Close);
            }
            let mut bytes = buf[..n].iter();
            let next = self.ingest(&mut requests, &mut bytes).await;
            io.write_all(&self.out).await?;
            io.flush().await?;
            self.out.clear();
            if let Some(next) = next {
                return Ok(next);
            }
        }
    }

    /// Handle every complete command or body in `bytes`; replies go to `self.out`.
    async fn ingest(
        &mut self,
        requests: &mut RequestReceiver,
        bytes: &mut std::slice::Iter<'_, u8>,
    ) -> Option<Next> {
        loop {
            if let Mode::Data { receiver, too_big } = &mut self.mode {
                let done = receiver.ingest(bytes, &mut self.data);
                if self.data.len() > self.config.max_message_bytes {
                    *too_big = true;
                }
                if *too_big {
                    self.data.clear();
                }
                if !done {
                    return None;
                }
                let too_big = *too_big;
                self.mode = Mode::Commands;
                self.finish_data(too_big).await;
                continue;
            }
            if bytes.as_slice().is_empty() {
                return None;
            }
            let request = match requests.ingest(bytes) {
                Ok(request) => request.into_owned(),
                Err(ProtoError::NeedsMoreData { .. }) => return None,
                Err(e) => {
                    self.refuse(e);
                    if self.errors >= MAX_ERRORS {
                        self.reply(421, [4, 7, 0], "Too many errors, closing connection");
                        return Some(Next::Close);
                    }
                    continue;
                }
            };
            if let Some(next) = self.command(request).await {
                return Some(next);
            }
        }
    }

    async fn command(&mut self, request: Request<String>) -> Option<Next> {
        match request {
            Request::Ehlo { host } => self.ehlo(host),
            Request::Helo { host } => {
                self.greeted = true;
                self.envelope.helo = host;
                self.reset();
                let text = format!("{} greets you", self.config.hostname);
                self.reply(250, [2, 0, 0], &text);
            }
            Request::Mail { from } => self.mail(from),
            Request::Rcpt { to } => self.rcpt(to).await,
            Request::Data => self.data_start(),
            Request::Rset => {
                self.reset();
                self.reply(250, [2, 0, 0], "OK");
            }
            Request::Noop { .. } => self.reply(250, [2, 0, 0], "OK"),
            Request::Quit => {
                self.reply(221, [2, 0, 0], "Bye");
                return Some(Next::Close);
            }
            Request::StartTls => return self.starttls(),
            other => {
                let text = format!("{} is not implemented", other.name());
                self.reply(502, [5, 5, 1], &text);
            }
        }
        None
    }

    fn ehlo(&mut self, host: String) {
        self.greeted = true;
        self.envelope.helo = host;
        self.reset();
        let mut ehlo = EhloResponse::new(self.config.hostname.as_str());
        ehlo.capabilities = EXT_SIZE | EXT_PIPELINING | EXT_8BIT_MIME | EXT_ENHANCED_STATUS_CODES;
        if self.config.tls.is_some() && !self.secure {
            ehlo.capabilities |= EXT_START_TLS;
        }
        ehlo.size = self.config.max_message_bytes;
        // Writing into a Vec cannot fail.
        let _ = ehlo.write(&mut self.out);
    }

    fn mail(&mut self, from: MailFrom<String>) {
        if !self.greeted {
            self.reply(503, [5, 5, 1], "Send EHLO or HELO first");
        } else if self.sender.is_some() {
            self.reply(503, [5, 5, 1], "Sender already given; RSET first");
        } else if from.size > self.config.max_message_bytes {
            self.reply(552, [5, 3, 4], "Message too big");
        } else {
            self.sender = Some(from.address);
            self.reply(250, [2, 1, 0], "Sender OK");
        }
    }

    async fn rcpt(&mut self, to: RcptTo<String>) {
        if self.sender.is_none() {
            self.reply(503, [5, 5, 1], "Send MAIL first");
            return;
        }
        if self.envelope.recipients.len() >= self.config.max_recipients {
            self.reply(452, [4, 5, 3], "Too many recipients");
            return;
        }
        match self.recipients.accept(&to.address).await {
            Accept::Accept => {
                self.envelope.recipients.push(to.address);
                self.reply(250, [2, 1, 5], "Recipient OK");
            }
            Accept::Unknown => self.reply(550, [5, 1, 1], "No such recipient"),
            Accept::Unavailable => {
                self.reply(451, [4, 3, 0], "Temporarily unable to check the recipient")
            }
        }
    }

    fn data_start(&mut self) {
        if self.sender.is_none() {
            self.reply(503, [5, 5, 1], "Send MAIL first");
        } else if self.envelope.recipients.is_empty() {
            self.reply(503, [5, 5, 1], "No valid recipients");
        } else {
            self.out
                .extend_from_slice(b"354 Start mail input; end with <CRLF>.<CRLF>\r\n");
            let mut receiver = DataReceiver::new();
            // The body starts a line: prime the receiver with the CRLF that ended DATA, so a
            // leading "." is read as dot-stuffing or the end, then drop those two bytes.
            receiver.ingest(&mut b"\r\n".iter(), &mut self.data);
            self.data.clear();
            self.mode = Mode::Data {
                receiver,
                too_big: false,
            };
        }
    }

    async fn finish_data(&mut self, too_big: bool) {
        if too_big {
            self.reply(552, [5, 3, 4], "Message too big");
        } else {
            self.envelope.mail_from = self.sender.clone().unwrap_or_default();
            let raw = std::mem::take(&mut self.data);
            match self.sink.store(&self.envelope, &raw).await {
                Stored::Stored => self.reply(250, [2, 0, 0], "Message accepted"),
                Stored::Unavailable => {
                    self.reply(451, [4, 3, 0], "Temporarily unable to accept the message")
                }
            }
        }
        self.reset();
    }

    fn starttls(&mut self) -> Option<Next> {
        if self.config.tls.is_none() {
            self.reply(502, [5, 5, 1], "STARTTLS is not offered");
            None
        } else if self.secure {
            self.reply(503, [5, 5, 1], "TLS is already active");
            None
        } else {
            self.reply(220, [2, 0, 0], "Ready to start TLS");
            Some(Next::StartTls)
        }
    }

    fn refuse(&mut self, error: ProtoError) {
        self.errors += 1;
        let (code, esc, text) = match error {
            ProtoError::UnknownCommand => (500, [5, 5, 1], "Unknown command".to_string()),
            ProtoError::InvalidSenderAddress => (501, [5, 1, 7], "Invalid sender address".into()),
            ProtoError::InvalidRecipientAddress => {
                (501, [5, 1, 3], "Invalid recipient address".into())
            }
            ProtoError::SyntaxError { syntax } => (501, [5, 5, 2], format!("Syntax: {syntax}")),
            ProtoError::InvalidParameter { param } => {
                (501, [5, 5, 4], format!("Invalid parameter {param}"))
            }
            ProtoError::UnsupportedParameter { param } => {
                (504, [5, 5, 4], format!("Unsupported parameter {param}"))
            }
            ProtoError::ResponseTooLong => (500, [5, 5, 6], "Line too long".into()),
            _ => (500, [5, 5, 1], "Unknown command".into()),
        };
        self.reply(code, esc, &text);
    }

    /// End the mail transaction (the greeting stays).
    fn reset(&mut self) {
        self.sender = None;
        self.envelope.mail_from.clear();
        self.envelope.recipients.clear();
        self.data.clear();
    }

    fn reply(&mut self, code: u16, esc: [u8; 3], text: &str) {
        // Writing into a Vec cannot fail.
        let _ = Response::new(code, esc[0], esc[1], esc[2], text).write(&mut self.out);
    }
}
