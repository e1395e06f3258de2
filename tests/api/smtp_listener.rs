//! The inbound SMTP listener on a loopback port with an in-memory sink: a real client (lettre),
//! then raw socket conversations for each reply code, pipelining, many recipients, big and broken
//! input and slow or idle clients.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use leadpost::inbound::smtp::{
    Accept, Envelope, MessageSink, Recipients, SmtpConfig, SmtpServer, Stored, tls_acceptor,
};
use lettre::message::Mailbox;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::{Mutex, oneshot};

/// The inbound domain of these tests; recipients whose local part starts with `tok` exist.
const DOMAIN: &str = "in.example";

struct Tokens;

#[async_trait]
impl Recipients for Tokens {
    async fn accept(&self, recipient: &str) -> Accept {
        match recipient.rsplit_once('@') {
            Some((local, domain))
                if local.starts_with("tok") && domain.eq_ignore_ascii_case(DOMAIN) =>
            {
                Accept::Accept
            }
            _ => Accept::Unknown,
        }
    }
}

/// Keeps messages in memory; `down` makes it answer as a store that is unreachable.
#[derive(Default)]
struct MemorySink {
    stored: Mutex<Vec<(Envelope, Vec<u8>)>>,
    down: AtomicBool,
}

#[async_trait]
impl MessageSink for MemorySink {
    async fn store(&self, envelope: &Envelope, raw: &[u8]) -> Stored {
        if self.down.load(Ordering::SeqCst) {
            return Stored::Unavailable;
        }
        self.stored
            .lock()
            .await
            .push((envelope.clone(), raw.to_vec()));
        Stored::Stored
    }
}

impl MemorySink {
    async fn messages(&self) -> Vec<(Envelope, Vec<u8>)> {
        self.stored.lock().await.clone()
    }
}

/// A running listener; dropping it stops accepting.
struct Listener {
    port: u16,
    sink: Arc<MemorySink>,
    _stop: oneshot::Sender<()>,
}

fn config() -> SmtpConfig {
    SmtpConfig::new("mx.test")
}

async fn listen(config: SmtpConfig) -> Listener {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let port = listener.local_addr().expect("address").port();
    let sink = Arc::new(MemorySink::default());
    let server = SmtpServer::new(config, Arc::new(Tokens), Arc::clone(&sink));
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(server.serve(listener, async {
        let _ = stopped.await;
    }));
    Listener {
        port,
        sink,
        _stop: stop,
    }
}

/// A raw SMTP client that reads whole (possibly multi-line) replies.
struct Client {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
}

impl Client {
    async fn connect(listener: &Listener) -> Client {
        let (read, writer) = TcpStream::connect(("127.0.0.1", listener.port))
            .await
            .expect("connect")
            .into_split();
        Client {
            reader: BufReader::new(read),
            writer,
        }
    }

    /// Connect and read the greeting.
    async fn greeted(listener: &Listener) -> Client {
        let mut client = Client::connect(listener).await;
        assert!(client.reply().await.starts_with("220 "));
        client
    }

    /// Connect and say EHLO.
    async fn after_ehlo(listener: &Listener) -> Client {
        let mut client = Client::greeted(listener).await;
        client.expect("EHLO client.test", "250").await;
        client
    }

    /// Connect, say EHLO, and open a transaction for one good recipient.
    async fn in_transaction(listener: &Listener) -> Client {
        let mut client = Client::after_ehlo(listener).await;
        client.expect("MAIL FROM:<vendor@leads.test>", "250").await;
        client.expect("RCPT TO:<tok1@in.example>", "250").await;
        client
    }

    async fn write(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).await.expect("write");
    }

    /// The next reply, all its lines joined with `\n`; empty when the server closed.
    async fn reply(&mut self) -> String {
        let mut lines = Vec::new();
        loop {
            let mut line = String::new();
            let n = tokio::time::timeout(Duration::from_secs(30), self.reader.read_line(&mut line))
                .await
                .expect("a reply in time")
                .expect("read");
            if n == 0 {
                break;
            }
            let line = line.trim_end().to_string();
            let last = line.as_bytes().get(3) != Some(&b'-');
            lines.push(line);
            if last {
                break;
            }
        }
        lines.join("\n")
    }

    /// Send one command and check the reply starts with `code`; returns the reply.
    async fn expect(&mut self, command: &str, code: &str) -> String {
        self.write(format!("{command}\r\n").as_bytes()).await;
        let reply = self.reply().await;
        assert!(reply.starts_with(code), "{command} → {reply}");
        reply
    }

    /// Send DATA, the body (dot-stuffed by the caller) and the final dot on a line of its own;
    /// returns the final reply.
    async fn data(&mut self, body: &[u8]) -> String {
        self.expect("DATA", "354").await;
        self.write(body).await;
        let end: &[u8] = if body.ends_with(b"\r\n") {
            b".\r\n"
        } else {
            b"\r\n.\r\n"
        };
        self.write(end).await;
        self.reply().await
    }
}

const BODY: &[u8] = b"From: vendor@leads.test\r\nSubject: Lead\r\n\r\nName: Ann Lee\r\n";

#[tokio::test]
async fn lettre_delivers_a_message_that_is_stored_once() {
    let listener = listen(config()).await;
    let mailer = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(listener.port)
        .build();
    let from: Mailbox = "Vendor <vendor@leads.test>".parse().expect("from");
    let email = Message::builder()
        .from(from)
        .to("tok1@in.example".parse().expect("to"))
        .to("tok2@IN.EXAMPLE".parse().expect("to"))
        .subject("New lead")
        .body("Name: Ann Lee\n.Phone: 8015551234\n".to_string())
        .expect("message");
    mailer.send(email).await.expect("accepted");

    let messages = listener.sink.messages().await;
    assert_eq!(messages.len(), 1);
    let (envelope, raw) = &messages[0];
    assert_eq!(envelope.mail_from, "vendor@leads.test");
    assert_eq!(envelope.recipients, ["tok1@in.example", "tok2@IN.EXAMPLE"]);
    assert!(envelope.peer.ip().is_loopback());
    let text = String::from_utf8_lossy(raw);
    assert!(text.contains("Subject: New lead"), "{text}");
    assert!(text.contains("\r\n.Phone: 8015551234"), "{text}");
}

#[tokio::test]
async fn ehlo_advertises_size_pipelining_and_8bitmime_but_no_starttls_without_a_certificate() {
    let listener = listen(config()).await;
    let mut client = Client::greeted(&listener).await;
    let reply = client.expect("EHLO client.test", "250").await;
    assert!(reply.contains(&format!("SIZE {}", 1024 * 1024)), "{reply}");
    assert!(reply.contains("PIPELINING"), "{reply}");
    assert!(reply.contains("8BITMIME"), "{reply}");
    assert!(!reply.contains("STARTTLS"), "{reply}");
    client.expect("STARTTLS", "502").await;
}

#[tokio::test]
async fn helo_is_answered_250() {
    let listener = listen(config()).await;
    let mut client = Client::greeted(&listener).await;
    client.expect("HELO client.test", "250").await;
    client.expect("MAIL FROM:<a@b.test>", "250").await;
}

#[tokio::test]
async fn unknown_recipient_gets_550_5_1_1_and_others_are_still_taken() {
    let listener = listen(config()).await;
    let mut client = Client::after_ehlo(&listener).await;
    client.expect("MAIL FROM:<a@b.test>", "250").await;
    client
        .expect("RCPT TO:<nobody@in.example>", "550 5.1.1")
        .await;
    client
        .expect("RCPT TO:<tok9@other.example>", "550 5.1.1")
        .await;
    client.expect("RCPT TO:<tok9@in.example>", "250").await;
    assert!(client.data(BODY).await.starts_with("250"));
    let messages = listener.sink.messages().await;
    assert_eq!(messages[0].0.recipients, ["tok9@in.example"]);
}

#[tokio::test]
async fn commands_out_of_sequence_get_503() {
    let listener = listen(config()).await;
    let mut client = Client::greeted(&listener).await;
    client.expect("MAIL FROM:<a@b.test>", "503").await;
    client.expect("EHLO client.test", "250").await;
    client.expect("RCPT TO:<tok1@in.example>", "503").await;
    client.expect("DATA", "503").await;
    client.expect("MAIL FROM:<a@b.test>", "250").await;
    client.expect("MAIL FROM:<a@b.test>", "503").await;
    client.expect("DATA", "503").await;
}

#[tokio::test]
async fn unknown_command_gets_500_and_unimplemented_502() {
    let listener = listen(config()).await;
    let mut client = Client::greeted(&listener).await;
    client.expect("FOO bar", "500").await;
    client.expect("VRFY someone", "502").await;
    client.expect("MAIL TO nowhere", "501").await;
    client.expect("NOOP", "250").await;
}

#[tokio::test]
async fn declared_size_over_the_limit_gets_552() {
    let listener = listen(config()).await;
    let mut client = Client::after_ehlo(&listener).await;
    client
        .expect("MAIL FROM:<a@b.test> SIZE=2000000", "552")
        .await;
    client.expect("MAIL FROM:<a@b.test> SIZE=1000", "250").await;
}

#[tokio::test]
async fn a_10_mb_message_gets_552_after_it_is_read_and_the_connection_goes_on() {
    let listener = listen(config()).await;
    let mut client = Client::in_transaction(&listener).await;
    let line = format!("{}\r\n", "x".repeat(998));
    let body = line.repeat(10 * 1024 * 1024 / line.len());
    assert!(client.data(body.as_bytes()).await.starts_with("552"));
    assert!(listener.sink.messages().await.is_empty());
    client.expect("NOOP", "250").await;
    client.expect("MAIL FROM:<a@b.test>", "250").await;
}

#[tokio::test]
async fn a_message_within_a_raised_limit_is_taken_whole() {
    let mut config = config();
    config.max_message_bytes = 16 * 1024 * 1024;
    let listener = listen(config).await;
    let mut client = Client::in_transaction(&listener).await;
    let line = format!("{}\r\n", "y".repeat(998));
    let body = line.repeat(10 * 1024 * 1024 / line.len());
    assert!(client.data(body.as_bytes()).await.starts_with("250"));
    let messages = listener.sink.messages().await;
    assert_eq!(messages[0].1.len(), body.len());
}

#[tokio::test]
async fn storage_down_gets_451_then_the_retry_is_accepted() {
    let listener = listen(config()).await;
    listener.sink.down.store(true, Ordering::SeqCst);
    let mut client = Client::in_transaction(&listener).await;
    assert!(client.data(BODY).await.starts_with("451"));
    assert!(listener.sink.messages().await.is_empty());

    listener.sink.down.store(false, Ordering::SeqCst);
    client.expect("MAIL FROM:<vendor@leads.test>", "250").await;
    client.expect("RCPT TO:<tok1@in.example>", "250").await;
    assert!(client.data(BODY).await.starts_with("250"));
    assert_eq!(listener.sink.messages().await.len(), 1);
}

#[tokio::test]
async fn rset_ends_the_transaction_and_quit_says_goodbye() {
    let listener = listen(config()).await;
    let mut client = Client::in_transaction(&listener).await;
    client.expect("RSET", "250").await;
    client.expect("DATA", "503").await;
    client.expect("QUIT", "221").await;
    assert_eq!(client.reply().await, "");
}

#[tokio::test]
async fn dot_stuffed_lines_are_unstuffed() {
    let listener = listen(config()).await;
    let mut client = Client::in_transaction(&listener).await;
    let reply = client
        .data(b"Subject: s\r\n\r\n..starts with a dot\r\n.\r\n..\r\nend")
        .await;
    // The lone "." line ends the message; what follows is read as commands.
    assert!(reply.starts_with("250"), "{reply}");
    assert!(client.reply().await.starts_with("500"));
    let messages = listener.sink.messages().await;
    assert_eq!(messages[0].1, b"Subject: s\r\n\r\n.starts with a dot\r\n");
}

#[tokio::test]
async fn a_pipelined_transaction_gets_its_replies_in_order() {
    let listener = listen(config()).await;
    let mut client = Client::after_ehlo(&listener).await;
    client
        .write(b"MAIL FROM:<a@b.test>\r\nRCPT TO:<tok1@in.example>\r\nRCPT TO:<x@in.example>\r\nRCPT TO:<tok2@in.example>\r\nDATA\r\n")
        .await;
    let replies = [
        client.reply().await,
        client.reply().await,
        client.reply().await,
        client.reply().await,
        client.reply().await,
    ];
    let codes: Vec<&str> = replies.iter().map(|r| &r[..3]).collect();
    assert_eq!(codes, ["250", "250", "550", "250", "354"]);
    client
        .write(b"Subject: p\r\n\r\nbody\r\n.\r\nNOOP\r\nQUIT\r\n")
        .await;
    assert!(client.reply().await.starts_with("250"));
    assert!(client.reply().await.starts_with("250"));
    assert!(client.reply().await.starts_with("221"));
    let messages = listener.sink.messages().await;
    assert_eq!(
        messages[0].0.recipients,
        ["tok1@in.example", "tok2@in.example"]
    );
}

#[tokio::test]
async fn a_thousand_recipients_are_each_handled() {
    let listener = listen(config()).await;
    let mut client = Client::after_ehlo(&listener).await;
    let mut commands = String::from("MAIL FROM:<a@b.test>\r\n");
    for i in 0..1_000 {
        commands.push_str(&format!("RCPT TO:<tok{i}@in.example>\r\n"));
    }
    commands.push_str("RCPT TO:<tok-extra@in.example>\r\n");
    client.write(commands.as_bytes()).await;
    assert!(client.reply().await.starts_with("250"));
    for _ in 0..1_000 {
        assert!(client.reply().await.starts_with("250"));
    }
    assert!(client.reply().await.starts_with("452"));
    assert!(client.data(BODY).await.starts_with("250"));
    let messages = listener.sink.messages().await;
    assert_eq!(messages[0].0.recipients.len(), 1_000);
}

/// Bytes that look random, without line feeds.
fn garbage(len: usize, seed: u32) -> Vec<u8> {
    (0..len as u32)
        .map(|i| (i.wrapping_add(seed).wrapping_mul(2_654_435_761) >> 13) as u8)
        .map(|b| if b == b'\n' { b'x' } else { b })
        .collect()
}

#[tokio::test]
async fn a_line_of_binary_garbage_gets_5xx_and_the_session_goes_on() {
    let listener = listen(config()).await;
    let mut client = Client::greeted(&listener).await;
    let mut line = garbage(3_000, 7);
    line.extend_from_slice(b"\r\nNOOP\r\n");
    client.write(&line).await;
    loop {
        let reply = client.reply().await;
        if reply.starts_with("250") {
            break;
        }
        assert!(reply.starts_with('5'), "{reply}");
    }
}

#[tokio::test]
async fn a_line_longer_than_the_limit_gets_500() {
    let listener = listen(config()).await;
    let mut client = Client::greeted(&listener).await;
    let mut line = vec![b'A'; 10_000];
    line.extend_from_slice(b"\r\nNOOP\r\n");
    client.write(&line).await;
    assert!(client.reply().await.starts_with("500"));
    loop {
        let reply = client.reply().await;
        if reply.starts_with("250") {
            break;
        }
        assert!(reply.starts_with('5'), "{reply}");
    }
}

#[tokio::test]
async fn endless_garbage_is_closed_with_421_and_the_server_keeps_serving() {
    let listener = listen(config()).await;
    let mut client = Client::greeted(&listener).await;
    let mut lines = Vec::new();
    for i in 0..25 {
        lines.extend_from_slice(&garbage(40, i));
        lines.extend_from_slice(b"\r\n");
    }
    client.write(&lines).await;
    let mut last = String::new();
    loop {
        let reply = client.reply().await;
        if reply.is_empty() {
            break;
        }
        assert!(
            reply.starts_with('5') || reply.starts_with("421"),
            "{reply}"
        );
        last = reply;
    }
    assert!(last.starts_with("421"), "{last}");
    let mut next = Client::greeted(&listener).await;
    next.expect("NOOP", "250").await;
}

#[tokio::test]
async fn a_slow_client_is_served() {
    let listener = listen(config()).await;
    let mut client = Client::greeted(&listener).await;
    for byte in b"EHLO slow.test\r\n" {
        client.write(&[*byte]).await;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(client.reply().await.starts_with("250"));
    client.expect("MAIL FROM:<a@b.test>", "250").await;
    client.expect("RCPT TO:<tok1@in.example>", "250").await;
    client.expect("DATA", "354").await;
    for chunk in BODY.chunks(7) {
        client.write(chunk).await;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    client.write(b".\r\n").await;
    assert!(client.reply().await.starts_with("250"));
    assert_eq!(listener.sink.messages().await[0].1, BODY);
}

#[tokio::test]
async fn an_idle_client_is_told_421_and_closed() {
    let mut config = config();
    config.idle_timeout = Duration::from_millis(300);
    let listener = listen(config).await;
    let mut client = Client::greeted(&listener).await;
    assert!(client.reply().await.starts_with("421 4.4.2"));
    assert_eq!(client.reply().await, "");
}

#[tokio::test]
async fn connections_over_the_cap_are_told_421() {
    let mut config = config();
    config.max_connections = 1;
    let listener = listen(config).await;
    let mut first = Client::greeted(&listener).await;
    let mut second = Client::connect(&listener).await;
    assert!(second.reply().await.starts_with("421"));
    first.expect("QUIT", "221").await;
    assert_eq!(first.reply().await, "");
    // The slot is freed once the first conversation has ended.
    let mut third = None;
    for _ in 0..50 {
        let mut client = Client::connect(&listener).await;
        if client.reply().await.starts_with("220") {
            third = Some(client);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    third.expect("a free slot").expect("NOOP", "250").await;
}

/// A self-signed certificate for `localhost` written as PEM files, and a config offering STARTTLS.
fn tls_config(dir: &tempfile::TempDir) -> SmtpConfig {
    let certified =
        rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).expect("a certificate");
    let cert = dir.path().join("cert.pem");
    let key = dir.path().join("key.pem");
    std::fs::write(&cert, certified.cert.pem()).expect("write cert");
    std::fs::write(&key, certified.signing_key.serialize_pem()).expect("write key");
    let mut config = config();
    config.tls = Some(tls_acceptor(&cert, &key).expect("a TLS acceptor"));
    config
}

#[tokio::test]
async fn starttls_is_advertised_and_answered_220_when_a_certificate_is_configured() {
    let dir = tempfile::tempdir().expect("temp dir");
    let listener = listen(tls_config(&dir)).await;
    let mut client = Client::greeted(&listener).await;
    let reply = client.expect("EHLO client.test", "250").await;
    assert!(reply.contains("STARTTLS"), "{reply}");
    client.expect("STARTTLS", "220").await;
}

#[tokio::test]
async fn lettre_delivers_over_starttls() {
    let dir = tempfile::tempdir().expect("temp dir");
    let listener = listen(tls_config(&dir)).await;
    let tls = TlsParameters::builder("localhost".to_string())
        .dangerous_accept_invalid_certs(true)
        .build_rustls()
        .expect("TLS parameters");
    let mailer = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(listener.port)
        .tls(Tls::Required(tls))
        .build();
    let email = Message::builder()
        .from("vendor@leads.test".parse().expect("from"))
        .to("tok1@in.example".parse().expect("to"))
        .subject("Over TLS")
        .body("Name: Ann Lee\n".to_string())
        .expect("message");
    mailer.send(email).await.expect("accepted over TLS");
    let messages = listener.sink.messages().await;
    assert_eq!(messages.len(), 1);
    assert!(String::from_utf8_lossy(&messages[0].1).contains("Subject: Over TLS"));
}

#[test]
fn a_missing_certificate_file_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("none.pem");
    let Err(err) = tls_acceptor(&missing, &missing) else {
        panic!("a missing certificate was accepted");
    };
    assert!(err.to_string().contains("none.pem"), "{err}");
}
