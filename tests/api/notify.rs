//! Owner notifications (`new_lead_notification=2`): the email over a real SMTP conversation
//! with a minimal SMTP sink on loopback, the text message to a loopback HTTP
//! gateway, skipped jobs when nothing is configured, and exactly which
//! notifications and jobs levels 0, 1 and 2 and a duplicate produce. The worker
//! is driven one step at a time with `run_once`.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use leadpost::config::NotifySettings;
use leadpost::delivery::Worker;
use leadpost::store::{Account, Job, NewAccount, Page};
use mail_parser::MessageParser;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use crate::helpers::{TestApp, on_both_stores};
use crate::receiver::Receiver;

/// One message the sink accepted.
#[derive(Debug, Clone)]
pub(crate) struct Mail {
    pub(crate) from: String,
    pub(crate) to: Vec<String>,
    pub(crate) data: Vec<u8>,
}

/// A minimal SMTP server on loopback: answers EHLO/HELO, MAIL, RCPT, DATA, RSET,
/// NOOP and QUIT; the end of each DATA is answered with the next scripted code
/// (250 once the script is used up) and the message is kept when that is 250.
pub(crate) struct SmtpSink {
    addr: SocketAddr,
    mails: Arc<Mutex<Vec<Mail>>>,
    conversations: Arc<Mutex<usize>>,
}

impl SmtpSink {
    pub(crate) async fn start(data_answers: Vec<u16>) -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let mails = Arc::new(Mutex::new(Vec::new()));
        let conversations = Arc::new(Mutex::new(0));
        let script = Arc::new(Mutex::new(VecDeque::from(data_answers)));
        let (m, c) = (mails.clone(), conversations.clone());
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                *c.lock().expect("lock") += 1;
                let (mails, script) = (m.clone(), script.clone());
                tokio::spawn(async move {
                    let _ = converse(stream, mails, script).await;
                });
            }
        });
        SmtpSink {
            addr,
            mails,
            conversations,
        }
    }

    pub(crate) fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.addr.port())
    }

    pub(crate) fn mails(&self) -> Vec<Mail> {
        self.mails.lock().expect("lock").clone()
    }

    fn conversations(&self) -> usize {
        *self.conversations.lock().expect("lock")
    }
}

async fn converse(
    stream: tokio::net::TcpStream,
    mails: Arc<Mutex<Vec<Mail>>>,
    script: Arc<Mutex<VecDeque<u16>>>,
) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 sink ESMTP ready\r\n").await?;
    let mut from = String::new();
    let mut to = Vec::new();
    loop {
        let mut line = String::new();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_string();
        let verb = command
            .split([' ', ':'])
            .next()
            .unwrap_or_default()
            .to_ascii_uppercase();
        let answer: String = match verb.as_str() {
            "EHLO" => "250-sink\r\n250 8BITMIME\r\n".into(),
            "HELO" | "NOOP" => "250 OK\r\n".into(),
            "RSET" => {
                from.clear();
                to.clear();
                "250 OK\r\n".into()
            }
            "MAIL" => {
                from = address_of(&command);
                "250 OK\r\n".into()
            }
            "RCPT" => {
                to.push(address_of(&command));
                "250 OK\r\n".into()
            }
            "DATA" => {
                write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
                let mut data = Vec::new();
                loop {
                    let mut raw = Vec::new();
                    if lines.read_until(b'\n', &mut raw).await? == 0 {
                        return Ok(());
                    }
                    if raw == b".\r\n" {
                        break;
                    }
                    // Undo dot-stuffing.
                    let raw = if raw.starts_with(b"..") {
                        &raw[1..]
                    } else {
                        &raw[..]
                    };
                    data.extend_from_slice(raw);
                }
                let code = script.lock().expect("lock").pop_front().unwrap_or(250);
                if code == 250 {
                    mails.lock().expect("lock").push(Mail {
                        from: from.clone(),
                        to: std::mem::take(&mut to),
                        data,
                    });
                    "250 queued\r\n".into()
                } else {
                    format!("{code} try again later\r\n")
                }
            }
            "QUIT" => {
                write.write_all(b"221 bye\r\n").await?;
                return Ok(());
            }
            _ => "502 not implemented\r\n".into(),
        };
        write.write_all(answer.as_bytes()).await?;
    }
}

/// `MAIL FROM:<a@b> SIZE=1` → `a@b`.
fn address_of(command: &str) -> String {
    command
        .split_once('<')
        .and_then(|(_, rest)| rest.split_once('>'))
        .map(|(address, _)| address.to_string())
        .unwrap_or_default()
}

pub(crate) fn worker(app: &TestApp, schedule: &[u64], notify: NotifySettings) -> Worker {
    Worker::with_notify(app.store.clone(), app.worker_settings(schedule), &notify)
        .expect("worker")
        .with_metrics(app.metrics.clone())
}

pub(crate) fn smtp(sink: &SmtpSink) -> NotifySettings {
    NotifySettings {
        smtp_url: sink.url(),
        smtp_from: "leadpost <leads@example.com>".into(),
        ..Default::default()
    }
}

async fn owned_account(app: &TestApp, email: Option<&str>, phone: Option<&str>) -> Account {
    app.store
        .create_account(&NewAccount {
            name: "Acme Roofing".into(),
            owner_email: email.map(Into::into),
            owner_phone: phone.map(Into::into),
            web_key: None,
        })
        .await
        .expect("account")
}

async fn post_lead(app: &TestApp, key: &str, pairs: &[(&str, &str)]) -> reqwest::Response {
    let mut all = vec![("web_key", key)];
    all.extend_from_slice(pairs);
    app.post_form(&all).await
}

async fn jobs(app: &TestApp, account: &Account) -> Vec<Job> {
    let mut jobs = app
        .store
        .list_jobs(account.id, Page::first(100))
        .await
        .expect("jobs");
    jobs.reverse();
    jobs
}

async fn job_of(app: &TestApp, account: &Account, kind: &str) -> Job {
    jobs(app, account)
        .await
        .into_iter()
        .find(|j| j.kind == kind)
        .unwrap_or_else(|| panic!("a {kind} job"))
}

const LEVEL_2: (&str, &str) = ("new_lead_notification", "2");

async fn the_owner_email_arrives_over_smtp_with_the_lead_escaped(app: TestApp) {
    let sink = SmtpSink::start(vec![]).await;
    let account = owned_account(&app, Some("owner@example.com"), None).await;
    let source = app.lead_source(&account, None).await;
    let response = post_lead(
        &app,
        &source.web_key,
        &[
            // Entities survive the intake's tag stripping as literal markup.
            ("firstName", "&lt;script&gt;alert(1)&lt;/script&gt;Ann"),
            ("lastName", "Lee"),
            ("phone", "8015551234"),
            ("email", "ann@example.com"),
            ("city", "Provo"),
            ("whiteboard", "Roof &lt;b&gt;leaks&lt;/b&gt; & more"),
            LEVEL_2,
        ],
    )
    .await;
    assert_eq!(response.status(), 200, "{:?}", response.text().await);

    assert!(
        worker(&app, &[1], smtp(&sink))
            .run_once()
            .await
            .expect("runs")
            >= 1
    );

    let mails = sink.mails();
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert_eq!(mails[0].from, "leads@example.com");
    assert_eq!(mails[0].to, vec!["owner@example.com".to_string()]);
    let message = MessageParser::default()
        .parse(&mails[0].data)
        .expect("a parsable message");
    let subject = message.subject().expect("a subject");
    assert_eq!(
        subject,
        "New lead: <script>alert(1)</script>Ann Lee (Website)"
    );
    let html = message.body_html(0).expect("an HTML part");
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;Ann Lee"),
        "{html}"
    );
    assert!(
        html.contains("Roof &lt;b&gt;leaks&lt;&#x2f;b&gt; &amp; more"),
        "{html}"
    );
    assert!(!html.contains("<script>"), "{html}");
    assert!(!html.contains("<b>"), "{html}");
    let text = message.body_text(0).expect("a text part");
    assert!(text.contains("Source: Website"), "{text}");
    assert!(text.contains("Phone: 8015551234"), "{text}");
    assert!(text.contains("Email: ann@example.com"), "{text}");
    assert!(text.contains("City: Provo"), "{text}");

    let job = job_of(&app, &account, "email").await;
    assert_eq!(job.state, "delivered");
    let attempts = app.store.list_job_attempts(job.id).await.expect("attempts");
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0].status_code, Some(250));
}

async fn an_smtp_451_is_retried_and_logged_then_delivered(app: TestApp) {
    let sink = SmtpSink::start(vec![451]).await;
    let account = owned_account(&app, Some("owner@example.com"), None).await;
    post_lead(&app, &account.web_key, &[("name", "Ann Lee"), LEVEL_2]).await;
    let worker = worker(&app, &[0, 0], smtp(&sink));

    worker.run_once().await.expect("runs");
    let job = job_of(&app, &account, "email").await;
    assert_eq!(job.state, "retrying");
    assert!(
        job.last_error.as_deref().is_some_and(|e| e.contains("451")),
        "{job:?}"
    );
    assert!(sink.mails().is_empty());

    worker.run_once().await.expect("runs");
    let job = job_of(&app, &account, "email").await;
    assert_eq!(job.state, "delivered");
    assert_eq!(sink.mails().len(), 1);
    assert_eq!(sink.conversations(), 2);
    let codes: Vec<_> = app
        .store
        .list_job_attempts(job.id)
        .await
        .expect("attempts")
        .into_iter()
        .map(|a| a.status_code)
        .collect();
    assert_eq!(codes, vec![Some(451), Some(250)]);
}

async fn an_smtp_550_kills_the_email_at_once(app: TestApp) {
    let sink = SmtpSink::start(vec![550]).await;
    let account = owned_account(&app, Some("owner@example.com"), None).await;
    post_lead(&app, &account.web_key, &[("name", "Ann Lee"), LEVEL_2]).await;
    worker(&app, &[0, 0], smtp(&sink))
        .run_once()
        .await
        .expect("runs");
    let job = job_of(&app, &account, "email").await;
    assert_eq!(job.state, "dead");
    assert_eq!(job.attempts, 1);
}

async fn an_unreachable_smtp_server_is_retried(app: TestApp) {
    // A port that was just free: nothing listens there.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let account = owned_account(&app, Some("owner@example.com"), None).await;
    post_lead(&app, &account.web_key, &[("name", "Ann Lee"), LEVEL_2]).await;
    let settings = NotifySettings {
        smtp_url: format!("smtp://127.0.0.1:{port}"),
        smtp_from: "leads@example.com".into(),
        ..Default::default()
    };
    worker(&app, &[60], settings)
        .run_once()
        .await
        .expect("runs");
    let job = job_of(&app, &account, "email").await;
    assert_eq!(job.state, "retrying", "{job:?}");
    let attempts = app.store.list_job_attempts(job.id).await.expect("attempts");
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0].status_code, None);
    assert!(attempts[0].error.is_some());
}

async fn the_text_message_reaches_the_gateway_rendered_with_its_auth_header(app: TestApp) {
    let gateway = Receiver::start(vec![]).await;
    let account = owned_account(&app, None, Some("8015550000")).await;
    post_lead(
        &app,
        &account.web_key,
        &[
            ("firstName", "Ann"),
            ("lastName", "Lee"),
            ("phone", "8015551234"),
            ("city", "Provo"),
            LEVEL_2,
        ],
    )
    .await;
    let settings = NotifySettings {
        sms_url: format!("{}/send", gateway.url),
        sms_auth_header: "Bearer sms-secret".into(),
        sms_body: r#"{"To": "{{ to }}", "Body": "{{ text }}", "city": "{{ client.city }}", "acct": "{{ account.name }}", "n": 1}"#.into(),
        ..Default::default()
    };
    worker(&app, &[1], settings).run_once().await.expect("runs");

    let received = gateway.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].method, "POST");
    assert_eq!(received[0].path, "/send");
    assert_eq!(
        received[0].header("authorization").as_deref(),
        Some("Bearer sms-secret")
    );
    assert_eq!(
        received[0].json(),
        json!({
            "To": "8015550000",
            "Body": "New lead: Ann Lee (web form) 8015551234",
            "city": "Provo",
            "acct": "Acme Roofing",
            "n": 1,
        })
    );
    assert_eq!(job_of(&app, &account, "sms").await.state, "delivered");
}

async fn a_gateway_429_retry_after_is_honoured(app: TestApp) {
    let gateway = Receiver::start(vec![(429, vec![("retry-after", "120")])]).await;
    let account = owned_account(&app, None, Some("8015550000")).await;
    post_lead(&app, &account.web_key, &[("name", "Ann"), LEVEL_2]).await;
    let settings = NotifySettings {
        sms_url: gateway.url.clone(),
        ..Default::default()
    };
    let before = time::OffsetDateTime::now_utc();
    worker(&app, &[1], settings).run_once().await.expect("runs");
    let job = job_of(&app, &account, "sms").await;
    assert_eq!(job.state, "retrying");
    let wait = job.due_at - before;
    assert!(
        wait >= time::Duration::seconds(115) && wait <= time::Duration::seconds(125),
        "{wait}"
    );
    let attempts = app.store.list_job_attempts(job.id).await.expect("attempts");
    assert_eq!(attempts[0].status_code, Some(429));
}

async fn without_smtp_or_gateway_the_jobs_are_skipped_with_the_reason(app: TestApp) {
    let account = owned_account(&app, Some("owner@example.com"), Some("8015550000")).await;
    post_lead(&app, &account.web_key, &[("name", "Ann"), LEVEL_2]).await;
    assert_eq!(
        worker(&app, &[1], NotifySettings::default())
            .run_once()
            .await
            .expect("runs"),
        2
    );
    for (kind, needle) in [("email", "LEADPOST_SMTP_URL"), ("sms", "LEADPOST_SMS_URL")] {
        let job = job_of(&app, &account, kind).await;
        assert_eq!(job.state, "skipped", "{job:?}");
        let reason = job.last_error.clone().expect("a reason");
        assert!(reason.contains(needle), "{reason}");
        let attempts = app.store.list_job_attempts(job.id).await.expect("attempts");
        assert_eq!(attempts.len(), 1);
        assert_eq!(attempts[0].error.as_deref(), Some(reason.as_str()));
    }
    // Skipped is final: the next run takes nothing.
    assert_eq!(
        worker(&app, &[1], NotifySettings::default())
            .run_once()
            .await
            .expect("runs"),
        0
    );
}

async fn levels_zero_one_two_and_a_duplicate_make_exactly_their_notifications_and_jobs(
    app: TestApp,
) {
    let account = owned_account(&app, Some("owner@example.com"), Some("8015550000")).await;
    let counts = |app: &TestApp, account: &Account| {
        let (store, id) = (app.store.clone(), account.id);
        async move {
            let notifications = store
                .list_notifications(id, Page::first(100))
                .await
                .expect("notifications");
            let jobs = store.list_jobs(id, Page::first(100)).await.expect("jobs");
            (notifications, jobs)
        }
    };

    post_lead(
        &app,
        &account.web_key,
        &[
            ("name", "Zero"),
            ("email", "zero@example.com"),
            ("new_lead_notification", "0"),
        ],
    )
    .await;
    let (n, j) = counts(&app, &account).await;
    assert!(n.is_empty() && j.is_empty(), "{n:?} {j:?}");

    post_lead(
        &app,
        &account.web_key,
        &[("name", "One"), ("new_lead_notification", "1")],
    )
    .await;
    let (n, j) = counts(&app, &account).await;
    assert_eq!(n.len(), 1);
    assert_eq!(n[0].kind, "new_lead");
    assert!(j.is_empty(), "{j:?}");

    post_lead(&app, &account.web_key, &[("name", "Two"), LEVEL_2]).await;
    let (n, j) = counts(&app, &account).await;
    assert_eq!(n.len(), 2);
    assert_eq!(n[0].kind, "new_lead");
    assert!(n[0].message.contains("Two"));
    let mut kinds: Vec<_> = j
        .iter()
        .map(|j| (j.kind.as_str(), j.state.as_str()))
        .collect();
    kinds.sort();
    assert_eq!(kinds, vec![("email", "queued"), ("sms", "queued")]);

    let clients = app.client_count(&account).await;
    let refused = post_lead(
        &app,
        &account.web_key,
        &[("name", "Again"), ("email", "ZERO@example.com"), LEVEL_2],
    )
    .await;
    assert_eq!(refused.status(), 409);
    let (n, j) = counts(&app, &account).await;
    assert_eq!(app.client_count(&account).await, clients, "no new client");
    assert_eq!(n.len(), 3);
    assert_eq!(n[0].kind, "duplicate");
    assert!(
        n[0].message.contains("Duplicate Record"),
        "{}",
        n[0].message
    );
    assert_eq!(j.len(), 2, "a duplicate queues no email or text: {j:?}");
}

#[test]
fn serve_refuses_unusable_notify_settings_naming_the_key_not_the_secret() {
    let dir = tempfile::tempdir().expect("tempdir");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_leadpost"))
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env(
            "DATABASE_URL",
            format!("sqlite://{}", dir.path().join("n.db").display()),
        )
        .env("LEADPOST_SMTP_URL", "smtp://user:hunter2@127.0.0.1:2525")
        .env("LEADPOST_SMTP_FROM", "not an address")
        .output()
        .expect("serve runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("LEADPOST_SMTP_FROM"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");
    assert!(!stderr.contains("listening"), "{stderr}");
}

on_both_stores!(
    the_owner_email_arrives_over_smtp_with_the_lead_escaped,
    an_smtp_451_is_retried_and_logged_then_delivered,
    an_smtp_550_kills_the_email_at_once,
    an_unreachable_smtp_server_is_retried,
    the_text_message_reaches_the_gateway_rendered_with_its_auth_header,
    a_gateway_429_retry_after_is_honoured,
    without_smtp_or_gateway_the_jobs_are_skipped_with_the_reason,
    levels_zero_one_two_and_a_duplicate_make_exactly_their_notifications_and_jobs,
);
