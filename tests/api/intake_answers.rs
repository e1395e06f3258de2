//! How posts are answered and what they leave behind: codes, redirects, the
//! submission log, double submits, tags, custom fields, jobs and notifications.

use leadpost::store::{NewAccount, Outcome, Page, SubmissionFilter};
use serde_json::Value;

use crate::helpers::{TestApp, on_both_stores, plan_with_webhook};

const SUCCESS_URL: &str = "http://localhost/thanks";
const ERROR_URL: &str = "http://localhost/oops";

async fn the_seed_simple_web_form_redirects_to_on_success_url(app: TestApp) {
    let account = app.account().await;
    // Exactly what a browser sends for the seed's form (urlencoded, every input).
    let body = format!(
        "firstName=Ann&lastName=Lee&phone=8015551234&email=ann%40example.com\
         &notes=Roof+leaks+over+the+garage.%0D%0ACall+after+5.&web_key={}\
         &OnSuccessURL=http%3A%2F%2Flocalhost%2Fthanks&OnErrorURL=http%3A%2F%2Flocalhost%2Foops",
        account.web_key
    );
    let response = app
        .post_raw(Some("application/x-www-form-urlencoded"), body)
        .await;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], SUCCESS_URL);
    let client = app.latest_client(&account).await.expect("stored");
    assert_eq!(client.fields.first_name(), "Ann");
    assert_eq!(client.fields.last_name(), Some("Lee"));
    assert_eq!(client.fields.phone(), Some("8015551234"));
    assert_eq!(client.fields.email(), Some("ann@example.com"));
    assert_eq!(
        client.notes[0].body,
        "Roof leaks over the garage.\nCall after 5."
    );
}

async fn success_without_on_success_url_is_json(app: TestApp) {
    let account = app.account().await;
    let response = app
        .post_form(&[("web_key", &account.web_key), ("name", "Ann Lee")])
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body, serde_json::json!({"Message": "Success"}));
}

async fn a_missing_web_key_is_ct101(app: TestApp) {
    let response = app.post_form(&[("name", "Ann Lee")]).await;
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["error_code"], "ct101");
    assert_eq!(body["msg"], "Invalid Web_Key");
}

async fn an_unknown_web_key_redirects_with_ct101(app: TestApp) {
    let response = app
        .post_form(&[
            ("web_key", "nope"),
            ("name", "Ann"),
            ("OnErrorURL", "http://localhost/oops?form=a#top"),
        ])
        .await;
    assert_eq!(response.status(), 303);
    assert_eq!(
        response.headers()["location"],
        "http://localhost/oops?form=a&error_Code=ct101&msg=Invalid+Web_Key#top"
    );
    let log = app
        .store
        .list_submissions(&SubmissionFilter::default(), Page::first(10))
        .await
        .expect("log");
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].account_id, None);
    assert_eq!(log[0].error_code.as_deref(), Some("ct101"));
}

async fn a_missing_name_is_ct102(app: TestApp) {
    let account = app.account().await;
    for body in [
        vec![("firstName", "Ann")],
        vec![("lastName", "Lee")],
        vec![("name", "  ")],
    ] {
        let mut pairs = vec![("web_key", account.web_key.as_str())];
        pairs.extend(body);
        let response = app.post_form(&pairs).await;
        assert_eq!(response.status(), 400);
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["error_code"], "ct102");
        assert_eq!(body["msg"], "Name Not Received");
    }
    let response = app
        .post_form(&[("web_key", &account.web_key), ("OnErrorURL", ERROR_URL)])
        .await;
    assert_eq!(response.status(), 303);
    assert!(
        response.headers()["location"]
            .to_str()
            .unwrap_or_default()
            .contains("error_Code=ct102")
    );
}

async fn first_and_last_name_make_a_name(app: TestApp) {
    let account = app.account().await;
    let response = app
        .post_form(&[
            ("web_key", &account.web_key),
            ("firstName", "Ann"),
            ("lastName", "de Vries"),
        ])
        .await;
    assert_eq!(response.status(), 200);
    let client = app.latest_client(&account).await.expect("stored");
    assert_eq!(
        (client.fields.first_name(), client.fields.last_name()),
        ("Ann", Some("de Vries"))
    );
}

async fn a_duplicate_email_is_ct103_with_a_duplicate_record_notification(app: TestApp) {
    let account = app.account().await;
    let first = app
        .post_form(&[
            ("web_key", &account.web_key),
            ("name", "Ann Lee"),
            ("email", "ann@example.com"),
        ])
        .await;
    assert_eq!(first.status(), 200);
    let existing = app.latest_client(&account).await.expect("stored");
    let second = app
        .post_form(&[
            ("web_key", &account.web_key),
            ("name", "Ann Other"),
            ("email", "ANN@Example.com"),
        ])
        .await;
    assert_eq!(second.status(), 409);
    let body: Value = second.json().await.expect("json");
    assert_eq!(body["error_code"], "ct103");
    assert_eq!(app.client_count(&account).await, 1);
    let notifications = app
        .store
        .list_notifications(account.id, Page::first(10))
        .await
        .expect("listed");
    assert_eq!(notifications.len(), 1);
    assert_eq!(notifications[0].kind, "duplicate");
    assert_eq!(notifications[0].client_id, Some(existing.id));
}

async fn the_same_email_in_another_account_is_not_a_duplicate(app: TestApp) {
    let (a, b) = (app.account().await, app.account().await);
    for account in [&a, &b] {
        let response = app
            .post_form(&[
                ("web_key", &account.web_key),
                ("name", "Ann"),
                ("email", "ann@example.com"),
            ])
            .await;
        assert_eq!(response.status(), 200);
    }
}

async fn a_double_submit_gets_the_same_answer_and_no_second_client(app: TestApp) {
    let account = app.account().await;
    let pairs = [
        ("web_key", account.web_key.as_str()),
        ("name", "Ann Lee"),
        ("email", "ann@example.com"),
        ("OnSuccessURL", SUCCESS_URL),
    ];
    for _ in 0..2 {
        let response = app.post_form(&pairs).await;
        assert_eq!(response.status(), 303);
        assert_eq!(response.headers()["location"], SUCCESS_URL);
    }
    assert_eq!(app.client_count(&account).await, 1);
    let log = app
        .store
        .list_submissions(
            &SubmissionFilter {
                account_id: Some(account.id),
                ..Default::default()
            },
            Page::first(10),
        )
        .await
        .expect("log");
    assert_eq!(log.len(), 2);
    assert!(log.iter().all(|s| s.outcome == Outcome::Accepted));
    assert_eq!(log[0].replay_of, Some(log[1].id));
    assert!(
        app.store
            .list_notifications(account.id, Page::first(10))
            .await
            .expect("listed")
            .is_empty()
    );
}

async fn simultaneous_double_submits_create_one_client(app: TestApp) {
    let account = app.account().await;
    let pairs = [
        ("web_key", account.web_key.as_str()),
        ("name", "Ann Lee"),
        ("phone", "8015551234"),
    ];
    let posts = (0..6).map(|_| app.post_form(&pairs));
    for response in futures::future::join_all(posts).await {
        assert_eq!(response.status(), 200);
    }
    assert_eq!(app.client_count(&account).await, 1);
}

async fn a_post_differing_in_one_field_is_a_new_post(app: TestApp) {
    let account = app.account().await;
    let base = [
        ("web_key", account.web_key.as_str()),
        ("name", "Ann Lee"),
        ("email", "ann@example.com"),
    ];
    assert_eq!(app.post_form(&base).await.status(), 200);
    let mut changed = base.to_vec();
    changed.push(("city", "Provo"));
    assert_eq!(app.post_form(&changed).await.status(), 409);
}

async fn every_submission_is_logged_with_its_raw_fields(app: TestApp) {
    let account = app.account().await;
    app.post_form(&[("web_key", &account.web_key), ("name", "<b>Ann</b>")])
        .await;
    app.post_form(&[("web_key", &account.web_key), ("phone", "x")])
        .await;
    let log = app
        .store
        .list_submissions(
            &SubmissionFilter {
                account_id: Some(account.id),
                ..Default::default()
            },
            Page::first(10),
        )
        .await
        .expect("log");
    assert_eq!(log.len(), 2);
    assert_eq!(log[1].outcome, Outcome::Accepted);
    assert!(log[1].client_id.is_some());
    assert!(
        log[1]
            .fields
            .contains(&("name".to_string(), "<b>Ann</b>".to_string()))
    );
    assert_eq!(log[0].outcome, Outcome::Rejected);
    assert_eq!(log[0].error_code.as_deref(), Some("ct102"));
    let rejected = app
        .store
        .list_submissions(
            &SubmissionFilter {
                outcome: Some(Outcome::Rejected),
                ..Default::default()
            },
            Page::first(10),
        )
        .await
        .expect("log");
    assert_eq!(rejected.len(), 1);
}

async fn expansion_fields_become_custom_fields(app: TestApp) {
    let account = app.account().await;
    let long = "x".repeat(150);
    let response = app
        .post_form(&[
            ("web_key", &account.web_key),
            ("name", "Ann"),
            ("Favorite Chocolate", "<b>Dark</b> &amp; salty"),
            ("Story", &long),
        ])
        .await;
    assert_eq!(response.status(), 200);
    let client = app.latest_client(&account).await.expect("stored");
    assert_eq!(client.custom_fields["Favorite Chocolate"], "Dark & salty");
    assert_eq!(client.custom_fields["Story"].chars().count(), 100);
}

async fn tags_are_reused_case_insensitively_within_the_account(app: TestApp) {
    let account = app.account().await;
    app.post_form(&[
        ("web_key", &account.web_key),
        ("name", "Ann"),
        ("tag", "VIP"),
    ])
    .await;
    app.post_form(&[
        ("web_key", &account.web_key),
        ("name", "Bo"),
        ("tag", "roof"),
        ("tag", "vip"),
    ])
    .await;
    let client = app.latest_client(&account).await.expect("stored");
    assert_eq!(client.tags, vec!["roof".to_string(), "VIP".to_string()]);
}

async fn a_lead_source_key_records_its_source(app: TestApp) {
    let account = app.account().await;
    let source = app.lead_source(&account, None).await;
    let response = app
        .post_form(&[("web_key", &source.web_key), ("name", "Ann")])
        .await;
    assert_eq!(response.status(), 200);
    let client = app.latest_client(&account).await.expect("stored");
    assert_eq!(client.lead_source_id, Some(source.id));
}

async fn a_lead_source_plan_becomes_one_job_per_step(app: TestApp) {
    let account = app.account().await;
    let plan = plan_with_webhook(&app, account.id, &[0, 3600]).await;
    let source = app.lead_source(&account, Some(plan)).await;
    assert_eq!(
        app.post_form(&[("web_key", &source.web_key), ("name", "Ann")])
            .await
            .status(),
        200
    );
    let mut jobs = app
        .store
        .list_jobs(account.id, Page::first(10))
        .await
        .expect("jobs");
    jobs.reverse();
    assert_eq!(jobs.len(), 2);
    assert!(
        jobs.iter()
            .all(|j| j.kind == "webhook" && j.state == "queued")
    );
    let gap = jobs[1].due_at - jobs[0].due_at;
    assert_eq!(gap.whole_seconds(), 3600);
}

async fn the_account_key_runs_the_default_plan(app: TestApp) {
    let account = app.account().await;
    let plan = plan_with_webhook(&app, account.id, &[0]).await;
    app.store
        .set_default_action_plan(account.id, Some(plan))
        .await
        .expect("default set");
    assert_eq!(
        app.post_form(&[("web_key", &account.web_key), ("name", "Ann")])
            .await
            .status(),
        200
    );
    assert_eq!(
        app.store
            .list_jobs(account.id, Page::first(10))
            .await
            .expect("jobs")
            .len(),
        1
    );
}

async fn a_lead_source_without_a_plan_does_not_fall_back_to_the_default(app: TestApp) {
    let account = app.account().await;
    let plan = plan_with_webhook(&app, account.id, &[0]).await;
    app.store
        .set_default_action_plan(account.id, Some(plan))
        .await
        .expect("default set");
    let source = app.lead_source(&account, None).await;
    assert_eq!(
        app.post_form(&[("web_key", &source.web_key), ("name", "Ann")])
            .await
            .status(),
        200
    );
    assert!(
        app.store
            .list_jobs(account.id, Page::first(10))
            .await
            .expect("jobs")
            .is_empty()
    );
}

async fn new_lead_notification_one_raises_an_in_app_notification(app: TestApp) {
    let account = app.account().await;
    app.post_form(&[
        ("web_key", &account.web_key),
        ("name", "Ann Lee"),
        ("new_lead_notification", "1"),
    ])
    .await;
    let notifications = app
        .store
        .list_notifications(account.id, Page::first(10))
        .await
        .expect("listed");
    assert_eq!(notifications.len(), 1);
    assert_eq!(notifications[0].kind, "new_lead");
    assert!(notifications[0].message.contains("Ann Lee"));
    assert!(
        app.store
            .list_jobs(account.id, Page::first(10))
            .await
            .expect("jobs")
            .is_empty()
    );
}

async fn new_lead_notification_two_queues_email_and_text(app: TestApp) {
    let account = app
        .store
        .create_account(&NewAccount {
            name: "Owner".into(),
            owner_email: Some("owner@example.com".into()),
            ..Default::default()
        })
        .await
        .expect("account");
    app.post_form(&[
        ("web_key", &account.web_key),
        ("name", "Ann"),
        ("new_lead_notification", "2"),
    ])
    .await;
    assert_eq!(
        app.store
            .list_notifications(account.id, Page::first(10))
            .await
            .expect("listed")
            .len(),
        1
    );
    let jobs = app
        .store
        .list_jobs(account.id, Page::first(10))
        .await
        .expect("jobs");
    let state_of = |kind: &str| {
        jobs.iter()
            .find(|j| j.kind == kind)
            .map(|j| j.state.to_string())
    };
    assert_eq!(state_of("email").as_deref(), Some("queued"));
    // No owner phone: the text is recorded as skipped, with the reason.
    assert_eq!(state_of("sms").as_deref(), Some("skipped"));
    assert!(
        jobs.iter()
            .any(|j| j.last_error.as_deref().is_some_and(|e| e.contains("phone")))
    );
}

async fn a_json_body_is_accepted(app: TestApp) {
    let account = app.account().await;
    let body = serde_json::json!({
        "web_key": account.web_key, "name": "Ann Lee", "age": 42, "smsok": false,
        "tag": ["a", "b"], "city": null,
    });
    let response = app
        .post_raw(Some("application/json"), body.to_string())
        .await;
    assert_eq!(response.status(), 200);
    let client = app.latest_client(&account).await.expect("stored");
    assert_eq!(
        (
            client.fields.age(),
            client.fields.smsok(),
            client.fields.city()
        ),
        (Some(42), Some(0), None)
    );
    assert_eq!(client.tags, vec!["a".to_string(), "b".to_string()]);
}

async fn a_nested_json_object_is_ct104_naming_the_field(app: TestApp) {
    let account = app.account().await;
    let body = serde_json::json!({"web_key": account.web_key, "name": "Ann", "Extra": {"a": 1}});
    let response = app
        .post_raw(Some("application/json"), body.to_string())
        .await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["fields"][0]["field"], "Extra");
}

async fn a_multipart_body_is_accepted(app: TestApp) {
    let account = app.account().await;
    let form = reqwest::multipart::Form::new()
        .text("web_key", account.web_key.clone())
        .text("firstName", "Ann")
        .text("lastName", "Lee");
    let response = app
        .http
        .post(format!("{}{}", app.address, crate::helpers::INTAKE))
        .multipart(form)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    assert_eq!(
        app.latest_client(&account)
            .await
            .expect("stored")
            .fields
            .first_name(),
        "Ann"
    );
}

async fn a_body_without_content_type_is_read_as_urlencoded(app: TestApp) {
    let account = app.account().await;
    let response = app
        .post_raw(None, format!("web_key={}&name=Ann", account.web_key))
        .await;
    assert_eq!(response.status(), 200);
}

async fn any_origin_may_post_and_preflight(app: TestApp) {
    let account = app.account().await;
    let response = app
        .http
        .post(format!("{}{}", app.address, crate::helpers::INTAKE))
        .header("origin", "http://localhost:3000")
        .form(&[
            ("web_key", account.web_key.as_str()),
            ("name", "Ann"),
            ("OnSuccessURL", SUCCESS_URL),
        ])
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["access-control-allow-origin"], "*");
    let preflight = app
        .http
        .request(
            reqwest::Method::OPTIONS,
            format!("{}{}", app.address, crate::helpers::INTAKE),
        )
        .header("origin", "http://localhost:3000")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .send()
        .await
        .expect("sent");
    assert!(preflight.status().is_success());
    assert_eq!(preflight.headers()["access-control-allow-origin"], "*");
}

async fn health_and_readiness_answer(app: TestApp) {
    for path in ["/healthz", "/readyz"] {
        let response = app
            .http
            .get(format!("{}{path}", app.address))
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), 200, "{path}");
    }
}

on_both_stores!(
    the_seed_simple_web_form_redirects_to_on_success_url,
    success_without_on_success_url_is_json,
    a_missing_web_key_is_ct101,
    an_unknown_web_key_redirects_with_ct101,
    a_missing_name_is_ct102,
    first_and_last_name_make_a_name,
    a_duplicate_email_is_ct103_with_a_duplicate_record_notification,
    the_same_email_in_another_account_is_not_a_duplicate,
    a_double_submit_gets_the_same_answer_and_no_second_client,
    simultaneous_double_submits_create_one_client,
    a_post_differing_in_one_field_is_a_new_post,
    every_submission_is_logged_with_its_raw_fields,
    expansion_fields_become_custom_fields,
    tags_are_reused_case_insensitively_within_the_account,
    a_lead_source_key_records_its_source,
    a_lead_source_plan_becomes_one_job_per_step,
    the_account_key_runs_the_default_plan,
    a_lead_source_without_a_plan_does_not_fall_back_to_the_default,
    new_lead_notification_one_raises_an_in_app_notification,
    new_lead_notification_two_queues_email_and_text,
    a_json_body_is_accepted,
    a_nested_json_object_is_ct104_naming_the_field,
    a_multipart_body_is_accepted,
    a_body_without_content_type_is_read_as_urlencoded,
    any_origin_may_post_and_preflight,
    health_and_readiness_answer,
);
