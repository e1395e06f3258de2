//! Thumbtack's lead webhook JSON mapped to form fields: the customer's name and phone, the request's
//! location (zip, city, state, address) and every `request.details` question and answer as a custom
//! field named by its question. A vendor lead is never refused over a detail's name or length: a
//! question equal to a reserved field name gets a `Q: ` prefix, and a long one is cut.

use serde::Deserialize;
use serde_json::Value;

use super::terms::{CUSTOM_NAME_MAX_CHARS, phone_digits};
use crate::fields::truncate_chars;

/// Prefix given to a question that equals a reserved field name.
const QUESTION_PREFIX: &str = "Q: ";

/// One Thumbtack lead, read for the pipeline.
#[derive(Debug, Clone, PartialEq)]
pub struct ThumbtackLead {
    /// `leadID`: the same one twice for an account is a double submit.
    pub lead_id: String,
    /// The form fields, in order, as a form post would give them.
    pub fields: Vec<(String, String)>,
    /// The whole JSON as posted, for the submission log.
    pub raw: Value,
}

/// Why a body is not a Thumbtack lead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ThumbtackError {
    #[error("the body is not JSON: {0}")]
    Json(String),
    #[error("the lead has no leadID")]
    NoLeadId,
}

/// The parts of Thumbtack's lead JSON that are read; everything else is kept in `raw` only.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Lead {
    #[serde(rename = "leadID")]
    lead_id: Option<Scalar>,
    customer: Customer,
    request: LeadRequest,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Customer {
    name: Option<String>,
    phone: Option<Scalar>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LeadRequest {
    location: Location,
    details: Vec<Detail>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Location {
    address1: Option<String>,
    address2: Option<String>,
    city: Option<String>,
    state: Option<String>,
    zip_code: Option<Scalar>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Detail {
    question: Option<String>,
    answer: Option<Scalar>,
}

/// A JSON string or number (ids, phones and zips arrive as either).
#[derive(Deserialize)]
#[serde(untagged)]
enum Scalar {
    Text(String),
    Number(serde_json::Number),
    Other(Value),
}

impl Scalar {
    fn text(&self) -> Option<String> {
        match self {
            Scalar::Text(s) => Some(s.trim().to_string()),
            Scalar::Number(n) => Some(n.to_string()),
            Scalar::Other(Value::Bool(b)) => Some(if *b { "Yes" } else { "No" }.to_string()),
            Scalar::Other(Value::Array(items)) => Some(
                items
                    .iter()
                    .filter_map(|v| match v {
                        Value::String(s) => Some(s.trim().to_string()),
                        Value::Number(n) => Some(n.to_string()),
                        _ => None,
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            Scalar::Other(_) => None,
        }
        .filter(|s| !s.is_empty())
    }
}

impl ThumbtackLead {
    /// Read a posted lead. `is_reserved` tells whether a name is one of the form's reserved fields
    /// (compared exactly as posted).
    pub fn parse(body: &[u8], is_reserved: impl Fn(&str) -> bool) -> Result<Self, ThumbtackError> {
        let raw: Value =
            serde_json::from_slice(body).map_err(|e| ThumbtackError::Json(e.to_string()))?;
        let lead: Lead =
            serde_json::from_value(raw.clone()).map_err(|e| ThumbtackError::Json(e.to_string()))?;
        let lead_id = lead
            .lead_id
            .as_ref()
            .and_then(Scalar::text)
            .ok_or(ThumbtackError::NoLeadId)?;
        let mut fields = Vec::new();
        let mut push = |name: &str, value: Option<String>| {
            if let Some(v) = value
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
            {
                fields.push((name.to_string(), v));
            }
        };
        push("name", lead.customer.name);
        push(
            "phone",
            lead.customer
                .phone
                .as_ref()
                .and_then(Scalar::text)
                .map(|p| phone_digits(&p)),
        );
        let location = lead.request.location;
        let street = [location.address1, location.address2]
            .into_iter()
            .flatten()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(", ");
        push("address", Some(street));
        push("city", location.city);
        push("state", location.state);
        push("zip", location.zip_code.as_ref().and_then(Scalar::text));
        for detail in lead.request.details {
            let Some(question) = detail.question.as_deref().map(str::trim) else {
                continue;
            };
            if question.is_empty() {
                continue;
            }
            let name = question_field(question, &is_reserved);
            push(&name, detail.answer.as_ref().and_then(Scalar::text));
        }
        Ok(ThumbtackLead {
            lead_id,
            fields,
            raw,
        })
    }
}

/// A question as a custom field name: trimmed, `Q: ` in front when it equals a reserved name, cut to
/// the custom field name limit.
fn question_field(question: &str, is_reserved: impl Fn(&str) -> bool) -> String {
    let name = if is_reserved(question) {
        format!("{QUESTION_PREFIX}{question}")
    } else {
        question.to_string()
    };
    truncate_chars(&name, CUSTOM_NAME_MAX_CHARS).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn reserved(name: &str) -> bool {
        ["name", "phone", "email", "zip", "notes"].contains(&name)
    }

    fn parse(value: Value) -> ThumbtackLead {
        ThumbtackLead::parse(value.to_string().as_bytes(), reserved).expect("a lead")
    }

    fn field<'a>(lead: &'a ThumbtackLead, name: &str) -> Option<&'a str> {
        lead.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// A lead in the shape Thumbtack posts to a partner's lead endpoint.
    fn sample() -> Value {
        json!({
            "leadID": "437282374892783829",
            "createTimestamp": "1747102856",
            "price": "$25.50",
            "leadType": "ESTIMATION",
            "request": {
                "requestID": "437282374881298432",
                "category": "House Cleaning",
                "categoryID": "122681972262289742",
                "title": "House Cleaning",
                "description": "Two story home, pets.",
                "schedule": "Date: Jun 19\nTime: Morning",
                "location": {
                    "address1": "1 Main St",
                    "address2": "Apt 4",
                    "city": "Provo",
                    "state": "UT",
                    "zipCode": "84601"
                },
                "travelPreferences": "Professional must travel to my address.",
                "details": [
                    {"question": "Number of bedrooms", "answer": "3 bedrooms"},
                    {"question": " Cleaning type ", "answer": "Standard cleaning"},
                    {"question": "Pets", "answer": ["Dog", "Cat"]}
                ]
            },
            "customer": {
                "customerID": "437282374645981184",
                "name": "Ann Lee Smith",
                "phone": "+1 (801) 555-1234"
            },
            "business": {"businessID": "286845156044809661", "name": "Sparkle Cleaners"}
        })
    }

    #[test]
    fn customer_and_location_map_to_reserved_fields() {
        let lead = parse(sample());
        assert_eq!(lead.lead_id, "437282374892783829");
        assert_eq!(field(&lead, "name"), Some("Ann Lee Smith"));
        assert_eq!(field(&lead, "phone"), Some("8015551234"));
        assert_eq!(field(&lead, "address"), Some("1 Main St, Apt 4"));
        assert_eq!(field(&lead, "city"), Some("Provo"));
        assert_eq!(field(&lead, "state"), Some("UT"));
        assert_eq!(field(&lead, "zip"), Some("84601"));
    }

    #[test]
    fn each_detail_becomes_a_custom_field_named_by_its_trimmed_question() {
        let lead = parse(sample());
        assert_eq!(field(&lead, "Number of bedrooms"), Some("3 bedrooms"));
        assert_eq!(field(&lead, "Cleaning type"), Some("Standard cleaning"));
        assert_eq!(field(&lead, "Pets"), Some("Dog, Cat"));
    }

    #[test]
    fn a_question_equal_to_a_reserved_name_gets_a_prefix() {
        let mut value = sample();
        value["request"]["details"] = json!([
            {"question": "email", "answer": "not an address"},
            {"question": "Email", "answer": "kept as is"}
        ]);
        let lead = parse(value);
        assert_eq!(field(&lead, "Q: email"), Some("not an address"));
        assert_eq!(field(&lead, "Email"), Some("kept as is"));
        assert_eq!(field(&lead, "email"), None);
    }

    #[test]
    fn a_long_question_is_cut_to_100_characters() {
        let mut value = sample();
        let long = "How many square feet ".repeat(10);
        value["request"]["details"] = json!([{"question": long, "answer": "2000"}]);
        let lead = parse(value);
        let (name, _) = lead.fields.last().expect("a field");
        assert_eq!(name.chars().count(), 100);
        assert!(long.starts_with(name.as_str()));
    }

    #[test]
    fn numbers_are_read_as_text() {
        let mut value = sample();
        value["leadID"] = json!(437282374892783829u64);
        value["request"]["location"]["zipCode"] = json!(84601);
        let lead = parse(value);
        assert_eq!(lead.lead_id, "437282374892783829");
        assert_eq!(field(&lead, "zip"), Some("84601"));
    }

    #[test]
    fn missing_parts_give_no_fields_and_empty_questions_are_skipped() {
        let lead = parse(json!({
            "leadID": "1",
            "request": {"details": [{"question": " ", "answer": "x"}, {"answer": "y"}]}
        }));
        assert!(lead.fields.is_empty());
    }

    #[test]
    fn the_whole_json_is_kept() {
        let lead = parse(sample());
        assert_eq!(lead.raw, sample());
    }

    #[test]
    fn a_lead_without_an_id_or_not_json_is_refused() {
        assert_eq!(
            ThumbtackLead::parse(br#"{"customer":{"name":"A"}}"#, reserved),
            Err(ThumbtackError::NoLeadId)
        );
        assert!(matches!(
            ThumbtackLead::parse(b"not json", reserved),
            Err(ThumbtackError::Json(_))
        ));
    }

    #[test]
    fn unexpected_types_do_not_refuse_the_lead() {
        let lead = parse(json!({
            "leadID": "2",
            "customer": {"name": "Ann", "phone": null},
            "request": {"details": [{"question": "Budget", "answer": {"min": 1}}]}
        }));
        assert_eq!(lead.fields, crate::inbound::pairs(&[("name", "Ann")]));
    }
}
