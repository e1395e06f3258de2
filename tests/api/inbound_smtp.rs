//! The SMTP listener inside the service: a real client delivering to a lead source's inbound
//! address, the RCPT rules, and a crash of the real `serve` process in the middle of a stream of
//! deliveries, after which every message that was answered 250 is stored.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use leadpost::store::{Channel, Outcome};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::helpers::TestApp;
use crate::helpers::inbound::{DOMAIN, on_both_stores_inbound};
use crate::helpers::process::ServeProcess;

/// A minimal SMTP client over one connection: one command, one reply.
struct Smtp {
    reader: BufReader<tokio::net::tcp::OwnedReadHalf>,
    writer: tokio::net::tcp::OwnedWriteHalf,
}

impl Smtp {
    /// Connect, read the greeting and say EHLO.
    async fn open(port: u16) -> std::io::Result<Smtp> {
        let (read, writer) = TcpStream::connect(("127.0.0.1", port)).await?.into_split();
        let mut smtp = Smtp {
            reader: BufReader::new(read),
            writer,
        };
        smtp.reply().await?;
        smtp.say("EHLO test.example").await?;
        Ok(smtp)
    }

    /// The last line of the next reply; an error when the server is gone.
    async fn reply(&mut self) -> std::io::Result<String> {
        loop {
            let mut line = String::new();
            if self.reader.read_line(&mut line).await? == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            if line.as_bytes().get(3) != Some(&b'-') {
                return Ok(line.trim_end().to_string());
            }
        }
    }

    async fn say(&mut self, command: &str) -> std::io::Result<String> {
        self.writer
            .write_all(format!("{command}\r\n").as_bytes())
            .await?;
        self.reply().await
    }

    /// One whole transaction; the final reply.
    async fn send(&mut self, to: &str, message: &str) -> std::io::Result<String> {
        self.say("MAIL FROM:<bot@leads.example>").await?;
        let rcpt = self.say(&format!("RCPT TO:<{to}>")).await?;
        if !rcpt.starts_with("250") {
            self.say("RSET").await?;
            return Ok(rcpt);
        }
        self.say("DATA").await?;
        self.writer
            .write_all(format!("{message}\r\n.\r\n").as_bytes())
            .await?;
        self.reply().await
    }
}

fn lead_message(email: &str) -> String {
    crate::helpers::inbound::lead_mail(email)
}

async fn smtp_port(app: &TestApp) -> u16 {
    app.smtp.expect("the SMTP listener is on").port()
}

async fn a_message_delivered_over_smtp_becomes_an_email_lead(app: TestApp) {
    let (account, source) = app.inbound_source().await;
    let mailer = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(smtp_port(&app).await)
        .build();
    let to = format!(
        "{}@{}",
        source.inbound_token.to_uppercase(),
        DOMAIN.to_uppercase()
    );
    let email = Message::builder()
        .from("Leads <bot@leads.example>".parse().expect("from"))
        .to(to.parse().expect("to"))
        .subject("New lead")
        .body("Name: Ann Lee\nEmail: ann@example.com\n".to_string())
        .expect("message");
    mailer.send(email).await.expect("delivered");
    let client = app.latest_client(&account).await.expect("a client");
    assert_eq!(client.fields.email(), Some("ann@example.com"));
    let logged = app.last_submission(&account).await;
    assert_eq!(logged.channel, Channel::Email);
    assert_eq!(logged.outcome, Outcome::Accepted);
    assert_eq!(logged.remote_ip.as_deref(), Some("127.0.0.1"));
}

async fn rcpt_for_an_unknown_token_or_another_domain_is_550(app: TestApp) {
    let (_, source) = app.inbound_source().await;
    let mut smtp = Smtp::open(smtp_port(&app).await).await.expect("open");
    smtp.say("MAIL FROM:<bot@leads.example>")
        .await
        .expect("mail");
    let unknown = smtp
        .say(&format!("RCPT TO:<nosuchtoken@{DOMAIN}>"))
        .await
        .expect("rcpt");
    assert!(unknown.starts_with("550 5.1.1"), "{unknown}");
    let other = smtp
        .say(&format!("RCPT TO:<{}@other.example>", source.inbound_token))
        .await
        .expect("rcpt");
    assert!(other.starts_with("550 5.1.1"), "{other}");
    let good = smtp
        .say(&format!("RCPT TO:<{}@{DOMAIN}>", source.inbound_token))
        .await
        .expect("rcpt");
    assert!(good.starts_with("250"), "{good}");
}

async fn a_null_sender_bounce_is_stored_ignored_and_answered_250(app: TestApp) {
    let (account, source) = app.inbound_source().await;
    let mut smtp = Smtp::open(smtp_port(&app).await).await.expect("open");
    smtp.say("MAIL FROM:<>").await.expect("mail");
    let to = format!("RCPT TO:<{}@{DOMAIN}>", source.inbound_token);
    assert!(smtp.say(&to).await.expect("rcpt").starts_with("250"));
    smtp.say("DATA").await.expect("data");
    smtp.writer
        .write_all(format!("{}\r\n.\r\n", lead_message("ann@example.com")).as_bytes())
        .await
        .expect("body");
    assert!(smtp.reply().await.expect("reply").starts_with("250"));
    assert_eq!(
        app.last_submission(&account).await.outcome,
        Outcome::Ignored
    );
    assert_eq!(app.client_count(&account).await, 0);
}

on_both_stores_inbound!(
    a_message_delivered_over_smtp_becomes_an_email_lead,
    rcpt_for_an_unknown_token_or_another_domain_is_550,
    a_null_sender_bounce_is_stored_ignored_and_answered_250,
);

/// A free loopback port (bound, then let go).
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

fn start(db: &str, smtp_port: u16) -> ServeProcess {
    ServeProcess::start(db, &[], |command| {
        command
            .env("LEADPOST_ADMIN_TOKEN", crate::helpers::ADMIN_TOKEN)
            .env("LEADPOST_SMTP_LISTEN", format!("127.0.0.1:{smtp_port}"))
            .env("LEADPOST_INBOUND_DOMAIN", DOMAIN);
    })
}

async fn admin(serve: &ServeProcess, method: reqwest::Method, path: &str, body: Value) -> Value {
    let response = reqwest::Client::new()
        .request(method, format!("{}{path}", serve.address))
        .bearer_auth(crate::helpers::ADMIN_TOKEN)
        .json(&body)
        .send()
        .await
        .expect("admin request");
    response.json().await.expect("admin JSON")
}

/// Wait until the SMTP listener answers.
async fn smtp_ready(port: u16) -> Smtp {
    for _ in 0..300 {
        if let Ok(smtp) = Smtp::open(port).await {
            return smtp;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the SMTP listener never answered");
}

#[tokio::test]
async fn a_sigkill_mid_stream_loses_no_message_that_was_answered_250() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = format!("sqlite://{}/crash.db?mode=rwc", dir.path().display());
    let port = free_port();
    let mut serve = start(&db, port);
    let account = admin(
        &serve,
        reqwest::Method::POST,
        "/admin/v1/accounts",
        json!({"name": "Acme"}),
    )
    .await;
    let account_id = account["id"].as_str().expect("account id").to_string();
    let sources = format!("/admin/v1/accounts/{account_id}/lead-sources");
    let source = admin(
        &serve,
        reqwest::Method::POST,
        &sources,
        json!({"name": "Mail"}),
    )
    .await;
    let parser = json!({"name": "Leads", "terms": [
        {"term": "Name", "start": "Name:"}, {"term": "Email", "start": "Email:"}]});
    let parsers = format!(
        "{sources}/{}/parsers",
        source["id"].as_str().expect("source id")
    );
    admin(&serve, reqwest::Method::POST, &parsers, parser).await;
    let to = source["inbound_address"]
        .as_str()
        .expect("address")
        .to_string();

    let confirmed = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut smtp = smtp_ready(port).await;
    let answered = Arc::clone(&confirmed);
    let sender = tokio::spawn(async move {
        for i in 0..400 {
            let email = format!("lead{i}@example.com");
            match smtp.send(&to, &lead_message(&email)).await {
                Ok(reply) if reply.starts_with("250") => answered.lock().expect("lock").push(email),
                Ok(reply) => panic!("unexpected reply {reply}"),
                Err(_) => return,
            }
        }
    });
    while confirmed.lock().expect("lock").len() < 20 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    serve.stop("-KILL");
    sender.await.expect("the sender stops when the server dies");
    let confirmed = confirmed.lock().expect("lock").clone();

    let serve = start(&db, free_port());
    let clients = format!("/admin/v1/accounts/{account_id}/clients?limit=500");
    let listed = admin(&serve, reqwest::Method::GET, &clients, json!(null)).await;
    let stored: Vec<&str> = listed["clients"]
        .as_array()
        .expect("clients")
        .iter()
        .filter_map(|c| c["email"].as_str())
        .collect();
    for email in &confirmed {
        assert!(
            stored.contains(&email.as_str()),
            "{email} was answered 250 but is lost"
        );
    }
}
