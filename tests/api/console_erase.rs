//! Erasing a lead from its page (DESIGN §14): owners only, after ticking the confirmation box;
//! the lead is gone and the inbox says so; other roles get 403 and other accounts 404.

use crate::helpers::{TestApp, on_both_stores};

fn erase_path(lead: &str) -> String {
    format!("/console/leads/{lead}/erase")
}

async fn an_owner_erases_a_lead_and_lands_on_the_inbox(app: TestApp) {
    let account = app.account().await;
    let owner = app.console_as(&account, "owner").await;
    let lead = app.console_lead(&account, &[("name", "Ann")]).await;
    let page = app
        .console_get(Some(&owner), &format!("/console/leads/{lead}"))
        .await;
    assert!(page.html.contains("id=\"erase-form\""), "{}", page.html);
    let answer = app
        .console_post(&owner, &erase_path(&lead), &[("confirm", "erase")])
        .await;
    let landed = app.console_follow(&owner, &answer).await;
    assert!(landed.html.contains("Lead erased."), "{}", landed.html);
    assert!(!landed.html.contains(&lead));
    let gone = app
        .console_get(Some(&owner), &format!("/console/leads/{lead}"))
        .await;
    assert_eq!(gone.status, 404);
    let path = format!(
        "/admin/v1/accounts/{}/audit?action=client.erase",
        account.id
    );
    let (_, audit) = app.admin_get(&path).await;
    assert_eq!(audit["entries"][0]["object_id"], lead.as_str());
}

async fn an_erase_without_the_confirmation_keeps_the_lead(app: TestApp) {
    let account = app.account().await;
    let owner = app.console_as(&account, "owner").await;
    let lead = app.console_lead(&account, &[("name", "Ann")]).await;
    let answer = app.console_post(&owner, &erase_path(&lead), &[]).await;
    let landed = app.console_follow(&owner, &answer).await;
    assert_eq!(landed.status, 200);
    assert!(landed.html.contains("Tick the box"), "{}", landed.html);
}

async fn viewers_and_members_may_not_erase_a_lead(app: TestApp) {
    let account = app.account().await;
    let lead = app.console_lead(&account, &[("name", "Ann")]).await;
    for role in ["viewer", "member"] {
        let session = app.console_as(&account, role).await;
        let page = app
            .console_get(Some(&session), &format!("/console/leads/{lead}"))
            .await;
        assert!(!page.html.contains("id=\"erase-form\""), "{role}");
        let answer = app
            .console_post(&session, &erase_path(&lead), &[("confirm", "erase")])
            .await;
        assert_eq!(answer.status, 403, "{role}");
    }
    let owner = app.console_as(&account, "owner").await;
    let kept = app
        .console_get(Some(&owner), &format!("/console/leads/{lead}"))
        .await;
    assert_eq!(kept.status, 200);
}

async fn another_accounts_owner_gets_404_erasing_a_lead(app: TestApp) {
    let account = app.account().await;
    let lead = app.console_lead(&account, &[("name", "Ann")]).await;
    let other = app.account().await;
    let stranger = app.console_as(&other, "owner").await;
    let answer = app
        .console_post(&stranger, &erase_path(&lead), &[("confirm", "erase")])
        .await;
    assert_eq!(answer.status, 404);
    let owner = app.console_as(&account, "owner").await;
    let kept = app
        .console_get(Some(&owner), &format!("/console/leads/{lead}"))
        .await;
    assert_eq!(kept.status, 200);
}

on_both_stores!(
    an_owner_erases_a_lead_and_lands_on_the_inbox,
    an_erase_without_the_confirmation_keeps_the_lead,
    viewers_and_members_may_not_erase_a_lead,
    another_accounts_owner_gets_404_erasing_a_lead,
);
