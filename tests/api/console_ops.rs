//! The console's operational pages (spam, deliveries, sources, automations, and the settings
//! page's access rules) at the HTML level, on both stores: who may read and post what, and what each form
//! does. The frame's own rules (login redirect, CSRF, `Origin`) are checked here for these routes.

use leadpost::store::{JobState, Outcome};

use crate::helpers::console_ops::{Cast, dead_job, kept_spam};
use crate::helpers::spam::person;
use crate::helpers::{TestApp, on_both_stores};

/// Every page of this part of the console.
const PAGES: &[&str] = &[
    "/console/spam",
    "/console/deliveries",
    "/console/sources",
    "/console/automations",
    "/console/settings",
];

/// Whether a route is an owner's or also a member's.
#[derive(Clone, Copy, PartialEq)]
enum Needs {
    Member,
    Owner,
}

/// The objects the forms name, all of the cast's account.
struct Objects {
    submission: String,
    job: String,
    webhook: String,
    source: String,
    member: String,
    token: String,
}

async fn objects(app: &TestApp, cast: &Cast) -> Objects {
    let submission = kept_spam(app, &cast.account).await.to_string();
    let (webhook, job) = dead_job(app, &cast.account).await;
    let source = app.lead_source(&cast.account, None).await.id.to_string();
    let members = app
        .store
        .list_members(cast.account.id)
        .await
        .expect("members");
    let member = members
        .iter()
        .find(|m| m.role.as_str() == "viewer")
        .expect("the viewer")
        .user_id
        .to_string();
    app.api_token(&cast.account, "read").await;
    let token = app
        .store
        .list_api_tokens(cast.account.id)
        .await
        .expect("tokens")[0]
        .id
        .to_string();
    Objects {
        submission,
        job: job.to_string(),
        webhook: webhook.to_string(),
        source,
        member,
        token,
    }
}

/// Every write route with the role it needs.
fn writes(o: &Objects) -> Vec<(String, Needs)> {
    vec![
        (
            format!("/console/spam/{}/release", o.submission),
            Needs::Member,
        ),
        ("/console/spam/delete".into(), Needs::Owner),
        (
            format!("/console/deliveries/{}/retry", o.job),
            Needs::Member,
        ),
        (
            format!("/console/deliveries/webhooks/{}/retry-dead", o.webhook),
            Needs::Member,
        ),
        ("/console/sources".into(), Needs::Owner),
        (
            format!("/console/sources/{}/rotate", o.source),
            Needs::Owner,
        ),
        (
            format!("/console/sources/{}/rotate-inbound", o.source),
            Needs::Owner,
        ),
        (
            format!("/console/sources/{}/parsers", o.source),
            Needs::Owner,
        ),
        (
            format!("/console/sources/{}/parsers/test", o.source),
            Needs::Member,
        ),
        (
            format!("/console/sources/{}/parsers/{}/delete", o.source, o.token),
            Needs::Owner,
        ),
        ("/console/automations/webhooks".into(), Needs::Owner),
        (
            format!("/console/automations/webhooks/{}/test", o.webhook),
            Needs::Owner,
        ),
        ("/console/automations/plans".into(), Needs::Owner),
        ("/console/settings/account".into(), Needs::Owner),
        ("/console/settings/spam".into(), Needs::Owner),
        ("/console/settings/members".into(), Needs::Owner),
        (
            format!("/console/settings/members/{}", o.member),
            Needs::Owner,
        ),
        (
            format!("/console/settings/members/{}/remove", o.member),
            Needs::Owner,
        ),
        ("/console/settings/tokens".into(), Needs::Owner),
        (
            format!("/console/settings/tokens/{}/revoke", o.token),
            Needs::Owner,
        ),
    ]
}

/// Whether a page offers any form that changes something (logout and filters aside).
fn has_action_forms(body: &str) -> bool {
    body.match_indices("method=\"post\"")
        .any(|(at, _)| !body[at..].starts_with("method=\"post\" action=\"/console/logout\""))
}

async fn every_page_shows_to_each_role_of_the_account(app: TestApp) {
    let cast = app.cast().await;
    for path in PAGES {
        for session in [&cast.owner, &cast.member, &cast.viewer] {
            let page = app.page(Some(session), path).await;
            assert_eq!(page.status, 200, "{path}: {}", page.body);
            assert!(page.text().contains("<h1>"), "{path}");
        }
    }
}

async fn without_a_session_every_page_and_form_goes_to_the_login(app: TestApp) {
    let cast = app.cast().await;
    let objects = objects(&app, &cast).await;
    for path in PAGES {
        let page = app.page(None, path).await;
        assert_eq!(page.status, 303, "{path}");
        assert_eq!(page.location.as_deref(), Some("/console/login"), "{path}");
    }
    for (path, _) in writes(&objects) {
        let answer = app.submit_raw(None, &path, &[]).await;
        assert_eq!(answer.status, 303, "{path}");
        assert_eq!(answer.location.as_deref(), Some("/console/login"), "{path}");
    }
}

async fn a_viewer_sees_no_action_buttons_and_a_forged_post_is_403(app: TestApp) {
    let cast = app.cast().await;
    let objects = objects(&app, &cast).await;
    for path in PAGES {
        let page = app.page(Some(&cast.viewer), path).await;
        assert!(
            !has_action_forms(&page.body),
            "{path} offers a viewer a form"
        );
    }
    for (path, _) in writes(&objects) {
        let answer = app.submit(&cast.viewer, &path, &[]).await;
        assert_eq!(answer.status, 403, "{path}");
    }
}

async fn a_member_is_refused_the_owners_forms_and_sees_none(app: TestApp) {
    let cast = app.cast().await;
    let objects = objects(&app, &cast).await;
    for (path, needs) in writes(&objects) {
        if needs == Needs::Owner {
            let answer = app.submit(&cast.member, &path, &[]).await;
            assert_eq!(answer.status, 403, "{path}");
        }
    }
    let sources = app.page(Some(&cast.member), "/console/sources").await;
    assert!(!sources.text().contains("/rotate"));
    let settings = app.page(Some(&cast.member), "/console/settings").await;
    assert!(settings.text().contains("id=\"read-only\""));
    assert!(
        !settings.text().contains("id=\"members\""),
        "members are an owner's read"
    );
    assert!(!settings.text().contains("id=\"token-form\""));
}

async fn another_accounts_objects_are_not_found(app: TestApp) {
    let cast = app.cast().await;
    let objects = objects(&app, &cast).await;
    for (path, _) in writes(&objects) {
        if path.matches('/').count() > 3 && !path.ends_with("/delete") {
            let answer = app
                .submit(&cast.outsider, &path, &[("role", "owner")])
                .await;
            assert_eq!(answer.status, 404, "{path}: {}", answer.body);
        }
    }
}

async fn a_form_without_the_csrf_token_or_from_another_site_is_403(app: TestApp) {
    let cast = app.cast().await;
    let answer = app
        .submit_raw(Some(&cast.owner), "/console/sources", &[("name", "Web")])
        .await;
    assert_eq!(answer.status, 403);
    let foreign = app
        .http
        .post(format!("{}/console/sources", app.address))
        .header("cookie", &cast.owner.cookie)
        .header("origin", "http://localhost:1")
        .form(&[("csrf_token", cast.owner.csrf.as_str()), ("name", "Web")])
        .send()
        .await
        .expect("sent");
    assert_eq!(foreign.status().as_u16(), 403);
}

async fn the_spam_page_shows_the_reasons_and_not_spam_releases_the_lead(app: TestApp) {
    let cast = app.cast().await;
    let id = kept_spam(&app, &cast.account).await;
    let page = app.page(Some(&cast.member), "/console/spam").await;
    assert!(page.text().contains("honeypot"), "{}", page.body);
    assert!(page.text().contains(&format!("id=\"release-{id}\"")));
    assert!(
        !page.text().contains("id=\"delete-selected\""),
        "delete is an owner's"
    );
    let answer = app
        .submit(&cast.member, &format!("/console/spam/{id}/release"), &[])
        .await;
    let landed = app.landing(&cast.member, &answer).await;
    assert!(landed.text().contains("Released"), "{}", landed.body);
    assert_eq!(app.client_count(&cast.account).await, 1);
    let again = app
        .submit(&cast.member, &format!("/console/spam/{id}/release"), &[])
        .await;
    let refused = app.landing(&cast.member, &again).await;
    assert!(
        refused.text().contains("class=\"flash error\""),
        "{}",
        refused.body
    );
}

async fn an_owner_deletes_the_chosen_spam(app: TestApp) {
    let cast = app.cast().await;
    let id = kept_spam(&app, &cast.account).await.to_string();
    let page = app.page(Some(&cast.owner), "/console/spam").await;
    assert!(page.text().contains("id=\"delete-selected\""));
    let answer = app
        .submit(&cast.owner, "/console/spam/delete", &[("id", id.as_str())])
        .await;
    let landed = app.landing(&cast.owner, &answer).await;
    assert!(
        landed.text().contains("Deleted 1 kept spam post."),
        "{}",
        landed.body
    );
    assert!(
        app.submissions(&cast.account, Outcome::Spam)
            .await
            .is_empty()
    );
}

async fn the_deliveries_page_shows_each_attempt_and_retry_queues_it_again(app: TestApp) {
    let cast = app.cast().await;
    let (_, job) = dead_job(&app, &cast.account).await;
    let page = app
        .page(Some(&cast.member), "/console/deliveries?state=dead")
        .await;
    assert!(page.text().contains("HTTP 500"), "{}", page.body);
    assert!(page.text().contains("42 ms"));
    assert!(page.text().contains("receiver down for maintenance"));
    let answer = app
        .submit(
            &cast.member,
            &format!("/console/deliveries/{job}/retry"),
            &[],
        )
        .await;
    let landed = app.landing(&cast.member, &answer).await;
    assert!(landed.text().contains("queued again"), "{}", landed.body);
    let stored = app.store.get_job(job).await.expect("job");
    assert_eq!(stored.state, JobState::Queued);
}

async fn retry_all_dead_queues_every_dead_job_of_the_webhook(app: TestApp) {
    let cast = app.cast().await;
    let (webhook, job) = dead_job(&app, &cast.account).await;
    let answer = app
        .submit(
            &cast.member,
            &format!("/console/deliveries/webhooks/{webhook}/retry-dead"),
            &[],
        )
        .await;
    let landed = app.landing(&cast.member, &answer).await;
    assert!(
        landed.text().contains("1 dead job queued again."),
        "{}",
        landed.body
    );
    assert_eq!(
        app.store.get_job(job).await.expect("job").state,
        JobState::Queued
    );
}

async fn an_owner_creates_a_source_and_its_key_is_shown_with_a_copy_button(app: TestApp) {
    let cast = app.cast().await;
    let answer = app
        .submit(
            &cast.owner,
            "/console/sources",
            &[("name", "Spring mailer")],
        )
        .await;
    let landed = app.landing(&cast.owner, &answer).await;
    assert!(
        landed
            .text()
            .contains("Lead source \"Spring mailer\" created.")
    );
    let sources = app
        .store
        .list_lead_sources(cast.account.id, leadpost::store::Page::first(10))
        .await
        .expect("sources");
    let key = &sources[0].web_key;
    assert!(landed.text().contains(key.as_str()));
    assert!(
        landed
            .text()
            .contains(&format!("data-copy=\"key-{}\"", sources[0].id))
    );
}

async fn rotating_a_key_with_grace_keeps_the_old_key_working(app: TestApp) {
    let cast = app.cast().await;
    let source = app.lead_source(&cast.account, None).await;
    let answer = app
        .submit(
            &cast.owner,
            &format!("/console/sources/{}/rotate", source.id),
            &[("grace_seconds", "3600")],
        )
        .await;
    let landed = app.landing(&cast.owner, &answer).await;
    assert!(
        landed.text().contains("the old one works until"),
        "{}",
        landed.body
    );
    let rotated = app
        .store
        .get_lead_source(cast.account.id, source.id)
        .await
        .expect("source");
    assert_ne!(rotated.web_key, source.web_key);
    assert_eq!(app.post_form(&person(&source.web_key)).await.status(), 200);
    assert_eq!(
        app.client_count(&cast.account).await,
        1,
        "the old key still works"
    );
}

async fn the_embed_builder_makes_the_chosen_snippet(app: TestApp) {
    let cast = app.cast().await;
    let source = app.lead_source(&cast.account, None).await;
    let query = format!(
        "/console/sources?source={}&built=1&field=phone&field=zip\
         &success_url=https%3A%2F%2Fexample.com%2Fthanks",
        source.id
    );
    let page = app.page(Some(&cast.viewer), &query).await;
    assert_eq!(page.status, 200);
    let text = page.text();
    let code = text
        .split("id=\"embed-code\"")
        .nth(1)
        .expect("the code box");
    assert!(code.contains(&source.web_key));
    assert!(code.contains("name=\"zip\""));
    assert!(code.contains("type=\"tel\""));
    assert!(!code.contains("name=\"email\""), "email was not chosen");
    assert!(code.contains("value=\"https://example.com/thanks\""));
    assert!(code.contains("_lp_hp") && code.contains("_lp_t"));
    assert!(code.contains("target=\"_top\""));
    let preview = app
        .page(
            Some(&cast.viewer),
            &query.replace("/console/sources?", "/console/sources/preview?"),
        )
        .await;
    assert_eq!(preview.status, 200);
    assert!(preview.text().contains("name=\"zip\""));
    let snippet = app
        .page(
            Some(&cast.viewer),
            &query.replace("/console/sources?", "/console/sources/snippet?"),
        )
        .await;
    assert!(
        snippet.body.starts_with("<!-- leadpost form"),
        "{}",
        snippet.body
    );
}

async fn the_embed_builder_names_a_landing_page_that_is_not_a_web_address(app: TestApp) {
    let cast = app.cast().await;
    let source = app.lead_source(&cast.account, None).await;
    let query = format!(
        "/console/sources?source={}&built=1&error_url=javascript%3Aalert(1)",
        source.id
    );
    let page = app.page(Some(&cast.owner), &query).await;
    let text = page.text();
    assert!(text.contains("The error page must be an http:// or https:// address."));
    let code = text
        .split("id=\"embed-code\"")
        .nth(1)
        .expect("the code box");
    assert!(
        !code.contains("javascript:"),
        "the refused address is not in the snippet"
    );
}

async fn an_owner_creates_a_signed_webhook_whose_secret_is_shown_once(app: TestApp) {
    let cast = app.cast().await;
    let answer = app
        .submit(
            &cast.owner,
            "/console/automations/webhooks",
            &[
                ("name", "CRM"),
                ("url", "https://crm.example.com/hook"),
                ("method", "POST"),
                ("body", r#"{"email": "{{ client.email }}"}"#),
                ("sign", "on"),
            ],
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(
        answer.text().contains("id=\"secret-value\">whsec_"),
        "{}",
        answer.body
    );
    let again = app.page(Some(&cast.owner), "/console/automations").await;
    assert!(again.text().contains("CRM"));
    assert!(!again.text().contains("id=\"secret-value\""));
}

async fn an_owner_creates_an_action_plan_with_steps(app: TestApp) {
    let cast = app.cast().await;
    let (webhook, _) = dead_job(&app, &cast.account).await;
    let hook = webhook.to_string();
    let answer = app
        .submit(
            &cast.owner,
            "/console/automations/plans",
            &[
                ("name", "Follow up"),
                ("webhook_id", hook.as_str()),
                ("delay_seconds", "0"),
                ("webhook_id", hook.as_str()),
                ("delay_seconds", "600"),
                ("webhook_id", ""),
                ("delay_seconds", "0"),
            ],
        )
        .await;
    let landed = app.landing(&cast.owner, &answer).await;
    assert!(
        landed.text().contains("Action plan \"Follow up\" created."),
        "{}",
        landed.body
    );
    assert!(landed.text().contains("after 600 s"));
}

on_both_stores!(
    every_page_shows_to_each_role_of_the_account,
    without_a_session_every_page_and_form_goes_to_the_login,
    a_viewer_sees_no_action_buttons_and_a_forged_post_is_403,
    a_member_is_refused_the_owners_forms_and_sees_none,
    another_accounts_objects_are_not_found,
    a_form_without_the_csrf_token_or_from_another_site_is_403,
    the_spam_page_shows_the_reasons_and_not_spam_releases_the_lead,
    an_owner_deletes_the_chosen_spam,
    the_deliveries_page_shows_each_attempt_and_retry_queues_it_again,
    retry_all_dead_queues_every_dead_job_of_the_webhook,
    an_owner_creates_a_source_and_its_key_is_shown_with_a_copy_button,
    rotating_a_key_with_grace_keeps_the_old_key_working,
    the_embed_builder_makes_the_chosen_snippet,
    the_embed_builder_names_a_landing_page_that_is_not_a_web_address,
    an_owner_creates_a_signed_webhook_whose_secret_is_shown_once,
    an_owner_creates_an_action_plan_with_steps,
);

/// A test send from the automations page to a receiver on loopback (loopback targets allowed).
async fn a_test_send_shows_the_request_and_the_receivers_answer(backend: crate::helpers::Backend) {
    let Some(app) = crate::helpers::spawn_app_with(backend, |s| {
        s.delivery.allow_private_targets = true;
    })
    .await
    else {
        return;
    };
    let receiver = crate::receiver::Receiver::start(vec![(202, vec![])]).await;
    let cast = app.cast().await;
    let hook = app
        .store
        .create_webhook(
            cast.account.id,
            &leadpost::store::NewWebhook {
                name: "Receiver".into(),
                url: format!("{}/in", receiver.url),
                method: "POST".into(),
                headers: serde_json::json!({"X-Api-Key": "k3y"}),
                body: Some(serde_json::json!({"first": "{{ client.firstName }}"})),
                ..Default::default()
            },
        )
        .await
        .expect("webhook");
    let answer = app
        .submit(
            &cast.owner,
            &format!("/console/automations/webhooks/{}/test", hook.id),
            &[("client_id", "")],
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(answer.text().contains("HTTP 202"), "{}", answer.body);
    assert!(answer.text().contains("answer body"));
    assert!(
        answer.text().contains(r#"{"first":"Sample"}"#),
        "{}",
        answer.body
    );
    assert!(answer.text().contains("x-api-key: ********"));
    assert_eq!(receiver.count(), 1);
}

#[tokio::test]
async fn a_test_send_shows_the_request_and_the_receivers_answer_on_sqlite() {
    a_test_send_shows_the_request_and_the_receivers_answer(crate::helpers::Backend::Sqlite).await;
}

#[tokio::test]
async fn a_test_send_shows_the_request_and_the_receivers_answer_on_postgres() {
    a_test_send_shows_the_request_and_the_receivers_answer(crate::helpers::Backend::Postgres).await;
}
