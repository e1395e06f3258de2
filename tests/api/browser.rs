//! The browser side in a real headless Chromium, driven over WebDriver: the demo
//! page's forms, the hosted pages, `fetch` from another origin (CORS, preflight)
//! and the site-builder embed. They run on SQLite only: the store is covered on
//! both backends elsewhere.

use leadpost::demo::DEMO_WEB_KEY;
use serde_json::json;

use crate::browser_support::{
    Browser, at_demo_home, demo_app, demo_clients, demo_embed_snippet, other_origin,
};
use crate::helpers::INTAKE;

#[tokio::test]
async fn the_simple_form_lands_on_the_thanks_page_and_stores_the_client() {
    let Some((app, browser)) = at_demo_home().await else {
        return;
    };
    browser.fill("#simple-form [name=firstName]", "Ann").await;
    browser.fill("#simple-form [name=lastName]", "Lee").await;
    browser
        .fill("#simple-form [name=phone]", "8015551234")
        .await;
    browser
        .fill("#simple-form [name=email]", "ann@example.com")
        .await;
    browser
        .fill("#simple-form [name=notes]", "Roof leaks.\nCall after 5.")
        .await;
    browser.click("#simple-form [type=submit]").await;

    browser.wait_for_text("#thanks", "Thank you").await;
    assert_eq!(
        browser.url().await.as_str(),
        format!("{}/thanks", app.address)
    );
    let clients = demo_clients(&app).await;
    assert_eq!(clients.len(), 1);
    let client = &clients[0];
    assert_eq!(client.fields.first_name(), "Ann");
    assert_eq!(client.fields.last_name(), Some("Lee"));
    assert_eq!(client.fields.phone(), Some("8015551234"));
    assert_eq!(client.fields.email(), Some("ann@example.com"));
    assert_eq!(client.notes[0].body, "Roof leaks.\nCall after 5.");
    browser.save_screenshot("thanks").await;
    browser.close().await;
}

#[tokio::test]
async fn a_bad_web_key_lands_on_the_error_page_showing_ct101() {
    let Some((app, browser)) = at_demo_home().await else {
        return;
    };
    browser
        .run(
            "document.querySelector('#simple-form [name=web_key]').value = 'not_a_key';",
            vec![],
        )
        .await;
    browser.fill("#simple-form [name=firstName]", "Ann").await;
    browser.fill("#simple-form [name=lastName]", "Lee").await;
    browser.click("#simple-form [type=submit]").await;

    browser.wait_for_text("#oops", "not sent").await;
    assert_eq!(browser.wait_for_text("#error-code", "ct101").await, "ct101");
    assert_eq!(
        browser.wait_for_text("#error-msg", "Web_Key").await,
        "Invalid Web_Key"
    );
    let url = browser.url().await;
    assert_eq!(url.path(), "/oops");
    assert!(
        url.query()
            .unwrap_or_default()
            .starts_with("error_Code=ct101&msg=")
    );
    assert!(demo_clients(&app).await.is_empty());
    browser.save_screenshot("oops").await;
    browser.close().await;
}

#[tokio::test]
async fn the_async_form_shows_the_json_answer_inline() {
    let app = demo_app().await;
    let Some(browser) = Browser::start().await else {
        return;
    };
    let home = format!("{}/", app.address);
    browser.goto(&home).await;
    browser.fill("#async-form [name=name]", "Bea Cruz").await;
    browser
        .fill("#async-form [name='Favorite Chocolate']", "Dark")
        .await;
    browser.click("#async-form [type=submit]").await;
    let shown = browser.wait_for_text("#async-answer", "Success").await;
    assert!(shown.starts_with("200"), "{shown}");

    // The same form as JSON; a refused value is answered inline too.
    browser.click("#async-json").await;
    browser.fill("#async-form [name=phone]", "555").await;
    browser.click("#async-form [type=submit]").await;
    let shown = browser.wait_for_text("#async-answer", "ct104").await;
    assert!(shown.starts_with("400"), "{shown}");
    assert_eq!(browser.url().await.as_str(), home, "the page stays");
    let clients = demo_clients(&app).await;
    assert_eq!(clients.len(), 1);
    assert_eq!(clients[0].custom_fields["Favorite Chocolate"], "Dark");
    browser.close().await;
}

#[tokio::test]
async fn fetch_from_another_origin_gets_success_urlencoded_json_and_preflighted() {
    let app = demo_app().await;
    let Some(browser) = Browser::start().await else {
        return;
    };
    let site =
        other_origin("<!doctype html><title>Another site</title><p>elsewhere</p>".into()).await;
    browser.goto(&format!("{site}/")).await;
    let endpoint = format!("{}{INTAKE}", app.address);
    let post = |body: &'static str| {
        format!(
            "const [url, key] = args;\n\
             const response = await fetch(url, {body});\n\
             return {{ status: response.status, body: await response.json() }};"
        )
    };
    let urlencoded = browser
        .run(
            &post(
                "{ method: 'POST', body: new URLSearchParams({ web_key: key, \
                 firstName: 'Ann', lastName: 'Lee' }) }",
            ),
            vec![json!(endpoint), json!(DEMO_WEB_KEY)],
        )
        .await;
    assert_eq!(
        urlencoded,
        json!({"status": 200, "body": {"Message": "Success"}})
    );
    // application/json is not a "simple" content type: the browser preflights it.
    let preflighted_json = browser
        .run(
            &post(
                "{ method: 'POST', headers: { 'Content-Type': 'application/json' }, \
                 body: JSON.stringify({ web_key: key, name: 'Bea Cruz', tag: ['vip', 'roof'] }) }",
            ),
            vec![json!(endpoint), json!(DEMO_WEB_KEY)],
        )
        .await;
    assert_eq!(
        preflighted_json,
        json!({"status": 200, "body": {"Message": "Success"}})
    );
    // A custom header forces a preflight for a urlencoded body as well.
    let custom_header = browser
        .run(
            &post(
                "{ method: 'POST', headers: { 'X-Requested-With': 'fetch' }, \
                 body: new URLSearchParams({ web_key: key, name: 'Cy Dunn' }) }",
            ),
            vec![json!(endpoint), json!(DEMO_WEB_KEY)],
        )
        .await;
    assert_eq!(
        custom_header,
        json!({"status": 200, "body": {"Message": "Success"}})
    );
    let mut names: Vec<String> = demo_clients(&app)
        .await
        .into_iter()
        .map(|c| c.fields.first_name().to_string())
        .collect();
    names.sort();
    assert_eq!(names, ["Ann", "Bea", "Cy"]);
    browser.close().await;
}

#[tokio::test]
async fn the_browser_refuses_cross_origin_reads_of_routes_without_cors() {
    let app = demo_app().await;
    let Some(browser) = Browser::start().await else {
        return;
    };
    let site = other_origin("<!doctype html><title>Another site</title>".into()).await;
    browser.goto(&format!("{site}/")).await;
    let answer = browser
        .run(
            "const response = await fetch(args[0]); return { status: response.status };",
            vec![json!(format!("{}/thanks", app.address))],
        )
        .await;
    assert!(
        answer["thrown"]
            .as_str()
            .is_some_and(|e| e.contains("TypeError")),
        "{answer}"
    );
    browser.close().await;
}

#[tokio::test]
async fn the_embed_snippet_works_inside_a_site_builder_page() {
    let Some((app, browser)) = at_demo_home().await else {
        return;
    };
    // The snippet exactly as a person copies it from the demo page.
    let snippet = browser
        .wait_for("#embed-code")
        .await
        .text()
        .await
        .expect("snippet text");
    assert!(snippet.contains(&format!("action=\"{}{INTAKE}\"", app.address)));
    let page = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Acme Roofing</title>\
         <style>body{{font-family:Georgia,serif;margin:0}} .wsite-header{{background:#234;color:#fff;padding:1em}}\
         .wsite-section{{max-width:60em;margin:auto;padding:1em}} form{{border:0}}</style></head>\
         <body><div class=\"wsite-header\"><h1>Acme Roofing</h1></div>\
         <div id=\"wsite-content\" class=\"wsite-section\"><h2>Get a quote</h2>\
         <div class=\"wsite-multicol\"><div class=\"wcustomhtml\" style=\"overflow:hidden;width:100%\">\
         {snippet}</div></div></div><div class=\"wsite-footer\">Powered by a site builder</div></body></html>"
    );
    let site = other_origin(page).await;
    browser.goto(&format!("{site}/")).await;
    browser
        .fill("[data-leadpost] [name=firstName]", "Dee")
        .await;
    browser.fill("[data-leadpost] [name=lastName]", "Eve").await;
    browser
        .fill("[data-leadpost] [name=email]", "dee@example.com")
        .await;
    browser.click("[data-leadpost] [type=submit]").await;
    browser.wait_for_text(".leadpost-status", "Thank you").await;
    assert_eq!(
        browser.url().await.as_str(),
        format!("{site}/"),
        "the visitor stays on the site"
    );
    let clients = demo_clients(&app).await;
    assert_eq!(clients.len(), 1);
    assert_eq!(clients[0].fields.email(), Some("dee@example.com"));

    // Posting the same email again is answered in place.
    browser
        .fill("[data-leadpost] [name=firstName]", "Dee")
        .await;
    browser
        .fill("[data-leadpost] [name=lastName]", "Again")
        .await;
    browser
        .fill("[data-leadpost] [name=email]", "dee@example.com")
        .await;
    browser.click("[data-leadpost] [type=submit]").await;
    // A returning customer is thanked, not shown an error.
    browser
        .wait_for_text(".leadpost-status", "already have your details")
        .await;
    browser.close().await;
}

#[tokio::test]
async fn without_javascript_the_embed_snippet_posts_and_lands_on_the_thanks_page() {
    let app = demo_app().await;
    let snippet = demo_embed_snippet(&app).await;
    let Some(browser) = Browser::start_with(false).await else {
        return;
    };
    let site = other_origin(format!(
        "<!doctype html><title>Acme Roofing</title><div class=\"wcustomhtml\">{snippet}</div>"
    ))
    .await;
    browser.goto(&format!("{site}/")).await;
    browser
        .fill("[data-leadpost] [name=firstName]", "Gus")
        .await;
    browser
        .fill("[data-leadpost] [name=lastName]", "Hale")
        .await;
    browser.click("[data-leadpost] [type=submit]").await;
    browser.wait_for_text("#thanks", "Thank you").await;
    assert_eq!(
        browser.url().await.as_str(),
        format!("{}/thanks", app.address)
    );
    assert_eq!(demo_clients(&app).await[0].fields.first_name(), "Gus");
    browser.close().await;
}

#[tokio::test]
async fn a_plain_browser_post_without_urls_lands_on_the_hosted_thanks_page() {
    let app = demo_app().await;
    let Some(browser) = Browser::start().await else {
        return;
    };
    let form = format!(
        "<!doctype html><form method=post action=\"{}{INTAKE}\">\
         <input name=web_key value=\"{DEMO_WEB_KEY}\"><input name=name value=\"Fay Gold\">\
         <button id=send>Send</button></form>",
        app.address
    );
    let site = other_origin(form).await;
    browser.goto(&format!("{site}/")).await;
    browser.click("#send").await;
    browser.wait_for_text("#thanks", "Thank you").await;
    let account_id = demo_clients(&app).await[0].account_id;
    assert_eq!(
        browser.url().await.as_str(),
        format!("{}/thanks?a={account_id}", app.address)
    );
    assert_eq!(demo_clients(&app).await[0].fields.first_name(), "Fay");
    browser.close().await;
}

#[tokio::test]
async fn a_screenshot_of_the_home_page_is_saved_for_a_person() {
    let Some((_app, browser)) = at_demo_home().await else {
        return;
    };
    let path = browser.save_full_page("home").await;
    assert!(path.ends_with("screenshots/home.png"));
    eprintln!("screenshot of / saved to {}", path.display());
    browser.close().await;
}
