//! The console's pages for one account: the Leads inbox (search, filters, pages, CSV), a lead's
//! page and its actions, notifications, the monitor and the operators' accounts page, each per
//! role (viewer, member, owner, another account's person, no session).

use crate::helpers::people::Session;
use crate::helpers::{TestApp, on_both_stores, plan_with_webhook};

/// A lead that raises an in-app notification.
async fn lead(
    app: &TestApp,
    account: &leadpost::store::Account,
    first: &str,
    email: &str,
) -> String {
    app.console_lead(
        account,
        &[
            ("firstName", first),
            ("lastName", "Lee"),
            ("email", email),
            ("new_lead_notification", "1"),
        ],
    )
    .await
}

async fn the_inbox_lists_the_accounts_leads_newest_first(app: TestApp) {
    let account = app.account().await;
    let session = app.console_as(&account, "viewer").await;
    let first = lead(&app, &account, "Ann", "ann@example.com").await;
    let second = lead(&app, &account, "Bob", "bob@example.com").await;
    let page = app.console_get(Some(&session), "/console/").await;
    assert_eq!(page.status, 200);
    let (at_first, at_second) = (
        page.html.find(&first).expect("Ann listed"),
        page.html.find(&second).expect("Bob listed"),
    );
    assert!(at_second < at_first, "newest first");
    assert!(page.html.contains("bob@example.com"));
}

async fn the_inbox_search_finds_name_email_and_phone_in_any_case(app: TestApp) {
    let account = app.account().await;
    let session = app.console_as(&account, "viewer").await;
    let ann = lead(&app, &account, "Annabel", "annabel@example.com").await;
    let bob = app
        .console_lead(&account, &[("name", "Bob"), ("phone", "8015551234")])
        .await;
    for (search, found, missing) in [
        ("ANNAB", &ann, &bob),
        ("bel@EXAMPLE", &ann, &bob),
        ("555-123", &bob, &ann),
    ] {
        let path = format!("/console/?q={}", urlencode(search));
        let page = app.console_get(Some(&session), &path).await;
        assert!(page.html.contains(found.as_str()), "{search}");
        assert!(!page.html.contains(missing.as_str()), "{search}");
    }
}

async fn the_inbox_filters_by_tag_and_dates_and_refuses_a_bad_date(app: TestApp) {
    let account = app.account().await;
    let session = app.console_as(&account, "viewer").await;
    let tagged = app
        .console_lead(&account, &[("name", "Tia"), ("tag", "VIP")])
        .await;
    let plain = lead(&app, &account, "Pat", "pat@example.com").await;
    let page = app.console_get(Some(&session), "/console/?tag=vip").await;
    assert!(page.html.contains(&tagged) && !page.html.contains(&plain));
    let past = app
        .console_get(Some(&session), "/console/?to=2000-01-01")
        .await;
    assert!(!past.html.contains(&tagged) && past.html.contains("id=\"no-leads\""));
    let bad = app.console_get(Some(&session), "/console/?from=soon").await;
    assert_eq!(bad.status, 422);
    assert!(bad.html.contains("from must be"), "{}", bad.html);
}

async fn the_inbox_pages_fifty_at_a_time_with_next_and_previous(app: TestApp) {
    let account = app.account().await;
    let session = app.console_as(&account, "viewer").await;
    for n in 0..51 {
        app.console_lead(&account, &[("name", &format!("P{n}"))])
            .await;
    }
    let first = app.console_get(Some(&session), "/console/").await;
    assert_eq!(first.html.matches("<tr id=\"lead-").count(), 50);
    let next = href_of(&first.html, "next").expect("a next link");
    assert!(href_of(&first.html, "previous").is_none());
    let second = app.console_get(Some(&session), &next).await;
    assert_eq!(second.html.matches("<tr id=\"lead-").count(), 1);
    assert_eq!(
        href_of(&second.html, "previous").as_deref(),
        Some("/console/")
    );
}

async fn leads_new_since_the_last_visit_are_marked(app: TestApp) {
    let account = app.account().await;
    let session = app.console_as(&account, "viewer").await;
    let old = lead(&app, &account, "Old", "old@example.com").await;
    app.console_get(Some(&session), "/console/").await;
    let new = lead(&app, &account, "New", "new@example.com").await;
    let page = app.console_get(Some(&session), "/console/").await;
    assert!(
        page.html
            .contains(&format!("<tr id=\"lead-{new}\" class=\"new\">"))
    );
    assert!(page.html.contains(&format!("<tr id=\"lead-{old}\">")));
}

async fn the_csv_link_exports_every_lead_the_filters_match(app: TestApp) {
    let account = app.account().await;
    let session = app.console_as(&account, "viewer").await;
    let tagged = app
        .console_lead(&account, &[("name", "Tia"), ("tag", "VIP")])
        .await;
    let plain = lead(&app, &account, "Pat", "pat@example.com").await;
    let page = app.console_get(Some(&session), "/console/?tag=VIP").await;
    assert!(page.html.contains("href=\"/console/leads.csv?tag=VIP\""));
    let csv = app
        .console_get(Some(&session), "/console/leads.csv?tag=VIP")
        .await;
    assert_eq!(csv.status, 200);
    assert!(
        csv.headers["content-type"]
            .to_str()
            .expect("type")
            .starts_with("text/csv")
    );
    assert!(csv.html.contains(&tagged) && !csv.html.contains(&plain));
    let all = app.console_get(Some(&session), "/console/leads.csv").await;
    assert!(all.html.contains(&tagged) && all.html.contains(&plain));
}

async fn a_lead_page_shows_fields_tags_the_raw_post_and_its_request_id(app: TestApp) {
    let account = app.account().await;
    let session = app.console_as(&account, "viewer").await;
    let response = app
        .http
        .post(format!("{}{}", app.address, crate::helpers::INTAKE))
        .header("x-request-id", "req-console-1")
        .header("user-agent", "ConsoleTest/1.0")
        .form(&[
            ("web_key", account.web_key.as_str()),
            ("name", "Ann"),
            ("email", "ann@example.com"),
            ("tag", "Roof"),
            ("Favourite colour", "green"),
        ])
        .send()
        .await
        .expect("posted");
    assert_eq!(response.status().as_u16(), 200);
    let id = app.latest_client(&account).await.expect("client").id;
    let page = app
        .console_get(Some(&session), &format!("/console/leads/{id}"))
        .await;
    assert_eq!(page.status, 200);
    for seen in [
        "ann@example.com",
        "Roof",
        "Favourite colour",
        "green",
        "req-console-1",
        "ConsoleTest/1.0",
    ] {
        assert!(page.html.contains(seen), "{seen}");
    }
    assert!(
        !page.html.contains("id=\"add-note\""),
        "a viewer has no action buttons"
    );
    assert!(!page.html.contains("id=\"mark-spam\""));
}

async fn an_accepted_posts_request_id_is_read_back_by_the_admin_api(app: TestApp) {
    let account = app.account().await;
    let response = app
        .http
        .post(format!("{}{}", app.address, crate::helpers::INTAKE))
        .header("x-request-id", "req-admin-1")
        .form(&[
            ("web_key", account.web_key.as_str()),
            ("name", "Ann"),
            ("email", "ann@example.com"),
        ])
        .send()
        .await
        .expect("posted");
    assert_eq!(response.status().as_u16(), 200);
    let (status, body) = app
        .admin_get(&format!("/admin/v1/accounts/{}/submissions", account.id))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["submissions"][0]["request_id"], "req-admin-1",
        "{body}"
    );
}

async fn a_member_adds_a_note_and_a_tag_and_removes_the_tag(app: TestApp) {
    let account = app.account().await;
    let session = app.console_as(&account, "member").await;
    let id = lead(&app, &account, "Ann", "ann@example.com").await;
    let base = format!("/console/leads/{id}");
    let noted = app
        .console_post(
            &session,
            &format!("{base}/notes"),
            &[("note", "Called back <b>today</b>")],
        )
        .await;
    assert_eq!(noted.status, 303);
    let tagged = app
        .console_post(&session, &format!("{base}/tags"), &[("tag", "Hot")])
        .await;
    let page = app.console_follow(&session, &tagged).await;
    assert!(
        page.html.contains("Called back &lt;b&gt;today&lt;/b&gt;"),
        "{}",
        page.html
    );
    assert!(
        page.html.contains("Tag “Hot” added."),
        "the flash shows once"
    );
    assert!(page.html.contains("aria-label=\"Remove tag Hot\""));
    let again = app.console_get(Some(&session), &base).await;
    assert!(!again.html.contains("id=\"flash\""), "the flash is gone");
    let removed = app
        .console_post(&session, &format!("{base}/tags/remove"), &[("tag", "hot")])
        .await;
    assert_eq!(removed.status, 303);
    let page = app.console_get(Some(&session), &base).await;
    assert!(page.html.contains("id=\"no-tags\""));
    let empty = app
        .console_post(&session, &format!("{base}/notes"), &[("note", "  ")])
        .await;
    let page = app.console_follow(&session, &empty).await;
    assert!(page.html.contains("The note must not be empty."));
}

async fn a_viewers_forged_lead_action_is_forbidden(app: TestApp) {
    let account = app.account().await;
    let session = app.console_as(&account, "viewer").await;
    let id = lead(&app, &account, "Ann", "ann@example.com").await;
    for action in ["notes", "tags", "tags/remove", "send-webhook", "spam"] {
        let path = format!("/console/leads/{id}/{action}");
        let answer = app
            .console_post(&session, &path, &[("note", "x"), ("tag", "x")])
            .await;
        assert_eq!(answer.status, 403, "{action}");
    }
    let client = app.latest_client(&account).await.expect("client");
    assert!(client.notes.is_empty() && client.tags.is_empty());
}

async fn lead_actions_need_the_csrf_token_and_this_origin(app: TestApp) {
    let account = app.account().await;
    let session = app.console_as(&account, "owner").await;
    let id = lead(&app, &account, "Ann", "ann@example.com").await;
    let url = format!("{}/console/leads/{id}/notes", app.address);
    let no_token = app
        .http
        .post(&url)
        .header("cookie", &session.cookie)
        .form(&[("note", "x")])
        .send()
        .await
        .expect("sent");
    assert_eq!(no_token.status().as_u16(), 403);
    let foreign = app
        .http
        .post(&url)
        .header("cookie", &session.cookie)
        .header("origin", "https://evil.example.com")
        .form(&[("note", "x"), ("csrf_token", session.csrf.as_str())])
        .send()
        .await
        .expect("sent");
    assert_eq!(foreign.status().as_u16(), 403);
}

async fn another_accounts_lead_is_not_found(app: TestApp) {
    let (mine, other) = (app.account().await, app.account().await);
    let session = app.console_as(&mine, "owner").await;
    let theirs = lead(&app, &other, "Ann", "ann@example.com").await;
    let path = format!("/console/leads/{theirs}");
    assert_eq!(app.console_get(Some(&session), &path).await.status, 404);
    let note = app
        .console_post(&session, &format!("{path}/notes"), &[("note", "x")])
        .await;
    assert_eq!(note.status, 404);
    let garbage = app.console_get(Some(&session), "/console/leads/nope").await;
    assert_eq!(garbage.status, 404);
    assert_eq!(app.console_get(None, &path).await.status, 303);
}

async fn a_member_sends_a_lead_to_a_webhook_and_marks_it_spam(app: TestApp) {
    let account = app.account().await;
    plan_with_webhook(&app, account.id, &[]).await;
    let session = app.console_as(&account, "member").await;
    let id = lead(&app, &account, "Ann", "ann@example.com").await;
    let base = format!("/console/leads/{id}");
    let page = app.console_get(Some(&session), &base).await;
    let webhook = page
        .html
        .split("<select id=\"webhook_id\" name=\"webhook_id\"><option value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a webhook to choose")
        .to_string();
    let sent = app
        .console_post(
            &session,
            &format!("{base}/send-webhook"),
            &[("webhook_id", &webhook)],
        )
        .await;
    let page = app.console_follow(&session, &sent).await;
    assert!(page.html.contains("Webhook queued."));
    assert!(page.html.matches("<tr id=\"job-").count() >= 1);
    let spam = app
        .console_post(&session, &format!("{base}/spam"), &[])
        .await;
    assert_eq!(spam.status, 303);
    assert_eq!(spam.headers["location"], "/console/");
    let inbox = app.console_get(Some(&session), "/console/").await;
    assert!(!inbox.html.contains(&format!("lead-{id}")));
}

async fn a_member_marks_a_notification_read_and_unread(app: TestApp) {
    let account = app.account().await;
    let member = app.console_as(&account, "member").await;
    let viewer = app.console_as(&account, "viewer").await;
    lead(&app, &account, "Ann", "ann@example.com").await;
    let page = app
        .console_get(Some(&viewer), "/console/notifications")
        .await;
    assert_eq!(page.status, 200);
    assert!(page.html.contains("New lead: Ann Lee"));
    assert!(
        !page.html.contains("mark-notification"),
        "a viewer has no buttons"
    );
    let id = app
        .store
        .list_notifications(account.id, leadpost::store::Page::first(1))
        .await
        .expect("listed")[0]
        .id;
    let path = format!("/console/notifications/{id}");
    assert_eq!(
        app.console_post(&viewer, &path, &[("read", "true")])
            .await
            .status,
        403
    );
    assert_eq!(
        app.console_post(&member, &path, &[("read", "true")])
            .await
            .status,
        303
    );
    let page = app
        .console_get(Some(&member), "/console/notifications")
        .await;
    assert!(!page.html.contains("id=\"unread-count\""));
    assert_eq!(
        app.console_post(&member, &path, &[("read", "false")])
            .await
            .status,
        303
    );
    let page = app
        .console_get(Some(&member), "/console/notifications")
        .await;
    assert!(
        page.html
            .contains("id=\"unread-count\" aria-label=\"1 unread\"")
    );
}

async fn the_monitor_shows_every_post_with_its_answer_and_filters_by_outcome(app: TestApp) {
    let account = app.account().await;
    let session = app.console_as(&account, "viewer").await;
    lead(&app, &account, "Ann", "ann@example.com").await;
    let refused = app
        .post_form(&[
            ("web_key", account.web_key.as_str()),
            ("email", "x@example.com"),
        ])
        .await;
    assert_ne!(refused.status().as_u16(), 200);
    let page = app
        .console_get(Some(&session), "/console/submissions")
        .await;
    assert_eq!(page.status, 200);
    assert_eq!(page.html.matches("<tr id=\"submission-").count(), 2);
    assert!(page.html.contains("x@example.com"), "what was sent");
    assert!(page.html.contains("error ct"), "what was answered");
    let rejected = app
        .console_get(Some(&session), "/console/submissions?outcome=rejected")
        .await;
    assert_eq!(rejected.html.matches("<tr id=\"submission-").count(), 1);
    let bad = app
        .console_get(Some(&session), "/console/submissions?outcome=maybe")
        .await;
    assert_eq!(bad.status, 422);
}

async fn only_operators_open_the_accounts_page_and_create_an_account(app: TestApp) {
    let account = app.account().await;
    let owner = app.console_as(&account, "owner").await;
    assert_eq!(
        app.console_get(Some(&owner), "/console/accounts")
            .await
            .status,
        404
    );
    let refused = app
        .console_post(&owner, "/console/accounts", &[("name", "Mine")])
        .await;
    assert_eq!(refused.status, 404);
    let operator = app.console_operator().await;
    let page = app.console_get(Some(&operator), "/console/accounts").await;
    assert_eq!(page.status, 200);
    assert!(page.html.contains(&account.id.to_string()));
    let created = app
        .console_post(&operator, "/console/accounts", &[("name", "Brand New Co")])
        .await;
    assert_eq!(created.status, 303);
    let page = app.console_get(Some(&operator), "/console/accounts").await;
    assert!(page.html.contains("Brand New Co"));
    let blank = app
        .console_post(&operator, "/console/accounts", &[("name", " ")])
        .await;
    assert_eq!(blank.status, 422);
}

async fn the_events_stream_tells_of_a_lead_of_the_current_account(app: TestApp) {
    let (account, other) = (app.account().await, app.account().await);
    let session: Session = app.console_as(&account, "viewer").await;
    let mut stream = app
        .http
        .get(format!("{}/console/events", app.address))
        .header("cookie", &session.cookie)
        .send()
        .await
        .expect("stream opened");
    assert_eq!(stream.status().as_u16(), 200);
    assert!(
        stream.headers()["content-type"]
            .to_str()
            .expect("type")
            .starts_with("text/event-stream")
    );
    lead(&app, &other, "Zed", "zed@example.com").await;
    let id = lead(&app, &account, "Ann", "ann@example.com").await;
    let mut seen = String::new();
    while !seen.contains(&id) {
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(30), stream.chunk())
            .await
            .expect("an event in time")
            .expect("read")
            .expect("more");
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(seen.contains(&format!("event: lead\ndata: {id}")), "{seen}");
    assert_eq!(
        seen.matches("event: lead").count(),
        1,
        "not the other account's: {seen}"
    );
}

fn href_of(html: &str, id: &str) -> Option<String> {
    let marker = format!("id=\"{id}\"");
    let at = html.find(&marker)?;
    let before = &html[..at];
    let start = before.rfind("href=\"")? + 6;
    let end = before[start..].find('"')? + start;
    Some(html[start..end].replace("&amp;", "&"))
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

on_both_stores!(
    the_inbox_lists_the_accounts_leads_newest_first,
    the_inbox_search_finds_name_email_and_phone_in_any_case,
    the_inbox_filters_by_tag_and_dates_and_refuses_a_bad_date,
    the_inbox_pages_fifty_at_a_time_with_next_and_previous,
    leads_new_since_the_last_visit_are_marked,
    the_csv_link_exports_every_lead_the_filters_match,
    a_lead_page_shows_fields_tags_the_raw_post_and_its_request_id,
    an_accepted_posts_request_id_is_read_back_by_the_admin_api,
    a_member_adds_a_note_and_a_tag_and_removes_the_tag,
    a_viewers_forged_lead_action_is_forbidden,
    lead_actions_need_the_csrf_token_and_this_origin,
    another_accounts_lead_is_not_found,
    a_member_sends_a_lead_to_a_webhook_and_marks_it_spam,
    a_member_marks_a_notification_read_and_unread,
    the_monitor_shows_every_post_with_its_answer_and_filters_by_outcome,
    only_operators_open_the_accounts_page_and_create_an_account,
    the_events_stream_tells_of_a_lead_of_the_current_account,
);
