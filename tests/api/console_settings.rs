//! The settings page's forms at the HTML level, on both stores: read-only for a viewer, spam
//! settings, members and invites, API tokens. (Who may reach each form: `console_ops.rs`.)

use crate::helpers::{TestApp, on_both_stores};

async fn the_settings_page_is_read_only_for_a_viewer(app: TestApp) {
    let cast = app.cast().await;
    let page = app.page(Some(&cast.viewer), "/console/settings").await;
    assert!(page.text().contains("id=\"read-only\""));
    assert!(page.text().contains("id=\"spam-settings\""));
    assert!(page.text().contains(&cast.account.name));
    assert!(!page.text().contains("id=\"spam-form\""));
}

async fn an_owner_saves_spam_settings(app: TestApp) {
    let cast = app.cast().await;
    let answer = app
        .submit(
            &cast.owner,
            "/console/settings/spam",
            &[
                ("honeypot_field", "_lp_hp"),
                ("min_fill_ms", "2500"),
                ("max_links", "2"),
                ("blocked_words", "casino\nviagra"),
            ],
        )
        .await;
    let landed = app.landing(&cast.owner, &answer).await;
    assert!(
        landed.text().contains("Spam settings saved."),
        "{}",
        landed.body
    );
    let settings = app
        .store
        .get_spam_settings(cast.account.id)
        .await
        .expect("settings");
    assert_eq!(settings.min_fill_ms, 2500);
    assert_eq!(settings.max_links, Some(2));
    assert_eq!(settings.blocked_words, ["casino", "viagra"]);
}

async fn an_owner_invites_by_email_and_sees_the_invite_link(app: TestApp) {
    let cast = app.cast().await;
    let answer = app
        .submit(
            &cast.owner,
            "/console/settings/members",
            &[("email", "new.person@example.com"), ("role", "member")],
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let url = answer.element_text("invite-url").expect("the invite link");
    assert!(url.contains("/console/invite/"), "{url}");
    assert!(answer.text().contains("new.person@example.com"));
}

async fn an_owner_changes_a_role_and_the_last_owner_stays(app: TestApp) {
    let cast = app.cast().await;
    let members = app
        .store
        .list_members(cast.account.id)
        .await
        .expect("members");
    let find = |role: &str| {
        members
            .iter()
            .find(|m| m.role.as_str() == role)
            .expect("a member")
            .user_id
    };
    let (viewer, owner) = (find("viewer"), find("owner"));
    let answer = app
        .submit(
            &cast.owner,
            &format!("/console/settings/members/{viewer}"),
            &[("role", "member")],
        )
        .await;
    let landed = app.landing(&cast.owner, &answer).await;
    assert!(landed.text().contains("is now member."), "{}", landed.body);
    let demote = app
        .submit(
            &cast.owner,
            &format!("/console/settings/members/{owner}"),
            &[("role", "viewer")],
        )
        .await;
    let refused = app.landing(&cast.owner, &demote).await;
    assert!(
        refused.text().contains("at least one owner"),
        "{}",
        refused.body
    );
    let remove = app
        .submit(
            &cast.owner,
            &format!("/console/settings/members/{owner}/remove"),
            &[],
        )
        .await;
    let refused = app.landing(&cast.owner, &remove).await;
    assert!(
        refused.text().contains("at least one owner"),
        "{}",
        refused.body
    );
}

async fn an_owner_makes_a_token_shown_once_and_revokes_it(app: TestApp) {
    let cast = app.cast().await;
    let answer = app
        .submit(
            &cast.owner,
            "/console/settings/tokens",
            &[("name", "Zapier"), ("scope", "read")],
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let token = answer.element_text("token-value").expect("the token");
    assert!(token.starts_with("lpat_"));
    let path = format!("/admin/v1/accounts/{}/clients", cast.account.id);
    let (status, _) = app
        .as_token(&token, reqwest::Method::GET, &path, None)
        .await;
    assert_eq!(status, 200);
    let listed = app.page(Some(&cast.owner), "/console/settings").await;
    assert!(!listed.text().contains(&token), "the secret is shown once");
    let id = app
        .store
        .list_api_tokens(cast.account.id)
        .await
        .expect("tokens")[0]
        .id;
    let revoke = app
        .submit(
            &cast.owner,
            &format!("/console/settings/tokens/{id}/revoke"),
            &[],
        )
        .await;
    assert_eq!(revoke.status, 303);
    let (status, _) = app
        .as_token(&token, reqwest::Method::GET, &path, None)
        .await;
    assert_eq!(status, 401);
}

on_both_stores!(
    the_settings_page_is_read_only_for_a_viewer,
    an_owner_saves_spam_settings,
    an_owner_invites_by_email_and_sees_the_invite_link,
    an_owner_changes_a_role_and_the_last_owner_stays,
    an_owner_makes_a_token_shown_once_and_revokes_it,
);
