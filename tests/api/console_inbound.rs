//! Leads by email in the console, on both stores: a source's inbound URL and address on the
//! sources page, the inbound address rotated, and a source's parsers added, deleted and tried on a
//! pasted message (nothing stored). Who may post each form is in `console_ops.rs`'s list.

use crate::helpers::TestApp;
use crate::helpers::inbound::{DOMAIN, lead_mail, on_both_stores_inbound};

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
    assert!(landed.text().contains(&format!("id=\"parser-{}\"", parsers[0].id)));
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
        answer.text().contains("<td>email</td><td>ann@example.com</td>"),
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
    assert!(!page.text().contains("method=\"post\" action=\"/console/sources"));
    let member = app.page(Some(&cast.member), &parsers_page(&source)).await;
    assert!(member.text().contains("id=\"test-parsers\""));
    assert!(!member.text().contains("id=\"create-parser\""));
    let outsider = app.page(Some(&cast.outsider), &parsers_page(&source)).await;
    assert_eq!(outsider.status, 404);
}

on_both_stores_inbound!(
    the_sources_page_shows_the_inbound_url_and_address_to_copy,
    an_owner_rotates_the_inbound_address_and_the_old_one_stops,
    an_owner_adds_a_parser_and_deletes_it,
    a_parser_with_a_bad_subject_is_refused_naming_the_field,
    a_member_tests_a_message_and_sees_the_fields_with_nothing_stored,
    a_viewer_reads_the_parsers_but_gets_no_forms,
);
