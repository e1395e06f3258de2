//! The settings page's retention form and the hearing-back account settings (DESIGN §9, §14):
//! owners change them through the same services as the admin API; others read them.

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

on_both_stores!(
    an_owner_saves_retention_from_the_settings_page,
    a_bad_retention_value_is_refused_naming_its_field,
    members_and_viewers_read_retention_but_may_not_change_it,
    an_owner_saves_the_hearing_settings,
);
