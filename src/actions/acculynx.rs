//! The `acculynx` preset: a client mapped onto AccuLynx's `POST /api/v1/leads`
//! body (README, action plans and webhooks), each value cut to AccuLynx's limits.

use serde_json::{Map, Value};

use crate::fields::UsCaState;
use crate::store::Client;

/// The preset's name as stored on the webhook.
pub const PRESET: &str = "acculynx";
/// Where AccuLynx takes new leads (the `url` may override it).
pub const DEFAULT_URL: &str = "https://api.acculynx.com/api/v1/leads";

const JOB_CATEGORIES: [&str; 3] = ["Residential", "Repair", "Property Management"];
const WORK_TYPES: [&str; 7] = [
    "Insurance",
    "Repair",
    "Retail",
    "Warranty",
    "New",
    "Inspection",
    "Service",
];
const PRIORITIES: [&str; 3] = ["Normal", "High", "Urgent"];

/// The first `limit` characters of `s`.
fn cut(s: &str, limit: usize) -> String {
    s.chars().take(limit).collect()
}

/// The custom field `name` (exact name first, then any case).
fn custom<'a>(client: &'a Client, name: &str) -> Option<&'a str> {
    client
        .custom_fields
        .get(name)
        .or_else(|| {
            client
                .custom_fields
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v)
        })
        .map(String::as_str)
}

/// `value` in AccuLynx's spelling when it is one of `allowed` (any case).
fn enum_value(value: Option<&str>, allowed: &[&'static str]) -> Option<&'static str> {
    let value = value?.trim();
    allowed
        .iter()
        .copied()
        .find(|a| a.to_lowercase() == value.to_lowercase())
}

/// The AccuLynx lead body for a client. Empty fields are absent.
pub fn body(client: &Client) -> Value {
    let mut out = Map::new();
    let mut put = |key: &str, value: Option<&str>, limit: usize| {
        if let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) {
            out.insert(key.to_string(), Value::String(cut(v, limit)));
        }
    };
    put("firstName", Some(client.fields.first_name()), 50);
    put("lastName", client.fields.last_name(), 50);
    put("companyName", client.fields.comp_name(), 100);
    put("phoneNumber1", client.fields.phone(), 30);
    if client.fields.phone().is_some() {
        put("phoneType1", Some("Mobile"), 50);
    }
    put("phoneNumber2", client.fields.second_phone(), 30);
    if client.fields.second_phone().is_some() {
        put("phoneType2", Some("Home"), 50);
    }
    // An address cut short would be a wrong address: left out instead.
    let email = client.fields.email().filter(|e| e.chars().count() <= 100);
    put("emailAddress", email, 100);
    put("street", client.fields.address(), 250);
    put("city", client.fields.city(), 50);
    put("state", client.fields.state(), 50);
    put("zip", client.fields.zip(), 50);
    let canadian = client
        .fields
        .state()
        .and_then(|s| UsCaState::parse(s).ok())
        .is_some_and(|s| s.is_canadian());
    put("country", Some(if canadian { "CA" } else { "US" }), 50);
    put("notes", client.fields.whiteboard(), 1000);
    put(
        "jobCategory",
        enum_value(custom(client, "jobCategory"), &JOB_CATEGORIES),
        50,
    );
    put(
        "workType",
        enum_value(custom(client, "workType"), &WORK_TYPES),
        50,
    );
    put(
        "priority",
        enum_value(custom(client, "priority"), &PRIORITIES),
        50,
    );
    Value::Object(out)
}
