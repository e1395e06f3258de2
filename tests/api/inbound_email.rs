//! Leads by email over HTTP: `POST /v1/inbound/{token}` in each provider's shape, the parsers, the
//! ignore rules, the spam rules of inbound channels, the size limit and reparse.

use leadpost::store::{Channel, Outcome};
use serde_json::json;

use crate::helpers::TestApp;
use crate::helpers::inbound::{lead_mail, message, on_both_stores_inbound, parsers_path};

async fn a_raw_message_a_parser_takes_becomes_a_client_logged_as_email(app: TestApp) {
    let (account, source) = app.inbound_source().await;
    let raw = lead_mail("ann@example.com");
    let response = app
        .post_inbound(&source.inbound_token, "message/rfc822", raw.clone())
        .await;
    assert_eq!(response.status(), 200);
    let client = app.latest_client(&account).await.expect("a client");
    assert_eq!(client.fields.first_name(), "Ann");
    assert_eq!(client.fields.last_name(), Some("Lee"));
    assert_eq!(client.fields.phone(), Some("8015551234"));
    assert_eq!(client.custom_fields["Job"], "Roof repair");
    assert_eq!(client.lead_source_id, Some(source.id));
    let logged = app.last_submission(&account).await;
    assert_eq!(logged.outcome, Outcome::Accepted);
    assert_eq!(logged.channel, Channel::Email);
    assert_eq!(logged.raw_message.as_deref(), Some(raw.as_str()));
}

async fn the_token_is_matched_in_any_case(app: TestApp) {
    let (account, source) = app.inbound_source().await;
    let token = source.inbound_token.to_uppercase();
    let response = app
        .post_inbound(&token, "message/rfc822", lead_mail("ann@example.com"))
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(app.client_count(&account).await, 1);
}

async fn an_unknown_token_is_404_and_nothing_is_kept(app: TestApp) {
    let (account, _) = app.inbound_source().await;
    let response = app
        .post_inbound(
            "nosuchtoken0000000000000000",
            "message/rfc822",
            lead_mail("ann@example.com"),
        )
        .await;
    assert_eq!(response.status(), 404);
    assert_eq!(app.client_count(&account).await, 0);
}

async fn mailguns_form_is_read(app: TestApp) {
    let (account, source) = app.inbound_source().await;
    let body = serde_urlencoded::to_string([
        ("sender", "bot@leads.example"),
        ("from", "Leads <bot@leads.example>"),
        ("subject", "New lead"),
        ("body-plain", "Name: Bo Diaz\nEmail: bo@example.com\n"),
    ])
    .expect("form");
    let response = app
        .post_inbound(
            &source.inbound_token,
            "application/x-www-form-urlencoded",
            body,
        )
        .await;
    assert_eq!(response.status(), 200);
    let client = app.latest_client(&account).await.expect("a client");
    assert_eq!(client.fields.email(), Some("bo@example.com"));
}

async fn sendgrids_raw_multipart_is_read(app: TestApp) {
    let (account, source) = app.inbound_source().await;
    let form = reqwest::multipart::Form::new()
        .text("email", lead_mail("cy@example.com"))
        .text("to", "x@in.example");
    let response = app
        .http
        .post(format!(
            "{}/v1/inbound/{}",
            app.address, source.inbound_token
        ))
        .multipart(form)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    let client = app.latest_client(&account).await.expect("a client");
    assert_eq!(client.fields.email(), Some("cy@example.com"));
}

async fn postmarks_json_is_read(app: TestApp) {
    let (account, source) = app.inbound_source().await;
    let body = json!({
        "FromFull": {"Email": "bot@leads.example", "Name": "Leads"},
        "Subject": "New lead",
        "TextBody": "Name: Di Park\nEmail: di@example.com\n",
    });
    let response = app
        .post_inbound(&source.inbound_token, "application/json", body.to_string())
        .await;
    assert_eq!(response.status(), 200);
    let client = app.latest_client(&account).await.expect("a client");
    assert_eq!(client.fields.email(), Some("di@example.com"));
}

async fn a_message_no_parser_takes_is_kept_rejected_no_parser_and_answered_200(app: TestApp) {
    let (account, source) = app.inbound_source().await;
    let raw = message("someone@else.example", "Hello", &[], "Name: Ann\n");
    let response = app
        .post_inbound(&source.inbound_token, "message/rfc822", raw)
        .await;
    assert_eq!(response.status(), 200);
    let logged = app.last_submission(&account).await;
    assert_eq!(logged.outcome, Outcome::Rejected);
    assert_eq!(logged.error_code.as_deref(), Some("no_parser"));
    assert_eq!(app.client_count(&account).await, 0);
}

async fn an_auto_reply_is_ignored(app: TestApp) {
    let (account, source) = app.inbound_source().await;
    let raw = message(
        "bot@leads.example",
        "New lead",
        &[("Auto-Submitted", "auto-replied")],
        "Name: Ann Lee\n",
    );
    let response = app
        .post_inbound(&source.inbound_token, "message/rfc822", raw)
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        app.last_submission(&account).await.outcome,
        Outcome::Ignored
    );
    assert_eq!(app.client_count(&account).await, 0);
}

async fn unmatched_bulk_mail_is_ignored_but_a_vendors_bulk_lead_is_processed(app: TestApp) {
    let (account, source) = app.inbound_source().await;
    let bulk = [("Precedence", "bulk")];
    let newsletter = message("news@other.example", "Our news", &bulk, "Hi\n");
    app.post_inbound(&source.inbound_token, "message/rfc822", newsletter)
        .await;
    assert_eq!(
        app.last_submission(&account).await.outcome,
        Outcome::Ignored
    );
    let lead = message(
        "bot@leads.example",
        "New lead",
        &bulk,
        "Name: Ann Lee\nEmail: ann@example.com\n",
    );
    app.post_inbound(&source.inbound_token, "message/rfc822", lead)
        .await;
    assert_eq!(app.client_count(&account).await, 1);
}

async fn a_parsed_lead_without_a_name_is_rejected_ct102(app: TestApp) {
    let (account, source) = app.inbound_source().await;
    let raw = message(
        "bot@leads.example",
        "New lead",
        &[],
        "Email: x@example.com\n",
    );
    let response = app
        .post_inbound(&source.inbound_token, "message/rfc822", raw)
        .await;
    assert_eq!(response.status(), 200);
    let logged = app.last_submission(&account).await;
    assert_eq!(logged.outcome, Outcome::Rejected);
    assert_eq!(logged.error_code.as_deref(), Some("ct102"));
}

async fn blocked_words_make_an_email_lead_spam(app: TestApp) {
    let (account, source) = app.inbound_source().await;
    app.set_spam(&account, json!({"blocked_words": ["roof"]}))
        .await;
    let response = app
        .post_inbound(
            &source.inbound_token,
            "message/rfc822",
            lead_mail("ann@example.com"),
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(app.last_spam_reasons(&account).await, ["blocked_word"]);
    assert_eq!(app.client_count(&account).await, 0);
}

async fn the_form_only_checks_do_not_apply_to_email(app: TestApp) {
    let (account, source) = app.inbound_source().await;
    // CAPTCHA on and a required origin: a form post would be refused or spam, an email is not.
    app.set_spam(
        &account,
        json!({"require_origin": true, "captcha": {"provider": "turnstile", "secret": "s", "site_key": "k"}}),
    )
    .await;
    app.post_inbound(
        &source.inbound_token,
        "message/rfc822",
        lead_mail("ann@example.com"),
    )
    .await;
    assert_eq!(app.client_count(&account).await, 1);
}

async fn a_message_over_the_size_limit_is_413(app: TestApp) {
    let (_, source) = app.inbound_source().await;
    let big = lead_mail("ann@example.com") + &"x".repeat(app.settings.inbound.max_bytes);
    let response = app
        .post_inbound(&source.inbound_token, "message/rfc822", big)
        .await;
    assert_eq!(response.status(), 413);
}

async fn reparse_after_a_new_parser_makes_the_lead_on_the_same_row(app: TestApp) {
    let (account, source) = app.inbound_source().await;
    let raw = message(
        "form@site.example",
        "Contact form",
        &[],
        "Who: Ann Lee\nMail: ann@example.com\n",
    );
    app.post_inbound(&source.inbound_token, "message/rfc822", raw)
        .await;
    let kept = app.last_submission(&account).await;
    assert_eq!(kept.error_code.as_deref(), Some("no_parser"));
    let parser = json!({"name": "Site form", "match": {"from": "*@site.example"}, "terms": [
        {"term": "Name", "start": "Who:"}, {"term": "Email", "start": "Mail:"}]});
    let (status, _) = app
        .admin_post(&parsers_path(&account, &source), parser)
        .await;
    assert_eq!(status, 201);
    let path = format!("/admin/v1/submissions/{}/reparse", kept.id);
    let (status, body) = app.admin_post(&path, json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["id"], kept.id.to_string());
    assert_eq!(body["outcome"], "accepted");
    assert_eq!(body["channel"], "email");
    assert!(body["reparsed_at"].is_string());
    let client = app.latest_client(&account).await.expect("a client");
    assert_eq!(body["client_id"], client.id.to_string());
    let (status, _) = app.admin_post(&path, json!({})).await;
    assert_eq!(status, 409);
}

async fn reparse_of_a_form_post_is_409(app: TestApp) {
    let account = app.account().await;
    app.post_form(&[("web_key", &account.web_key), ("name", "")])
        .await;
    let kept = app.last_submission(&account).await;
    let path = format!("/admin/v1/submissions/{}/reparse", kept.id);
    let (status, _) = app.admin_post(&path, json!({})).await;
    assert_eq!(status, 409);
}

async fn submissions_show_their_channel(app: TestApp) {
    let (account, source) = app.inbound_source().await;
    app.post_form(&[("web_key", &source.web_key), ("name", "Bo Diaz")])
        .await;
    app.post_inbound(
        &source.inbound_token,
        "message/rfc822",
        lead_mail("ann@example.com"),
    )
    .await;
    let (status, body) = app
        .admin_get(&format!("/admin/v1/accounts/{}/submissions", account.id))
        .await;
    assert_eq!(status, 200);
    let channels: Vec<&str> = body["submissions"]
        .as_array()
        .expect("list")
        .iter()
        .map(|s| s["channel"].as_str().expect("channel"))
        .collect();
    assert_eq!(channels, ["email", "form"]);
}

on_both_stores_inbound!(
    a_raw_message_a_parser_takes_becomes_a_client_logged_as_email,
    the_token_is_matched_in_any_case,
    an_unknown_token_is_404_and_nothing_is_kept,
    mailguns_form_is_read,
    sendgrids_raw_multipart_is_read,
    postmarks_json_is_read,
    a_message_no_parser_takes_is_kept_rejected_no_parser_and_answered_200,
    an_auto_reply_is_ignored,
    unmatched_bulk_mail_is_ignored_but_a_vendors_bulk_lead_is_processed,
    a_parsed_lead_without_a_name_is_rejected_ct102,
    blocked_words_make_an_email_lead_spam,
    the_form_only_checks_do_not_apply_to_email,
    a_message_over_the_size_limit_is_413,
    reparse_after_a_new_parser_makes_the_lead_on_the_same_row,
    reparse_of_a_form_post_is_409,
    submissions_show_their_channel,
);
