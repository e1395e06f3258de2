//! Reading an account over the admin API: clients (filters, pages, one client,
//! the CSV export), notifications, submissions, jobs with attempts and retry,
//! webhooks and plans with their secrets masked. On SQLite and PostgreSQL.

use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use leadpost::store::{Account, NewActionPlan, NewWebhook, PlanStep, Webhook};

use crate::admin_api::walk_pages;
use crate::helpers::{TestApp, on_both_stores};

async fn post_lead(app: &TestApp, account: &Account, pairs: &[(&str, &str)]) {
    let mut all = vec![("web_key", account.web_key.as_str())];
    all.extend_from_slice(pairs);
    let response = app.post_form(&all).await;
    assert_eq!(response.status(), 200, "lead accepted");
}

async fn webhook(app: &TestApp, account: &Account) -> Webhook {
    app.store
        .create_webhook(
            account.id,
            &NewWebhook {
                name: "CRM".into(),
                url: "http://127.0.0.1:9/hook".into(),
                method: "POST".into(),
                headers: json!({"Authorization": "Bearer sk_live_abc123", "X-Trace": "visible"}),
                body: Some(json!({"name": "{{ client.firstName }}"})),
                secret: Some("whsec_c2VjcmV0LXNpZ25pbmcta2V5".into()),
                ..Default::default()
            },
        )
        .await
        .expect("webhook")
}

/// An account whose key runs a one-step plan; the id of the plan.
async fn account_with_plan(app: &TestApp) -> (Account, Webhook, Uuid) {
    let account = app.account().await;
    let hook = webhook(app, &account).await;
    let plan = app
        .store
        .create_action_plan(
            account.id,
            &NewActionPlan {
                name: "Welcome".into(),
                steps: vec![PlanStep {
                    webhook_id: hook.id,
                    delay_seconds: 60,
                }],
            },
        )
        .await
        .expect("plan");
    app.store
        .set_default_action_plan(account.id, Some(plan.id))
        .await
        .expect("default plan");
    (account, hook, plan.id)
}

fn ids(list: &Value, key: &str) -> Vec<String> {
    list[key]
        .as_array()
        .expect("a list")
        .iter()
        .map(|r| r["id"].as_str().expect("id").to_string())
        .collect()
}

async fn a_client_reads_back_with_every_stored_field(app: TestApp) {
    let account = app.account().await;
    post_lead(
        &app,
        &account,
        &[
            ("name", "Ann Lee"),
            ("email", "Ann@Example.com"),
            ("phone", "8015551234"),
            ("tag", "vip,Roof"),
            ("anniversary_1", "2020:02:29"),
            ("facebook", "ann.lee"),
            ("notes", "Call after 5"),
            ("Favorite Chocolate", "Dark"),
        ],
    )
    .await;
    let (status, list) = app
        .admin_get(&format!("/admin/v1/accounts/{}/clients", account.id))
        .await;
    assert_eq!(status, 200);
    let id = ids(&list, "clients").remove(0);
    let (status, client) = app.admin_get(&format!("/admin/v1/clients/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(client["firstName"], "Ann");
    assert_eq!(client["lastName"], "Lee");
    assert_eq!(client["email"], "Ann@Example.com");
    assert_eq!(client["tags"], json!(["vip", "Roof"]));
    assert_eq!(client["anniversary_1"], "2020-02-29");
    assert_eq!(client["facebook_url"], "https://www.facebook.com/ann.lee");
    assert_eq!(
        client["custom_fields"],
        json!({"Favorite Chocolate": "Dark"})
    );
    assert_eq!(client["notes"][0]["body"], "Call after 5");
    assert_eq!(client["smsok"], 1);
    assert_eq!(client["contact_type"], 1);
    assert_eq!(client["gender"], Value::Null);
    assert_eq!(client["lead_source_id"], Value::Null);
    assert!(client["created_at"].is_string());
    assert_eq!(list["clients"][0], client, "the list shows the same client");
}

async fn clients_filter_by_email_tag_and_creation_time(app: TestApp) {
    let account = app.account().await;
    post_lead(
        &app,
        &account,
        &[
            ("name", "A One"),
            ("email", "a@example.com"),
            ("tag", "VIP"),
        ],
    )
    .await;
    let (_, first) = app
        .admin_get(&format!("/admin/v1/accounts/{}/clients", account.id))
        .await;
    let first_created = first["clients"][0]["created_at"]
        .as_str()
        .expect("time")
        .to_string();
    post_lead(
        &app,
        &account,
        &[
            ("name", "B Two"),
            ("email", "b@example.com"),
            ("tag", "roof"),
        ],
    )
    .await;
    post_lead(&app, &account, &[("name", "C Three"), ("tag", "vip,roof")]).await;
    let base = format!("/admin/v1/accounts/{}/clients", account.id);
    let names = |list: &Value| -> Vec<String> {
        list["clients"]
            .as_array()
            .expect("list")
            .iter()
            .map(|c| c["firstName"].as_str().expect("name").to_string())
            .collect()
    };
    let (_, by_email) = app.admin_get(&format!("{base}?email=A@EXAMPLE.COM")).await;
    assert_eq!(names(&by_email), ["A"]);
    let (_, by_tag) = app.admin_get(&format!("{base}?tag=vip")).await;
    assert_eq!(names(&by_tag), ["C", "A"]);
    let after = first_created.replace('+', "%2B");
    let (status, recent) = app
        .admin_get(&format!("{base}?created_after={after}"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(names(&recent), ["C", "B"]);
    let (status, bad) = app
        .admin_get(&format!("{base}?created_after=yesterday"))
        .await;
    assert_eq!(status, 422);
    assert_eq!(bad["fields"][0]["field"], "created_after");
}

async fn clients_page_newest_first_without_gaps_or_repeats(app: TestApp) {
    let account = app.account().await;
    for i in 0..11 {
        post_lead(&app, &account, &[("name", &format!("Lead {i}"))]).await;
    }
    let path = format!("/admin/v1/accounts/{}/clients", account.id);
    let (_, all) = app.admin_get(&format!("{path}?limit=500")).await;
    let expected = ids(&all, "clients");
    assert_eq!(expected.len(), 11);
    let mut sorted = expected.clone();
    sorted.sort();
    sorted.reverse();
    assert_eq!(expected, sorted, "newest first");
    for limit in [1, 4, 5, 11] {
        assert_eq!(walk_pages(&app, &path, "clients", limit).await, expected);
    }
    let filtered = format!("{path}?tag=none");
    assert!(walk_pages(&app, &filtered, "clients", 3).await.is_empty());
}

async fn another_accounts_client_is_404_through_my_account(app: TestApp) {
    let mine = app.account().await;
    let theirs = app.account().await;
    post_lead(&app, &theirs, &[("name", "Their Lead")]).await;
    let (_, list) = app
        .admin_get(&format!("/admin/v1/accounts/{}/clients", theirs.id))
        .await;
    let id = ids(&list, "clients").remove(0);
    let (status, _) = app
        .admin_get(&format!("/admin/v1/accounts/{}/clients/{id}", mine.id))
        .await;
    assert_eq!(status, 404);
    let (status, _) = app
        .admin_get(&format!("/admin/v1/accounts/{}/clients/{id}", theirs.id))
        .await;
    assert_eq!(status, 200);
    let (_, mine_list) = app
        .admin_get(&format!("/admin/v1/accounts/{}/clients", mine.id))
        .await;
    assert_eq!(mine_list["clients"], json!([]));
    let (status, _) = app
        .admin_get(&format!("/admin/v1/clients/{}", Uuid::now_v7()))
        .await;
    assert_eq!(status, 404);
    let (status, _) = app
        .admin_get(&format!("/admin/v1/accounts/{}/clients", Uuid::now_v7()))
        .await;
    assert_eq!(status, 404);
}

async fn the_csv_export_has_every_client_with_custom_fields_as_columns(app: TestApp) {
    let account = app.account().await;
    let other = app.account().await;
    post_lead(&app, &other, &[("name", "Not Mine"), ("Secret Field", "x")]).await;
    post_lead(
        &app,
        &account,
        &[
            ("name", "Ann Lee"),
            ("email", "ann@example.com"),
            ("tag", "vip,roof"),
            ("Favorite Chocolate", "Dark, 70%"),
        ],
    )
    .await;
    post_lead(
        &app,
        &account,
        &[
            ("name", "Bob \"Bobby\" Ray"),
            ("Shoe Size", "11"),
            ("notes", "line one\nline two"),
        ],
    )
    .await;
    let response = app
        .admin(
            Method::GET,
            &format!("/admin/v1/accounts/{}/clients.csv", account.id),
        )
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    assert!(
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("text/csv"))
    );
    let body = response.bytes().await.expect("body");
    let mut reader = csv::Reader::from_reader(body.as_ref());
    let header: Vec<String> = reader
        .headers()
        .expect("header")
        .iter()
        .map(String::from)
        .collect();
    assert_eq!(header[0], "id");
    assert!(header.contains(&"firstName".to_string()));
    assert_eq!(
        &header[header.len() - 2..],
        ["Favorite Chocolate", "Shoe Size"]
    );
    assert!(
        !header.contains(&"Secret Field".to_string()),
        "another account's field"
    );
    let col = |name: &str| header.iter().position(|h| h == name).expect("column");
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(&rows[0][col("firstName")], "Bob");
    assert_eq!(&rows[0][col("lastName")], "\"Bobby\" Ray");
    assert_eq!(&rows[0][col("Shoe Size")], "11");
    assert_eq!(&rows[0][col("Favorite Chocolate")], "");
    assert_eq!(&rows[0][col("notes")], "line one\nline two");
    assert_eq!(&rows[1][col("email")], "ann@example.com");
    assert_eq!(&rows[1][col("tags")], "vip, roof");
    assert_eq!(&rows[1][col("Favorite Chocolate")], "Dark, 70%");
    assert_eq!(&rows[1][col("smsok")], "1");
}

async fn the_csv_export_spans_many_store_pages(app: TestApp) {
    let account = app.account().await;
    let batch = leadpost::service::export::EXPORT_BATCH as usize;
    let total = batch + 7;
    // Faster than posting: one lead posted, then copies made in SQL.
    post_lead(&app, &account, &[("name", "Seed Lead")]).await;
    let client = app.latest_client(&account).await.expect("client");
    let backend_copies = (0..total - 1)
        .map(|i| {
            let id = Uuid::now_v7();
            format!(
                "INSERT INTO clients (id, account_id, submission_id, first_name, smsok, \
                 new_lead_notification, contact_type, created_at) VALUES ('{id}', '{}', '{}', \
                 'Copy{i}', 1, 0, 1, '2026-01-01T00:00:00.000000Z');",
                account.id,
                Uuid::now_v7()
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    app.exec(&backend_copies).await;
    let response = app
        .admin(
            Method::GET,
            &format!("/admin/v1/accounts/{}/clients.csv", account.id),
        )
        .send()
        .await
        .expect("sent");
    let body = response.bytes().await.expect("body");
    let mut reader = csv::Reader::from_reader(body.as_ref());
    let ids: Vec<String> = reader
        .records()
        .map(|r| r.expect("row")[0].to_string())
        .collect();
    assert_eq!(ids.len(), total);
    let unique: std::collections::HashSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), total, "no client twice");
    assert!(ids.contains(&client.id.to_string()));
}

async fn notifications_list_and_mark_read(app: TestApp) {
    let account = app.account().await;
    post_lead(
        &app,
        &account,
        &[("name", "Ann Lee"), ("new_lead_notification", "1")],
    )
    .await;
    let base = format!("/admin/v1/accounts/{}/notifications", account.id);
    let (status, list) = app.admin_get(&base).await;
    assert_eq!(status, 200);
    let n = &list["notifications"][0];
    assert_eq!(n["kind"], "new_lead");
    assert_eq!(n["read"], false);
    let id = n["id"].as_str().expect("id");
    let (status, read) = app
        .admin_send(
            Method::PATCH,
            &format!("{base}/{id}"),
            json!({"read": true}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(read["read"], true);
    let (_, list) = app.admin_get(&base).await;
    assert_eq!(list["notifications"][0]["read"], true);
    let (status, unread) = app
        .admin_send(
            Method::PATCH,
            &format!("{base}/{id}"),
            json!({"read": false}),
        )
        .await;
    assert_eq!((status, &unread["read"]), (200, &json!(false)));
    let (status, body) = app
        .admin_send(
            Method::PATCH,
            &format!("{base}/{id}"),
            json!({"read": "yes"}),
        )
        .await;
    assert_eq!((status, &body["fields"][0]["field"]), (422, &json!("read")));
    let other = app.account().await;
    let (status, _) = app
        .admin_send(
            Method::PATCH,
            &format!("/admin/v1/accounts/{}/notifications/{id}", other.id),
            json!({"read": true}),
        )
        .await;
    assert_eq!(status, 404, "another account's notification");
}

async fn submissions_list_per_account_and_across_accounts_with_filters(app: TestApp) {
    let account = app.account().await;
    let other = app.account().await;
    post_lead(&app, &account, &[("name", "Ann Lee")]).await;
    let refused = app.post_form(&[("web_key", &account.web_key)]).await;
    assert_eq!(refused.status(), 400);
    post_lead(&app, &other, &[("name", "Other")]).await;
    let nobody = app.post_form(&[("web_key", "nope"), ("name", "X")]).await;
    assert_eq!(nobody.status(), 401);

    let base = format!("/admin/v1/accounts/{}/submissions", account.id);
    let (status, mine) = app.admin_get(&base).await;
    assert_eq!(status, 200);
    assert_eq!(mine["submissions"].as_array().expect("list").len(), 2);
    let (_, rejected) = app.admin_get(&format!("{base}?outcome=rejected")).await;
    assert_eq!(rejected["submissions"].as_array().expect("list").len(), 1);
    assert_eq!(rejected["submissions"][0]["error_code"], "ct102");
    let (status, bad) = app.admin_get(&format!("{base}?outcome=maybe")).await;
    assert_eq!(
        (status, &bad["fields"][0]["field"]),
        (422, &json!("outcome"))
    );

    let (_, all) = app.admin_get("/admin/v1/submissions").await;
    assert_eq!(all["submissions"].as_array().expect("list").len(), 4);
    let (_, ct101) = app
        .admin_get("/admin/v1/submissions?error_code=ct101")
        .await;
    let rows = ct101["submissions"].as_array().expect("list");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["account_id"], Value::Null);
    let (_, accepted) = app
        .admin_get("/admin/v1/submissions?outcome=accepted")
        .await;
    assert_eq!(accepted["submissions"].as_array().expect("list").len(), 2);
    let paged = walk_pages(&app, "/admin/v1/submissions", "submissions", 3).await;
    assert_eq!(paged, ids(&all, "submissions"));
}

async fn jobs_list_with_their_attempts_and_filter_by_state(app: TestApp) {
    let (account, hook, _) = account_with_plan(&app).await;
    post_lead(&app, &account, &[("name", "Ann Lee")]).await;
    post_lead(&app, &account, &[("name", "Bob Ray")]).await;
    let base = format!("/admin/v1/accounts/{}/jobs", account.id);
    let (status, list) = app.admin_get(&base).await;
    assert_eq!(status, 200);
    let jobs = list["jobs"].as_array().expect("jobs");
    assert_eq!(jobs.len(), 2);
    assert_eq!(jobs[0]["state"], "queued");
    assert_eq!(jobs[0]["webhook_id"], hook.id.to_string());
    assert_eq!(jobs[0]["attempts_log"], json!([]));
    let dead = jobs[1]["id"].as_str().expect("id").to_string();
    app.exec(&format!(
        "UPDATE jobs SET state = 'dead', attempts = 2, last_error = 'HTTP 500' WHERE id = '{dead}';
         INSERT INTO job_attempts (id, job_id, attempted_at, status_code, latency_ms, response, error, request_id)
         VALUES ('{}', '{dead}', '2026-01-02T03:04:05.000001Z', 500, 12, 'oops', NULL, NULL);
         INSERT INTO job_attempts (id, job_id, attempted_at, status_code, latency_ms, response, error, request_id)
         VALUES ('{}', '{dead}', '2026-01-02T03:04:10.000001Z', NULL, 15000, NULL, 'timed out', NULL);",
        Uuid::now_v7(),
        Uuid::now_v7()
    ))
    .await;
    let (_, dead_list) = app.admin_get(&format!("{base}?state=dead")).await;
    let rows = dead_list["jobs"].as_array().expect("jobs");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["id"], dead);
    let attempts = rows[0]["attempts_log"].as_array().expect("attempts");
    assert_eq!(attempts.len(), 2);
    assert_eq!(attempts[0]["status_code"], 500);
    assert_eq!(attempts[0]["response"], "oops");
    assert_eq!(attempts[1]["error"], "timed out");
    let (_, queued) = app.admin_get(&format!("{base}?state=queued")).await;
    assert_eq!(queued["jobs"].as_array().expect("jobs").len(), 1);
    let (status, bad) = app.admin_get(&format!("{base}?state=lost")).await;
    assert_eq!((status, &bad["fields"][0]["field"]), (422, &json!("state")));
    assert_eq!(walk_pages(&app, &base, "jobs", 1).await, ids(&list, "jobs"));
}

async fn a_dead_job_is_retried_with_its_message_id_and_a_queued_one_is_409(app: TestApp) {
    let (account, _, _) = account_with_plan(&app).await;
    post_lead(&app, &account, &[("name", "Ann Lee")]).await;
    let base = format!("/admin/v1/accounts/{}/jobs", account.id);
    let (_, list) = app.admin_get(&base).await;
    let job = list["jobs"][0].clone();
    let id = job["id"].as_str().expect("id");
    let (status, body) = app
        .admin_post(&format!("/admin/v1/jobs/{id}/retry"), json!({}))
        .await;
    assert_eq!(status, 409, "a queued job is not retried: {body}");
    app.exec(&format!(
        "UPDATE jobs SET state = 'dead', attempts = 8, due_at = '2026-01-01T00:00:00.000000Z' WHERE id = '{id}'"
    ))
    .await;
    let (status, retried) = app
        .admin_post(&format!("/admin/v1/jobs/{id}/retry"), json!({}))
        .await;
    assert_eq!(status, 200, "{retried}");
    assert_eq!(retried["state"], "queued");
    assert_eq!(retried["attempts"], 0);
    assert_eq!(retried["message_id"], job["message_id"]);
    let due = time::OffsetDateTime::parse(
        retried["due_at"].as_str().expect("due"),
        &time::format_description::well_known::Rfc3339,
    )
    .expect("rfc 3339");
    assert!(
        (time::OffsetDateTime::now_utc() - due)
            .whole_seconds()
            .abs()
            < 60,
        "due now"
    );
    let (status, _) = app
        .admin_post(
            &format!("/admin/v1/jobs/{}/retry", Uuid::now_v7()),
            json!({}),
        )
        .await;
    assert_eq!(status, 404);
}

async fn webhooks_and_plans_list_with_secrets_masked(app: TestApp) {
    let (account, hook, plan_id) = account_with_plan(&app).await;
    let (status, list) = app
        .admin_get(&format!("/admin/v1/accounts/{}/webhooks", account.id))
        .await;
    assert_eq!(status, 200);
    let shown = &list["webhooks"][0];
    assert_eq!(shown["id"], hook.id.to_string());
    assert_eq!(shown["secret"], "whsec_********");
    assert_eq!(shown["headers"]["Authorization"], "Bearer ********");
    assert_eq!(
        shown["headers"]["X-Trace"], "********",
        "not on the harmless list"
    );
    assert_eq!(shown["body"], json!({"name": "{{ client.firstName }}"}));
    let text = list.to_string();
    assert!(!text.contains("sk_live_abc123"));
    assert!(!text.contains("c2VjcmV0LXNpZ25pbmcta2V5"));
    let (status, plans) = app
        .admin_get(&format!("/admin/v1/accounts/{}/action-plans", account.id))
        .await;
    assert_eq!(status, 200);
    assert_eq!(plans["action_plans"][0]["id"], plan_id.to_string());
    assert_eq!(
        plans["action_plans"][0]["steps"],
        json!([{"webhook_id": hook.id, "delay_seconds": 60}])
    );
    let other = app.account().await;
    let (_, none) = app
        .admin_get(&format!("/admin/v1/accounts/{}/webhooks", other.id))
        .await;
    assert_eq!(none["webhooks"], json!([]));
}

on_both_stores!(
    a_client_reads_back_with_every_stored_field,
    clients_filter_by_email_tag_and_creation_time,
    clients_page_newest_first_without_gaps_or_repeats,
    another_accounts_client_is_404_through_my_account,
    the_csv_export_has_every_client_with_custom_fields_as_columns,
    the_csv_export_spans_many_store_pages,
    notifications_list_and_mark_read,
    submissions_list_per_account_and_across_accounts_with_filters,
    jobs_list_with_their_attempts_and_filter_by_state,
    a_dead_job_is_retried_with_its_message_id_and_a_queued_one_is_409,
    webhooks_and_plans_list_with_secrets_masked,
);
