//! Every rule of docs/endpoint.md, fields and their rules: a value that passes (and how it is stored) and
//! values that fail, answered as JSON and as a redirect to OnErrorURL.

use serde_json::{Value, json};

use crate::helpers::{TestApp, on_both_stores};

/// Where refused posts are sent in these tests (never connected to).
const ERROR_URL: &str = "http://localhost/oops";

/// The key a field is read back under.
fn readback_key(field: &str) -> &str {
    match field {
        "tag" => "tags",
        other => other,
    }
}

/// Post `field=value` with a valid name for each example and check the outcome.
async fn rule(app: &TestApp, field: &str, good: &[(&str, Value)], bad: &[&str]) {
    let account = app.account().await;
    for (value, expected) in good {
        let response = app
            .post_form(&[
                ("web_key", &account.web_key),
                ("name", "Ann Lee"),
                (field, value),
            ])
            .await;
        let status = response.status();
        let body = response.text().await.expect("body");
        assert_eq!(status, 200, "{field}={value:?} should be accepted: {body}");
        let client = app.latest_client(&account).await.expect("a client");
        let stored = serde_json::to_value(&client).expect("json");
        assert_eq!(
            &stored[readback_key(field)],
            expected,
            "{field}={value:?} stored as"
        );
    }
    for value in bad {
        let response = app
            .post_form(&[
                ("web_key", &account.web_key),
                ("name", "Ann Lee"),
                (field, value),
            ])
            .await;
        assert_eq!(
            response.status(),
            400,
            "{field}={value:?} should be refused"
        );
        let body: Value = response.json().await.expect("json body");
        assert_eq!(body["Message"], "Error");
        assert_eq!(body["error_code"], "ct104", "{field}={value:?}");
        assert_eq!(body["fields"][0]["field"], field, "{field}={value:?}");
        assert!(
            body["msg"].as_str().unwrap_or_default().contains(field),
            "message names {field}"
        );

        let response = app
            .post_form(&[
                ("web_key", &account.web_key),
                ("name", "Ann Lee"),
                (field, value),
                ("OnErrorURL", ERROR_URL),
            ])
            .await;
        assert_eq!(response.status(), 303, "{field}={value:?} redirects");
        let location = response.headers()["location"].to_str().expect("ascii");
        assert!(
            location.starts_with(&format!("{ERROR_URL}?error_Code=ct104&msg=")),
            "{location}"
        );
    }
}

async fn phone_is_exactly_ten_digits(app: TestApp) {
    rule(
        &app,
        "phone",
        &[
            ("8015551234", json!("8015551234")),
            (" 8015551234 ", json!("8015551234")),
        ],
        &[
            "801555123",
            "80155512345",
            "801-555-1234",
            "(801)5551234",
            "٨٠١٥٥٥١٢٣٤",
        ],
    )
    .await;
}

async fn second_phone_is_exactly_ten_digits(app: TestApp) {
    rule(
        &app,
        "second_phone",
        &[("4355550000", json!("4355550000"))],
        &["435 555 0000", "+14355550000"],
    )
    .await;
}

async fn smsok_is_one_or_zero_and_defaults_to_one(app: TestApp) {
    rule(
        &app,
        "smsok",
        &[("0", json!(0)), ("1", json!(1)), ("", json!(1))],
        &["yes", "2", "true"],
    )
    .await;
}

async fn email_must_be_well_formed(app: TestApp) {
    let long = format!("{}@example.com", "a".repeat(250));
    rule(
        &app,
        "email",
        &[
            ("ann@example.com", json!("ann@example.com")),
            ("Bo.Lee+x@Example.org", json!("Bo.Lee+x@Example.org")),
        ],
        &[
            "ann",
            "ann@",
            "@example.com",
            "ann@example",
            "ann example@x.com",
            &long,
        ],
    )
    .await;
}

async fn short_text_fields_hold_at_most_255_characters(app: TestApp) {
    let max = "é".repeat(255);
    let over = "é".repeat(256);
    for field in [
        "address",
        "city",
        "compName",
        "job_title",
        "education",
        "occupation",
        "twitter",
        "client_category",
        "assigned_user_id",
    ] {
        rule(
            &app,
            field,
            &[("12 Main St", json!("12 Main St")), (&max, json!(max))],
            &[&over],
        )
        .await;
    }
}

async fn whiteboard_holds_at_most_65535_characters(app: TestApp) {
    let max = "w".repeat(65_535);
    let over = "w".repeat(65_536);
    rule(
        &app,
        "whiteboard",
        &[("Roof leaks", json!("Roof leaks")), (&max, json!(max))],
        &[&over],
    )
    .await;
}

async fn notes_become_a_history_note(app: TestApp) {
    let account = app.account().await;
    let response = app
        .post_form(&[
            ("web_key", &account.web_key),
            ("name", "Ann"),
            ("notes", "Call after <b>5pm</b>"),
        ])
        .await;
    assert_eq!(response.status(), 200);
    let client = app.latest_client(&account).await.expect("client");
    assert_eq!(client.notes.len(), 1);
    assert_eq!(client.notes[0].body, "Call after 5pm");
    let over = "n".repeat(65_536);
    rule(&app, "notes", &[], &[&over]).await;
}

async fn state_is_a_us_state_or_canadian_province_stored_upper_case(app: TestApp) {
    rule(
        &app,
        "state",
        &[
            ("ut", json!("UT")),
            ("DC", json!("DC")),
            ("qc", json!("QC")),
        ],
        &["XX", "Utah", "U"],
    )
    .await;
}

async fn zip_is_us_or_canadian(app: TestApp) {
    rule(
        &app,
        "zip",
        &[
            ("84101", json!("84101")),
            ("84101-1234", json!("84101-1234")),
            ("84101-1234-01", json!("84101-1234-01")),
            ("k1a 0b1", json!("K1A 0B1")),
        ],
        &["8410", "84101-12", "K1A0B1", "ABCDE"],
    )
    .await;
}

async fn tags_are_a_comma_separated_list(app: TestApp) {
    let long = "t".repeat(101);
    rule(
        &app,
        "tag",
        &[(" vip, roof ,,vip, VIP ", json!(["vip", "roof"]))],
        &[&long],
    )
    .await;
}

async fn whole_numbers_are_digits_only(app: TestApp) {
    for field in [
        "deal_size",
        "age",
        "high_net_worth",
        "household_income",
        "length_of_residence",
        "market_value",
    ] {
        rule(
            &app,
            field,
            &[
                ("0", json!(0)),
                ("007", json!(7)),
                ("9223372036854775807", json!(9223372036854775807_i64)),
            ],
            &[
                "-1",
                "1.5",
                "1e3",
                "+4",
                "12 000",
                "9223372036854775808",
                "1990-01-01",
            ],
        )
        .await;
    }
}

async fn flags_are_one_or_zero(app: TestApp) {
    for field in ["deal_closed", "presence_of_children", "presence_of_pets"] {
        rule(
            &app,
            field,
            &[("1", json!(1)), ("0", json!(0))],
            &["2", "yes", "true"],
        )
        .await;
    }
}

async fn gender_is_m_or_f(app: TestApp) {
    rule(
        &app,
        "gender",
        &[("M", json!("M")), ("f", json!("F"))],
        &["Male", "X"],
    )
    .await;
}

async fn home_owner_status_is_own_or_rent(app: TestApp) {
    rule(
        &app,
        "home_owner_status",
        &[("Own", json!("Own")), ("RENT", json!("Rent"))],
        &["Lease"],
    )
    .await;
}

async fn material_status_is_single_married_or_divorced(app: TestApp) {
    rule(
        &app,
        "material_status",
        &[
            ("married", json!("Married")),
            ("Single", json!("Single")),
            ("DIVORCED", json!("Divorced")),
        ],
        &["Widowed"],
    )
    .await;
}

async fn dates_are_real_calendar_dates(app: TestApp) {
    for field in [
        "anniversary_1",
        "anniversary_2",
        "clients_date_last",
        "clients_date_next",
    ] {
        rule(
            &app,
            field,
            &[
                ("2024:02:29", json!("2024-02-29")),
                ("2025-12-31", json!("2025-12-31")),
            ],
            &[
                "2023:02:29",
                "2024:13:01",
                "2024/01/01",
                "24:01:01",
                "2024:1:1",
            ],
        )
        .await;
    }
}

async fn facebook_id_generates_the_profile_link(app: TestApp) {
    rule(
        &app,
        "facebook",
        &[("hall303", json!("hall303"))],
        &["hall 303", "a/b", &"f".repeat(101)],
    )
    .await;
    let account = app.account().await;
    app.post_form(&[
        ("web_key", &account.web_key),
        ("name", "Ann"),
        ("facebook", "hall303"),
    ])
    .await;
    let client = app.latest_client(&account).await.expect("client");
    assert_eq!(
        client
            .fields
            .read_back("facebook_url")
            .map(|v| v.to_cell())
            .as_deref(),
        Some("https://www.facebook.com/hall303")
    );
}

async fn linkedin_id_generates_the_profile_link(app: TestApp) {
    rule(
        &app,
        "linkedin",
        &[("itmanagementconsulting", json!("itmanagementconsulting"))],
        &["x?y=1"],
    )
    .await;
    let account = app.account().await;
    app.post_form(&[
        ("web_key", &account.web_key),
        ("name", "Ann"),
        ("linkedin", "itmanagementconsulting"),
    ])
    .await;
    let client = app.latest_client(&account).await.expect("client");
    assert_eq!(
        client
            .fields
            .read_back("linkedin_url")
            .map(|v| v.to_cell())
            .as_deref(),
        Some("https://www.linkedin.com/in/itmanagementconsulting/")
    );
}

async fn new_lead_notification_is_zero_one_or_two(app: TestApp) {
    rule(
        &app,
        "new_lead_notification",
        &[
            ("0", json!(0)),
            ("1", json!(1)),
            ("2", json!(2)),
            ("", json!(0)),
        ],
        &["3", "all"],
    )
    .await;
}

async fn contact_type_is_a_number_or_its_name(app: TestApp) {
    rule(
        &app,
        "contact_type",
        &[
            ("3", json!(3)),
            ("vendor", json!(4)),
            ("Other", json!(5)),
            ("", json!(1)),
        ],
        &["0", "6", "Customer"],
    )
    .await;
}

async fn on_success_url_must_be_http_or_https(app: TestApp) {
    let account = app.account().await;
    let response = app
        .post_form(&[
            ("web_key", &account.web_key),
            ("name", "Ann"),
            ("OnSuccessURL", "localhost:8080/thanks"),
        ])
        .await;
    assert_eq!(response.status(), 303);
    assert_eq!(
        response.headers()["location"],
        "https://localhost:8080/thanks"
    );
    rule(
        &app,
        "OnSuccessURL",
        &[],
        &[
            "javascript:alert(1)",
            "data:text/html,hi",
            "/thanks",
            "ftp://localhost/x",
        ],
    )
    .await;
}

async fn an_invalid_on_error_url_is_answered_as_json(app: TestApp) {
    let response = app
        .post_form(&[
            ("web_key", "wrong"),
            ("name", "Ann"),
            ("OnErrorURL", "javascript:alert(1)"),
        ])
        .await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["error_code"], "ct104");
    assert!(
        body["msg"]
            .as_str()
            .unwrap_or_default()
            .contains("OnErrorURL")
    );
    assert!(body.get("fields").is_none(), "fields are for step 5 only");
}

on_both_stores!(
    phone_is_exactly_ten_digits,
    second_phone_is_exactly_ten_digits,
    smsok_is_one_or_zero_and_defaults_to_one,
    email_must_be_well_formed,
    short_text_fields_hold_at_most_255_characters,
    whiteboard_holds_at_most_65535_characters,
    notes_become_a_history_note,
    state_is_a_us_state_or_canadian_province_stored_upper_case,
    zip_is_us_or_canadian,
    tags_are_a_comma_separated_list,
    whole_numbers_are_digits_only,
    flags_are_one_or_zero,
    gender_is_m_or_f,
    home_owner_status_is_own_or_rent,
    material_status_is_single_married_or_divorced,
    dates_are_real_calendar_dates,
    facebook_id_generates_the_profile_link,
    linkedin_id_generates_the_profile_link,
    new_lead_notification_is_zero_one_or_two,
    contact_type_is_a_number_or_its_name,
    on_success_url_must_be_http_or_https,
    an_invalid_on_error_url_is_answered_as_json,
);
