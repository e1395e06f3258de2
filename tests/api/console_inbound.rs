//! Leads by email in the console, on both stores: a source's inbound URL and address on the
//! sources page, the inbound address rotated, and a source's parsers added, deleted and tried on a
//! pasted message (nothing stored); the Monitor's channel filter and an email's raw message on the
//! Monitor and the lead's page. Who may post each form is in `console_ops.rs`'s list.

use leadpost::store::{Channel, Outcome};

use crate::helpers::TestApp;
use crate::helpers::inbound::{
    DOMAIN, lead_mail, lead_parser, message, on_both_stores_inbound, parsers_path,
};

/// The console page of `source`'s parsers.
fn parsers_page(source: &leadpost::store::LeadSource) -> String {
    format!("/console/sources/{}/parsers", source.id)
}

/// The form of a parser taking the test vendor's mail (see `helpers/inbound.rs`).
const VENDOR_PARSER: &[(&str, &str)] = &[
    ("name", "Leads vendor"),
    ("from", "*@leads.example"),
    ("subject", "New lead"),
    ("term", "Name"),
    ("start", "Name:"),
    ("end", ""),
    ("term", "Email"),
    ("start", "Email:"),
    ("end", ""),
    ("term", ""),
    ("start", ""),
    ("end", ""),
];

async fn the_sources_page_shows_the_inbound_url_and_address_to_copy(app: TestApp) {
    let cast = app.cast().await;
    let source = app.lead_source(&cast.account, None).await;
    let page = app.page(Some(&cast.viewer), "/console/sources").await;
    let token = &source.inbound_token;
    assert!(
        page.text()
            .contains(&format!("https://leads.example.org/v1/inbound/{token}")),
        "{}",
        page.body
    );
    assert!(page.text().contains(&format!("{token}@{DOMAIN}")));
    assert!(
        page.text()
            .contains(&format!("data-copy=\"inbound-address-{}\"", source.id))
    );
    assert!(page.text().contains(&parsers_page(&source)));
    assert!(!page.text().contains("/rotate-inbound"), "an owner's form");
}

async fn an_owner_rotates_the_inbound_address_and_the_old_one_stops(app: TestApp) {
    let cast = app.cast().await;
    let source = app.lead_source(&cast.account, None).await;
    let path = format!("/console/sources/{}/rotate-inbound", source.id);
    let answer = app.submit(&cast.owner, &path, &[]).await;
    let landed = app.landing(&cast.owner, &answer).await;
    assert!(
        landed.text().contains("New inbound address"),
        "{}",
        landed.body
    );
    let now = app
        .store
        .get_lead_source(cast.account.id, source.id)
        .await
        .expect("source");
    assert_ne!(now.inbound_token, source.inbound_token);
    assert!(landed.text().contains(&now.inbound_token));
    assert!(!landed.text().contains(&source.inbound_token));
}

async fn an_owner_adds_a_parser_and_deletes_it(app: TestApp) {
    let cast = app.cast().await;
    let source = app.lead_source(&cast.account, None).await;
    let answer = app
        .submit(&cast.owner, &parsers_page(&source), VENDOR_PARSER)
        .await;
    let landed = app.landing(&cast.owner, &answer).await;
    assert!(
        landed
            .text()
            .contains("Parser \"Leads vendor\" added at position 0."),
        "{}",
        landed.body
    );
    let parsers = app.store.list_parsers(source.id).await.expect("parsers");
    assert_eq!(parsers.len(), 1);
    assert_eq!(parsers[0].terms.len(), 2, "the blank row is left out");
    assert_eq!(parsers[0].matching.from.as_deref(), Some("*@leads.example"));
    assert!(
        landed
            .text()
            .contains(&format!("id=\"parser-{}\"", parsers[0].id))
    );
    let delete = format!("{}/{}/delete", parsers_page(&source), parsers[0].id);
    let answer = app.submit(&cast.owner, &delete, &[]).await;
    let landed = app.landing(&cast.owner, &answer).await;
    assert!(landed.text().contains("Parser deleted."), "{}", landed.body);
    assert!(
        app.store
            .list_parsers(source.id)
            .await
            .expect("parsers")
            .is_empty()
    );
}

async fn a_parser_with_a_bad_subject_is_refused_naming_the_field(app: TestApp) {
    let cast = app.cast().await;
    let source = app.lead_source(&cast.account, None).await;
    let form = [
        ("name", "Broken"),
        ("subject", "New (lead"),
        ("term", "Name"),
        ("start", "Name:"),
        ("end", ""),
    ];
    let answer = app.submit(&cast.owner, &parsers_page(&source), &form).await;
    let landed = app.landing(&cast.owner, &answer).await;
    assert!(
        landed.text().contains("class=\"flash error\""),
        "{}",
        landed.body
    );
    assert!(landed.text().contains("match.subject"), "{}", landed.body);
    assert!(
        app.store
            .list_parsers(source.id)
            .await
            .expect("parsers")
            .is_empty()
    );
}

async fn a_member_tests_a_message_and_sees_the_fields_with_nothing_stored(app: TestApp) {
    let cast = app.cast().await;
    let source = app.lead_source(&cast.account, None).await;
    app.submit(&cast.owner, &parsers_page(&source), VENDOR_PARSER)
        .await;
    let raw = lead_mail("ann@example.com");
    let test = format!("{}/test", parsers_page(&source));
    let answer = app
        .submit(&cast.member, &test, &[("raw", raw.as_str())])
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(
        answer.text().contains("Parser \"Leads vendor\" takes it"),
        "{}",
        answer.body
    );
    assert!(
        answer
            .text()
            .contains("<td>email</td><td>ann@example.com</td>"),
        "{}",
        answer.body
    );
    assert!(answer.text().contains("<td>name</td><td>Ann Lee</td>"));
    assert_eq!(app.client_count(&cast.account).await, 0);
    assert!(
        app.submissions(&cast.account, leadpost::store::Outcome::Accepted)
            .await
            .is_empty()
    );
}

async fn a_viewer_reads_the_parsers_but_gets_no_forms(app: TestApp) {
    let cast = app.cast().await;
    let source = app.lead_source(&cast.account, None).await;
    app.submit(&cast.owner, &parsers_page(&source), VENDOR_PARSER)
        .await;
    let page = app.page(Some(&cast.viewer), &parsers_page(&source)).await;
    assert_eq!(page.status, 200);
    assert!(page.text().contains("Leads vendor"));
    assert!(
        !page
            .text()
            .contains("method=\"post\" action=\"/console/sources")
    );
    let member = app.page(Some(&cast.member), &parsers_page(&source)).await;
    assert!(member.text().contains("id=\"test-parsers\""));
    assert!(!member.text().contains("id=\"create-parser\""));
    let outsider = app.page(Some(&cast.outsider), &parsers_page(&source)).await;
    assert_eq!(outsider.status, 404);
}

/// A source of the cast's account with the test vendor's parser; one email lead (whose body
/// carries markup) and one form post arrive. Returns the email's raw message.
async fn an_email_and_a_form_post(
    app: &TestApp,
    cast: &crate::helpers::console_ops::Cast,
) -> String {
    let source = app.lead_source(&cast.account, None).await;
    let (status, body) = app
        .admin_post(&parsers_path(&cast.account, &source), lead_parser())
        .await;
    assert_eq!(status, 201, "{body}");
    let raw = message(
        "Leads <bot@leads.example>",
        "New lead from the website",
        &[],
        "Name: Ann Lee\nEmail: ann@example.com\nPhone: (801) 555-1234\nNote: <b>bold</b>\n",
    );
    let response = app
        .post_inbound(&source.inbound_token, "message/rfc822", raw.clone())
        .await;
    assert_eq!(response.status(), 200);
    app.post_form(&[
        ("web_key", source.web_key.as_str()),
        ("firstName", "Bo"),
        ("lastName", "Form"),
        ("email", "bo@example.com"),
    ])
    .await;
    raw
}

async fn the_monitor_filters_by_channel_and_shows_an_emails_message_escaped(app: TestApp) {
    let cast = app.cast().await;
    an_email_and_a_form_post(&app, &cast).await;
    let all = app.page(Some(&cast.viewer), "/console/submissions").await;
    assert!(
        all.body.contains("<td class=\"channel\">email</td>"),
        "{}",
        all.body
    );
    assert!(all.body.contains("<td class=\"channel\">form</td>"));
    let email = app
        .page(Some(&cast.viewer), "/console/submissions?channel=email")
        .await;
    assert_eq!(email.status, 200);
    assert!(email.body.contains("<td class=\"channel\">email</td>"));
    assert!(!email.body.contains("<td class=\"channel\">form</td>"));
    assert!(email.body.contains("class=\"raw-message\""));
    assert!(email.body.contains("&lt;b&gt;bold&lt;"), "{}", email.body);
    assert!(!email.body.contains("<b>bold</b>"));
    let form = app
        .page(Some(&cast.viewer), "/console/submissions?channel=form")
        .await;
    assert!(!form.body.contains("<td class=\"channel\">email</td>"));
    assert!(
        !form.body.contains("class=\"raw-message\""),
        "a form post has no message"
    );
}

async fn an_unknown_channel_is_a_problem_naming_the_field(app: TestApp) {
    let cast = app.cast().await;
    let page = app
        .page(Some(&cast.viewer), "/console/submissions?channel=fax")
        .await;
    assert_eq!(page.status, 422);
    assert!(
        page.text()
            .contains("channel must be form, email or vendor"),
        "{}",
        page.body
    );
    let (status, body) = app
        .admin_get(&format!(
            "/admin/v1/accounts/{}/submissions?channel=fax",
            cast.account.id
        ))
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(body.to_string().contains("channel"), "{body}");
}

async fn the_leads_page_shows_its_channel_and_the_message(app: TestApp) {
    let cast = app.cast().await;
    an_email_and_a_form_post(&app, &cast).await;
    let accepted = app.submissions(&cast.account, Outcome::Accepted).await;
    let lead_of = |channel: Channel| {
        accepted
            .iter()
            .find(|s| s.channel == channel)
            .and_then(|s| s.client_id)
            .expect("a lead of the channel")
    };
    let email = lead_of(Channel::Email);
    let page = app
        .page(Some(&cast.viewer), &format!("/console/leads/{email}"))
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("<dd id=\"origin-channel\">email</dd>"),
        "{}",
        page.body
    );
    assert!(page.body.contains("id=\"origin-raw\""));
    assert!(page.body.contains("&lt;b&gt;bold&lt;"));
    let form = lead_of(Channel::Form);
    let page = app
        .page(Some(&cast.viewer), &format!("/console/leads/{form}"))
        .await;
    assert!(page.body.contains("<dd id=\"origin-channel\">form</dd>"));
    assert!(!page.body.contains("id=\"origin-raw\""));
}

on_both_stores_inbound!(
    the_monitor_filters_by_channel_and_shows_an_emails_message_escaped,
    an_unknown_channel_is_a_problem_naming_the_field,
    the_leads_page_shows_its_channel_and_the_message,
    the_sources_page_shows_the_inbound_url_and_address_to_copy,
    an_owner_rotates_the_inbound_address_and_the_old_one_stops,
    an_owner_adds_a_parser_and_deletes_it,
    a_parser_with_a_bad_subject_is_refused_naming_the_field,
    a_member_tests_a_message_and_sees_the_fields_with_nothing_stored,
    a_viewer_reads_the_parsers_but_gets_no_forms,
);
