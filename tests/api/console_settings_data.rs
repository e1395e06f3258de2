//! The settings page's retention form, the hearing-back account settings and a lead source's
//! autoresponder on the sources page (DESIGN §9, §14): owners change them through the same
//! services as the admin API; others read them.

use crate::helpers::{TestApp, on_both_stores};

async fn an_owner_saves_retention_from_the_settings_page(app: TestApp) {
    let account = app.account().await;
    let owner = app.console_as(&account, "owner").await;
    let path = format!("/admin/v1/accounts/{}/retention", account.id);
    let fields = [
        ("submission_log_days", "10"),
        ("spam_retention_days", "5"),
        ("lead_days", "30"),
    ];
    let answer = app
        .console_post(&owner, "/console/settings/retention", &fields)
        .await;
    let landed = app.console_follow(&owner, &answer).await;
    assert!(landed.html.contains("Retention settings saved."));
    let (_, saved) = app.admin_get(&path).await;
    assert_eq!(saved["submission_log_days"], 10);
    assert_eq!(saved["spam_retention_days"], 5);
    assert_eq!(saved["lead_days"], 30);
    let forever = [("submission_log_days", "10"), ("lead_days", "")];
    let answer = app
        .console_post(&owner, "/console/settings/retention", &forever)
        .await;
    assert_eq!(answer.status, 303);
    let (_, saved) = app.admin_get(&path).await;
    assert!(saved["lead_days"].is_null(), "{saved}");
    assert_eq!(saved["spam_retention_days"], 5);
}

async fn a_bad_retention_value_is_refused_naming_its_field(app: TestApp) {
    let account = app.account().await;
    let owner = app.console_as(&account, "owner").await;
    for (value, expected) in [
        ("soon", "submission_log_days"),
        ("0", "submission_log_days"),
    ] {
        let answer = app
            .console_post(
                &owner,
                "/console/settings/retention",
                &[("submission_log_days", value)],
            )
            .await;
        let landed = app.console_follow(&owner, &answer).await;
        assert!(landed.html.contains(expected), "{value}: {}", landed.html);
        assert!(!landed.html.contains("Retention settings saved."));
    }
}

async fn members_and_viewers_read_retention_but_may_not_change_it(app: TestApp) {
    let account = app.account().await;
    for role in ["viewer", "member"] {
        let session = app.console_as(&account, role).await;
        let page = app.console_get(Some(&session), "/console/settings").await;
        assert!(page.html.contains("id=\"retention-settings\""), "{role}");
        assert!(!page.html.contains("id=\"retention-form\""), "{role}");
        let answer = app
            .console_post(
                &session,
                "/console/settings/retention",
                &[("lead_days", "1")],
            )
            .await;
        assert_eq!(answer.status, 403, "{role}");
    }
    let path = format!("/admin/v1/accounts/{}/retention", account.id);
    let (_, saved) = app.admin_get(&path).await;
    assert!(saved["lead_days"].is_null());
}

async fn an_owner_saves_the_hearing_settings(app: TestApp) {
    let account = app.account().await;
    let owner = app.console_as(&account, "owner").await;
    let page = app.console_get(Some(&owner), "/console/settings").await;
    assert!(page.html.contains("id=\"lenient-phones\""));
    let fields = [
        ("name", account.name.as_str()),
        ("hearing", "1"),
        ("display_name", "Acme Roofing"),
        ("website_url", "https://acme.example.com"),
        ("lenient_phones", "on"),
        ("new_lead_notification_default", "2"),
    ];
    let answer = app
        .console_post(&owner, "/console/settings/account", &fields)
        .await;
    assert_eq!(answer.status, 303, "{}", answer.html);
    let (_, saved) = app
        .admin_get(&format!("/admin/v1/accounts/{}", account.id))
        .await;
    assert_eq!(saved["display_name"], "Acme Roofing");
    assert_eq!(saved["website_url"], "https://acme.example.com/");
    assert_eq!(saved["lenient_phones"], true);
    assert_eq!(saved["new_lead_notification_default"], 2);
    let viewer = app.console_as(&account, "viewer").await;
    let shown = app.console_get(Some(&viewer), "/console/settings").await;
    assert!(shown.html.contains("Acme Roofing"));
    assert!(!shown.html.contains("id=\"lenient-phones\""));
}

/// A new lead source of the account; its id.
async fn source(app: &TestApp, account: &leadpost::store::Account) -> String {
    let (status, body) = app
        .admin_post(
            &format!("/admin/v1/accounts/{}/lead-sources", account.id),
            serde_json::json!({"name": "Website"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().expect("id").to_string()
}

async fn an_owner_sets_and_turns_off_a_sources_autoresponder(app: TestApp) {
    let account = app.account().await;
    let id = source(&app, &account).await;
    let owner = app.console_as(&account, "owner").await;
    let path = format!("/console/sources/{id}/autoresponder");
    let fields = [
        ("subject", "Thanks {{ first_name }}"),
        ("body", "We will call."),
    ];
    let answer = app.console_post(&owner, &path, &fields).await;
    let landed = app.console_follow(&owner, &answer).await;
    assert!(landed.html.contains("saved"), "{}", landed.html);
    let read = format!("/admin/v1/accounts/{}/lead-sources/{id}", account.id);
    let (_, shown) = app.admin_get(&read).await;
    assert_eq!(shown["autoresponder"]["body"], "We will call.", "{shown}");
    let off = app.console_post(&owner, &path, &[("off", "on")]).await;
    assert_eq!(off.status, 303);
    let (_, shown) = app.admin_get(&read).await;
    assert!(shown["autoresponder"].is_null(), "{shown}");
    let blank = app.console_post(&owner, &path, &[("subject", "Hi")]).await;
    let landed = app.console_follow(&owner, &blank).await;
    assert!(
        landed.html.contains("autoresponder.body"),
        "{}",
        landed.html
    );
}

async fn members_may_not_change_an_autoresponder(app: TestApp) {
    let account = app.account().await;
    let id = source(&app, &account).await;
    let member = app.console_as(&account, "member").await;
    let page = app.console_get(Some(&member), "/console/sources").await;
    assert!(page.html.contains(&format!("id=\"ar-shown-{id}\"")));
    let path = format!("/console/sources/{id}/autoresponder");
    let answer = app
        .console_post(&member, &path, &[("subject", "a"), ("body", "b")])
        .await;
    assert_eq!(answer.status, 403);
}

on_both_stores!(
    an_owner_sets_and_turns_off_a_sources_autoresponder,
    members_may_not_change_an_autoresponder,
    an_owner_saves_retention_from_the_settings_page,
    a_bad_retention_value_is_refused_naming_its_field,
    members_and_viewers_read_retention_but_may_not_change_it,
    an_owner_saves_the_hearing_settings,
);
