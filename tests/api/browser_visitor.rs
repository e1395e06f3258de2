//! The pages as a visitor on a phone or a laptop meets them, in a real headless
//! Chromium: no sideways scrolling, the snippet inside a site builder's frame
//! without JavaScript, phones typed with formatting, and the fetch form's answer
//! that never outlives the next attempt. Screenshots are saved for a person to look at.

use std::time::{Duration, Instant};

use leadpost::demo::DEMO_LEAD_SOURCE_KEY;
use serde_json::json;

use crate::browser_support::{
    Browser, at_demo_home, demo_app, demo_clients, demo_embed_snippet, other_origin, other_site,
};
use crate::helpers::TestApp;

/// A phone's and a laptop's page width, in CSS pixels.
const WIDTHS: [u32; 2] = [390, 1280];

/// The public pages, by the name their screenshots get.
fn public_pages() -> Vec<(&'static str, String)> {
    let long_message = "x".repeat(400);
    vec![
        ("home", "/".to_string()),
        ("thanks", "/thanks".to_string()),
        (
            "oops",
            format!("/oops?error_Code=ct104&msg=Invalid+phone+{long_message}"),
        ),
        (
            "oops-returning",
            "/oops?error_Code=ct103&msg=Duplicate+Client".to_string(),
        ),
    ]
}

/// The demo lead source's id: the key the demo page's forms carry.
async fn demo_lead_source_id(app: &TestApp) -> uuid::Uuid {
    app.store
        .find_key_owner(DEMO_LEAD_SOURCE_KEY)
        .await
        .expect("resolves")
        .and_then(|owner| owner.lead_source)
        .expect("the demo lead source")
        .id
}

#[tokio::test]
async fn no_public_page_scrolls_sideways_on_a_phone_or_a_laptop() {
    let app = demo_app().await;
    let Some(browser) = Browser::start().await else {
        return;
    };
    for width in WIDTHS {
        for (name, path) in public_pages() {
            browser.goto(&format!("{}{path}", app.address)).await;
            browser.set_width(width).await;
            assert_eq!(
                browser.sideways_scroll().await,
                0,
                "{path} at {width} px scrolls sideways"
            );
            browser.save_full_page(&format!("{name}-{width}")).await;
        }
    }
    browser.close().await;
}

#[tokio::test]
async fn without_javascript_the_snippet_in_a_frame_lands_on_the_top_level_thanks_page() {
    let app = demo_app().await;
    let snippet = demo_embed_snippet(&app).await;
    let Some(browser) = Browser::start_with(false).await else {
        return;
    };
    // A site builder's "embed HTML" element: the snippet in a frame of its own origin.
    let site = other_site(vec![
        (
            "/",
            "<!doctype html><title>Acme Roofing</title><h1>Get a quote</h1>\
             <iframe src=\"/embed\" title=\"Quote form\" style=\"width:100%;height:40rem;border:0\">\
             </iframe>"
                .to_string(),
        ),
        (
            "/embed",
            format!("<!doctype html><title>Embed</title>{snippet}"),
        ),
    ])
    .await;
    browser.goto(&format!("{site}/")).await;
    browser
        .client()
        .enter_frame(0)
        .await
        .expect("into the frame");
    browser
        .fill("[data-leadpost] [name=firstName]", "Ida")
        .await;
    browser.fill("[data-leadpost] [name=lastName]", "Jay").await;
    browser.click("[data-leadpost] [type=submit]").await;
    // The whole page moved on: back to the top to look at it.
    let _ = browser.client().enter_parent_frame().await;
    browser.wait_for_text("#thanks", "Thank you").await;
    assert_eq!(
        browser.url().await.as_str(),
        format!("{}/thanks", app.address)
    );
    browser.save_screenshot("framed-snippet-thanks").await;
    let clients = demo_clients(&app).await;
    assert_eq!(clients.len(), 1);
    assert_eq!(clients[0].fields.first_name(), "Ida");
    browser.close().await;
}

#[tokio::test]
async fn the_snippet_sends_a_formatted_phone_as_ten_digits_from_the_demo_lead_source() {
    let app = demo_app().await;
    let snippet = demo_embed_snippet(&app).await;
    let Some(browser) = Browser::start().await else {
        return;
    };
    let site = other_origin(format!(
        "<!doctype html><title>Acme Roofing</title><div class=\"wcustomhtml\">{snippet}</div>"
    ))
    .await;
    browser.goto(&format!("{site}/")).await;
    browser
        .fill("[data-leadpost] [name=firstName]", "Kim")
        .await;
    browser.fill("[data-leadpost] [name=lastName]", "Lu").await;
    browser
        .fill("[data-leadpost] [name=phone]", "(801) 555-0102")
        .await;
    browser.click("[data-leadpost] [type=submit]").await;
    browser.wait_for_text(".leadpost-status", "Thank you").await;
    let clients = demo_clients(&app).await;
    assert_eq!(clients.len(), 1);
    assert_eq!(clients[0].fields.phone(), Some("8015550102"));
    assert_eq!(
        clients[0].lead_source_id,
        Some(demo_lead_source_id(&app).await)
    );
    browser.close().await;
}

#[tokio::test]
async fn the_plain_form_sends_a_phone_with_country_code_as_ten_digits() {
    let Some((app, browser)) = at_demo_home().await else {
        return;
    };
    browser.fill("#simple-form [name=firstName]", "Max").await;
    browser.fill("#simple-form [name=lastName]", "Ng").await;
    browser
        .fill("#simple-form [name=phone]", "+1 801.555.0102")
        .await;
    browser.click("#simple-form [type=submit]").await;
    browser.wait_for_text("#thanks", "Thank you").await;
    assert_eq!(
        demo_clients(&app).await[0].fields.phone(),
        Some("8015550102")
    );
    browser.close().await;
}

#[tokio::test]
async fn the_fetch_form_clears_its_last_answer_when_the_browser_refuses_the_next_submit() {
    let Some((app, browser)) = at_demo_home().await else {
        return;
    };
    browser.fill("#async-form [name=name]", "Ned Oak").await;
    browser.click("#async-form [type=submit]").await;
    browser.wait_for_text("#async-answer", "Success").await;

    // The name is required: the browser refuses to send, and "Success" must not stay.
    browser
        .run(
            "document.querySelector('#async-form [name=name]').value = ''; return null;",
            vec![],
        )
        .await;
    browser.click("#async-form [type=submit]").await;
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let shown = browser
            .run(
                "return document.querySelector(args[0]).textContent;",
                vec![json!("#async-answer")],
            )
            .await;
        if shown == json!("") {
            break;
        }
        assert!(Instant::now() < deadline, "the answer stays: {shown}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(demo_clients(&app).await.len(), 1);
    browser.close().await;
}

#[tokio::test]
async fn the_honeypot_is_out_of_sight_and_out_of_the_tab_order() {
    let Some((_app, browser)) = at_demo_home().await else {
        return;
    };
    let traps = browser
        .run(
            "return Array.from(document.querySelectorAll('[name=_lp_hp]')).map((input) => {\n\
               const box = input.getBoundingClientRect();\n\
               return { offscreen: box.right <= 0, tabIndex: input.tabIndex,\n\
                        hiddenFromReaders: input.closest('[aria-hidden=true]') !== null };\n\
             });",
            vec![],
        )
        .await;
    let expected = json!({"offscreen": true, "tabIndex": -1, "hiddenFromReaders": true});
    assert_eq!(traps, json!([expected, expected, expected]), "one per form");
    browser.close().await;
}
