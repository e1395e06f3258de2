//! The posted fields, checked in the order of docs/endpoint.md: `OnErrorURL`, then
//! `web_key`, then the name, then every other field into a [`NewClient`].

use std::collections::HashMap;

use sha2::{Digest, Sha256};

use super::body::PostedPairs;
use crate::clients::NewClient;
use crate::fields::{
    ContactType, Email, FieldError, FieldProblem, Flag, Gender, HomeOwnerStatus, MaritalStatus,
    NewLeadNotification, Phone, ProfileId, RedirectUrl, TagList, Text, UsCaState, WholeNumber,
    YmdDate, Zip, char_len, strip_html, truncate_chars,
};
use crate::spam::is_control_field;

/// Every reserved field name, in the order its errors are reported (docs/endpoint.md).
pub const RESERVED: &[&str] = &[
    "web_key",
    "name",
    "firstName",
    "lastName",
    "phone",
    "second_phone",
    "smsok",
    "email",
    "address",
    "city",
    "compName",
    "job_title",
    "education",
    "occupation",
    "twitter",
    "client_category",
    "assigned_user_id",
    "whiteboard",
    "notes",
    "state",
    "zip",
    "tag",
    "deal_size",
    "age",
    "high_net_worth",
    "household_income",
    "length_of_residence",
    "market_value",
    "deal_closed",
    "presence_of_children",
    "presence_of_pets",
    "gender",
    "home_owner_status",
    "material_status",
    "anniversary_1",
    "anniversary_2",
    "clients_date_last",
    "clients_date_next",
    "facebook",
    "linkedin",
    "new_lead_notification",
    "contact_type",
    "OnSuccessURL",
    "OnErrorURL",
];

/// Longest name, first name, last name and short text field.
const SHORT_TEXT: usize = 255;
/// Longest whiteboard or note.
const LONG_TEXT: usize = 65_535;
/// Longest expansion field name and value.
const EXPANSION_MAX: usize = 100;
/// Most expansion fields in one post.
const EXPANSION_FIELDS_MAX: usize = 100;

/// A post's fields, indexed by name.
pub struct Form<'a> {
    posted: &'a PostedPairs,
    /// Reserved name → its values in posted order.
    reserved: HashMap<&'static str, Vec<&'a str>>,
    /// Expansion names in order of first appearance, each with its values.
    expansion: Vec<(&'a str, Vec<&'a str>)>,
}

/// The first and last name, after `name` / `firstName` + `lastName` are settled.
#[derive(Debug)]
pub struct Name {
    field: &'static str,
    first: String,
    last: Option<(&'static str, String)>,
}

/// A lead that passed every check.
#[derive(Debug)]
pub struct ValidLead {
    pub client: NewClient,
    pub success_url: Option<RedirectUrl>,
}

impl<'a> Form<'a> {
    /// Index the posted pairs.
    pub fn new(posted: &'a PostedPairs) -> Self {
        let mut reserved: HashMap<&'static str, Vec<&'a str>> = HashMap::new();
        let mut expansion: Vec<(&'a str, Vec<&'a str>)> = Vec::new();
        let mut expansion_index: HashMap<&'a str, usize> = HashMap::new();
        for (name, value) in &posted.pairs {
            if is_control_field(name) {
                // Honeypot, fill time, CAPTCHA tokens: read by the spam checks, never stored.
                continue;
            }
            if let Some(known) = RESERVED.iter().find(|r| **r == name.as_str()) {
                reserved.entry(known).or_default().push(value);
            } else if let Some(&i) = expansion_index.get(name.as_str()) {
                expansion[i].1.push(value);
            } else {
                expansion_index.insert(name, expansion.len());
                expansion.push((name, vec![value]));
            }
        }
        Form {
            posted,
            reserved,
            expansion,
        }
    }

    /// The last value given, HTML-stripped and trimmed; empty counts as absent.
    fn text(&self, field: &'static str) -> Option<String> {
        let raw = self.reserved.get(field)?.last()?;
        Some(strip_html(raw)).filter(|v| !v.is_empty())
    }

    /// The last value given for a URL field, trimmed (never HTML-stripped).
    fn url(&self, field: &'static str) -> Option<&'a str> {
        let raw = self.reserved.get(field)?.last()?.trim();
        (!raw.is_empty()).then_some(raw)
    }

    /// Step 2: where failures are sent, if anywhere. An invalid `OnErrorURL` is itself an error.
    pub fn error_url(&self) -> Result<Option<RedirectUrl>, FieldProblem> {
        self.url("OnErrorURL")
            .map(RedirectUrl::parse)
            .transpose()
            .map_err(|e| FieldProblem::new("OnErrorURL", e))
    }

    /// Step 3: the web_key, if one was posted.
    pub fn web_key(&self) -> Option<String> {
        self.text("web_key")
    }

    /// Step 4: `name` (split at its first run of whitespace), else both `firstName` and `lastName`.
    pub fn name(&self) -> Option<Name> {
        if let Some(full) = self.text("name") {
            let mut parts = full.splitn(2, char::is_whitespace);
            let first = parts.next().unwrap_or_default().to_string();
            let last = parts
                .next()
                .map(|rest| rest.trim().to_string())
                .filter(|rest| !rest.is_empty());
            return Some(Name {
                field: "name",
                first,
                last: last.map(|l| ("name", l)),
            });
        }
        let first = self.text("firstName")?;
        let last = self.text("lastName")?;
        Some(Name {
            field: "firstName",
            first,
            last: Some(("lastName", last)),
        })
    }

    /// Step 5: every other field, all problems in the order of `RESERVED`, expansions last.
    pub fn lead(&self, name: Name) -> Result<ValidLead, Vec<FieldProblem>> {
        let mut problems = Vec::new();
        let mut check = |field: &'static str, result: Result<(), FieldError>| {
            if let Err(e) = result {
                problems.push(FieldProblem::new(field, e));
            }
        };

        // Runs `parse` on the field's cleaned value, recording any problem.
        macro_rules! field {
            ($field:literal, $parse:expr) => {{
                match self.text($field).map(|v| $parse(&v)) {
                    None => None,
                    Some(Ok(value)) => Some(value),
                    Some(Err(e)) => {
                        check($field, Err(e));
                        None
                    }
                }
            }};
        }
        let short = |v: &str| Text::parse(v, SHORT_TEXT);
        let long = |v: &str| Text::parse(v, LONG_TEXT);

        let first_name = match Text::parse(&name.first, SHORT_TEXT) {
            Ok(t) => Some(t),
            Err(e) => {
                check(name.field, Err(e));
                None
            }
        };
        let last_name = match name.last {
            Some((field, last)) => match Text::parse(&last, SHORT_TEXT) {
                Ok(t) => Some(t),
                Err(e) => {
                    check(field, Err(e));
                    None
                }
            },
            None => None,
        };
        let phone = field!("phone", Phone::parse);
        let second_phone = field!("second_phone", Phone::parse);
        let smsok = field!("smsok", Flag::parse);
        let email = field!("email", Email::parse);
        let address = field!("address", short);
        let city = field!("city", short);
        let comp_name = field!("compName", short);
        let job_title = field!("job_title", short);
        let education = field!("education", short);
        let occupation = field!("occupation", short);
        let twitter = field!("twitter", short);
        let client_category = field!("client_category", short);
        let assigned_user_id = field!("assigned_user_id", short);
        let whiteboard = field!("whiteboard", long);
        let notes = field!("notes", long);
        let state = field!("state", UsCaState::parse);
        let zip = field!("zip", Zip::parse);
        let mut tags = TagList::default();
        for raw in self.reserved.get("tag").into_iter().flatten() {
            if let Err(e) = tags.push_list(raw) {
                check("tag", Err(e));
                break;
            }
        }
        let deal_size = field!("deal_size", WholeNumber::parse);
        let age = field!("age", WholeNumber::parse);
        let high_net_worth = field!("high_net_worth", WholeNumber::parse);
        let household_income = field!("household_income", WholeNumber::parse);
        let length_of_residence = field!("length_of_residence", WholeNumber::parse);
        let market_value = field!("market_value", WholeNumber::parse);
        let deal_closed = field!("deal_closed", Flag::parse);
        let presence_of_children = field!("presence_of_children", Flag::parse);
        let presence_of_pets = field!("presence_of_pets", Flag::parse);
        let gender = field!("gender", Gender::parse);
        let home_owner_status = field!("home_owner_status", HomeOwnerStatus::parse);
        let material_status = field!("material_status", MaritalStatus::parse);
        let anniversary_1 = field!("anniversary_1", YmdDate::parse);
        let anniversary_2 = field!("anniversary_2", YmdDate::parse);
        let clients_date_last = field!("clients_date_last", YmdDate::parse);
        let clients_date_next = field!("clients_date_next", YmdDate::parse);
        let facebook = field!("facebook", ProfileId::parse);
        let linkedin = field!("linkedin", ProfileId::parse);
        let new_lead_notification = field!("new_lead_notification", NewLeadNotification::parse);
        let contact_type = field!("contact_type", ContactType::parse);
        let success_url = match self.url("OnSuccessURL").map(RedirectUrl::parse) {
            None => None,
            Some(Ok(url)) => Some(url),
            Some(Err(e)) => {
                check("OnSuccessURL", Err(e));
                None
            }
        };
        let custom = self.expansion_fields(&mut problems);

        match first_name {
            Some(first_name) if problems.is_empty() => Ok(ValidLead {
                client: NewClient {
                    first_name,
                    last_name,
                    phone,
                    second_phone,
                    smsok,
                    email,
                    address,
                    city,
                    state,
                    zip,
                    comp_name,
                    tags,
                    job_title,
                    deal_size,
                    deal_closed,
                    age,
                    education,
                    gender,
                    high_net_worth,
                    home_owner_status,
                    household_income,
                    length_of_residence,
                    market_value,
                    material_status,
                    occupation,
                    presence_of_children,
                    presence_of_pets,
                    anniversary_1,
                    anniversary_2,
                    facebook,
                    linkedin,
                    twitter,
                    client_category,
                    whiteboard,
                    clients_date_last,
                    clients_date_next,
                    new_lead_notification: new_lead_notification.unwrap_or_default(),
                    contact_type: contact_type.unwrap_or_default(),
                    assigned_user_id,
                    notes,
                    custom,
                },
                success_url,
            }),
            _ => Err(problems),
        }
    }

    /// Expansion fields: names cleaned and checked, values joined, stripped and cut.
    fn expansion_fields(&self, problems: &mut Vec<FieldProblem>) -> Vec<(String, String)> {
        let mut custom: Vec<(String, String)> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        for nested in &self.posted.nested {
            if RESERVED.contains(&nested.as_str()) {
                problems.insert(
                    0,
                    FieldProblem::new(
                        nested,
                        FieldError("must be a single value, not an object".into()),
                    ),
                );
            } else {
                problems.push(FieldProblem::new(
                    nested,
                    FieldError("must be a single value, not an object".into()),
                ));
            }
        }
        for (raw_name, values) in &self.expansion {
            let name = strip_html(raw_name);
            if RESERVED.contains(&raw_name.trim()) {
                problems.push(FieldProblem::new(
                    *raw_name,
                    FieldError("is a reserved field name with spaces around it".into()),
                ));
                continue;
            }
            if name.is_empty() || char_len(&name) > EXPANSION_MAX {
                problems.push(FieldProblem::new(
                    *raw_name,
                    FieldError("an expansion field name must be 1 to 100 characters".into()),
                ));
                continue;
            }
            let cleaned: Vec<String> = values
                .iter()
                .map(|v| strip_html(v))
                .filter(|v| !v.is_empty())
                .collect();
            if cleaned.is_empty() {
                continue;
            }
            let joined = cleaned.join(", ");
            let value = truncate_chars(&joined, EXPANSION_MAX)
                .trim_end()
                .to_string();
            match index.get(&name) {
                // Two posted names that clean to the same name are one field.
                Some(&i) => {
                    let merged = format!("{}, {}", custom[i].1, value);
                    custom[i].1 = truncate_chars(&merged, EXPANSION_MAX)
                        .trim_end()
                        .to_string();
                }
                None => {
                    index.insert(name.clone(), custom.len());
                    custom.push((name, value));
                }
            }
        }
        if custom.len() > EXPANSION_FIELDS_MAX {
            problems.push(FieldProblem::new(
                "expansion",
                FieldError(format!(
                    "at most {EXPANSION_FIELDS_MAX} expansion fields may be posted at once"
                )),
            ));
        }
        custom
    }

    /// A hash of every posted field and value, order ignored: equal for a double submit.
    pub fn fingerprint(&self) -> String {
        // Control fields change between two clicks of one form (fill time, tokens).
        let mut pairs: Vec<&(String, String)> = self
            .posted
            .pairs
            .iter()
            .filter(|(name, _)| !is_control_field(name))
            .collect();
        pairs.sort();
        let mut hasher = Sha256::new();
        for (name, value) in pairs {
            for part in [name, value] {
                hasher.update((part.len() as u64).to_be_bytes());
                hasher.update(part.as_bytes());
            }
        }
        for nested in &self.posted.nested {
            hasher.update(nested.as_bytes());
        }
        let digest = hasher.finalize();
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn posted(list: &[(&str, &str)]) -> PostedPairs {
        PostedPairs {
            pairs: list
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            nested: Vec::new(),
        }
    }

    fn lead(list: &[(&str, &str)]) -> Result<ValidLead, Vec<FieldProblem>> {
        let p = posted(list);
        let form = Form::new(&p);
        let name = form.name().expect("a name");
        form.lead(name)
    }

    #[test]
    fn name_splits_at_the_first_run_of_whitespace() {
        let ok = lead(&[("name", "  Mary   Ann  de Vries ")]).expect("valid");
        assert_eq!(ok.client.first_name.as_str(), "Mary");
        assert_eq!(
            ok.client.last_name.as_ref().map(|l| l.as_str()),
            Some("Ann  de Vries")
        );
    }

    #[test]
    fn name_overrides_first_and_last_name() {
        let ok = lead(&[("firstName", "A"), ("lastName", "B"), ("name", "Cher")]).expect("valid");
        assert_eq!(ok.client.first_name.as_str(), "Cher");
        assert!(ok.client.last_name.is_none());
    }

    #[test]
    fn first_name_alone_is_not_a_name() {
        let p = posted(&[("firstName", "Ann"), ("lastName", "")]);
        assert!(Form::new(&p).name().is_none());
    }

    #[test]
    fn html_only_name_is_absent() {
        let p = posted(&[("name", "<b></b>")]);
        assert!(Form::new(&p).name().is_none());
    }

    #[test]
    fn the_last_value_wins_then_empty_means_absent() {
        let ok = lead(&[("name", "Ann"), ("phone", "8015551234"), ("phone", "")]).expect("valid");
        assert!(ok.client.phone.is_none());
    }

    #[test]
    fn problems_come_in_design_order_with_expansions_last() {
        let problems = lead(&[
            ("Color ", "x"),
            ("zip", "1"),
            ("name", "Ann"),
            ("phone", "12"),
            (" phone", "x"),
        ])
        .expect_err("invalid");
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, vec!["phone", "zip", " phone"]);
    }

    #[test]
    fn repeated_expansion_values_join_skipping_empty_ones() {
        let ok = lead(&[
            ("name", "Ann"),
            ("Color", "red"),
            ("Color", ""),
            ("Color", "<i>blue</i>"),
        ])
        .expect("valid");
        assert_eq!(
            ok.client.custom,
            vec![("Color".to_string(), "red, blue".to_string())]
        );
    }

    #[test]
    fn expansion_values_are_cut_to_100_characters() {
        let long = "é".repeat(150);
        let ok = lead(&[("name", "Ann"), ("Bio", &long)]).expect("valid");
        assert_eq!(char_len(&ok.client.custom[0].1), 100);
    }

    #[test]
    fn more_than_100_expansion_fields_is_an_error_named_expansion() {
        let names: Vec<String> = (0..101).map(|i| format!("f{i}")).collect();
        let mut list: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "v")).collect();
        list.push(("name", "Ann"));
        let problems = lead(&list).expect_err("invalid");
        assert_eq!(problems[0].field, "expansion");
    }

    #[test]
    fn fingerprint_ignores_order_but_not_values() {
        let a = posted(&[("name", "Ann"), ("web_key", "k")]);
        let b = posted(&[("web_key", "k"), ("name", "Ann")]);
        let c = posted(&[("web_key", "k"), ("name", "Ann ")]);
        assert_eq!(Form::new(&a).fingerprint(), Form::new(&b).fingerprint());
        assert_ne!(Form::new(&a).fingerprint(), Form::new(&c).fingerprint());
    }
}
