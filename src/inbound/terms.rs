//! Parser terms (ClientTether's list) and how a term's value becomes form fields: `Name` → `name`,
//! `Home Phone` → `second_phone` with its formatting stripped, `Full State` → a two-letter code,
//! `Comma Separated Address` → `address`, `city`, `state`, `zip`, `Custom: X` → the field `X`.
//! The fields then go through the same rules as a form post; nothing here refuses a value.

use std::fmt;

use crate::fields::{FieldError, char_len};

/// Longest custom field name (the expansion field limit).
pub const CUSTOM_NAME_MAX_CHARS: usize = 100;
/// Prefix of the form's control fields, which a parser may not fill.
pub const CONTROL_FIELD_PREFIX: &str = "_lp_";
/// How a custom term is written: `Custom: <field name>`.
const CUSTOM_PREFIX: &str = "Custom:";

/// What a bookend pair extracts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Term {
    Name,
    FirstName,
    LastName,
    Company,
    Title,
    Phone,
    HomePhone,
    Email,
    Address,
    City,
    State,
    FullState,
    Zip,
    CommaSeparatedAddress,
    Notes,
    Tag,
    /// An expansion field named as given.
    Custom(String),
}

/// Every fixed term with its spelling and the form field it fills (`None`: several or computed).
const FIXED: [(Term, &str, Option<&str>); 16] = [
    (Term::Name, "Name", Some("name")),
    (Term::FirstName, "First Name", Some("firstName")),
    (Term::LastName, "Last Name", Some("lastName")),
    (Term::Company, "Company", Some("compName")),
    (Term::Title, "Title", Some("job_title")),
    (Term::Phone, "Phone", Some("phone")),
    (Term::HomePhone, "Home Phone", Some("second_phone")),
    (Term::Email, "Email", Some("email")),
    (Term::Address, "Address", Some("address")),
    (Term::City, "City", Some("city")),
    (Term::State, "State", Some("state")),
    (Term::FullState, "Full State", Some("state")),
    (Term::Zip, "Zip", Some("zip")),
    (Term::CommaSeparatedAddress, "Comma Separated Address", None),
    (Term::Notes, "Notes", Some("notes")),
    (Term::Tag, "Tag", Some("tag")),
];

impl Term {
    /// Read a term's name: one of the fixed names (any case, spaces trimmed) or `Custom: X` with X
    /// 1 to 100 characters, not a control field.
    pub fn parse(raw: &str) -> Result<Term, FieldError> {
        let raw = raw.trim();
        if let Some(name) = strip_prefix_ignore_case(raw, CUSTOM_PREFIX) {
            return custom(name.trim());
        }
        FIXED
            .iter()
            .find(|(_, spelling, _)| spelling.eq_ignore_ascii_case(raw))
            .map(|(term, _, _)| term.clone())
            .ok_or_else(|| {
                let names: Vec<&str> = FIXED.iter().map(|(_, s, _)| *s).collect();
                FieldError::new(format!(
                    "must be one of {}, or Custom: <field name>",
                    names.join(", ")
                ))
            })
    }

    /// The form fields a value of this term gives, in order (none when the value is empty).
    pub fn fields(&self, value: &str) -> Vec<(String, String)> {
        let value = value.trim();
        if value.is_empty() {
            return Vec::new();
        }
        let one = |field: &str, v: String| vec![(field.to_string(), v)];
        match self {
            Term::Custom(name) => one(name, value.to_string()),
            Term::Phone | Term::HomePhone => one(self.field(), phone_digits(value)),
            Term::FullState => one("state", state_code(value)),
            Term::CommaSeparatedAddress => address_parts(value),
            _ => one(self.field(), value.to_string()),
        }
    }

    /// The single form field this term fills (`Comma Separated Address` fills several: `address`).
    fn field(&self) -> &str {
        match self {
            Term::Custom(name) => name,
            _ => FIXED
                .iter()
                .find(|(term, _, _)| term == self)
                .and_then(|(_, _, field)| *field)
                .unwrap_or("address"),
        }
    }
}

impl fmt::Display for Term {
    /// The canonical spelling, as the parsers' list shows it and `parse` reads it back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Term::Custom(name) => write!(f, "{CUSTOM_PREFIX} {name}"),
            _ => {
                let spelling = FIXED
                    .iter()
                    .find(|(term, _, _)| term == self)
                    .map_or("", |(_, spelling, _)| *spelling);
                f.write_str(spelling)
            }
        }
    }
}

fn custom(name: &str) -> Result<Term, FieldError> {
    let len = char_len(name);
    if len == 0 || len > CUSTOM_NAME_MAX_CHARS {
        Err(FieldError::new(format!(
            "the custom field name must be 1 to {CUSTOM_NAME_MAX_CHARS} characters"
        )))
    } else if name.starts_with(CONTROL_FIELD_PREFIX) {
        Err(FieldError::new(format!(
            "the custom field name may not start with {CONTROL_FIELD_PREFIX}"
        )))
    } else {
        Ok(Term::Custom(name.to_string()))
    }
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// Phone formatting (spaces, `(`, `)`, `-`, `.`, `+`) removed, then a leading country code `1`
/// dropped from eleven digits. Anything else is left for the phone rule to refuse.
pub fn phone_digits(value: &str) -> String {
    let kept: String = value
        .chars()
        .filter(|c| !matches!(c, ' ' | '(' | ')' | '-' | '.' | '+' | '\t'))
        .collect();
    match kept.strip_prefix('1') {
        Some(rest) if kept.len() == 11 && kept.bytes().all(|b| b.is_ascii_digit()) => {
            rest.to_string()
        }
        _ => kept,
    }
}

/// US states, DC and the Canadian provinces and territories by name.
const STATE_NAMES: [(&str, &str); 64] = [
    ("Alabama", "AL"),
    ("Alaska", "AK"),
    ("Arizona", "AZ"),
    ("Arkansas", "AR"),
    ("California", "CA"),
    ("Colorado", "CO"),
    ("Connecticut", "CT"),
    ("Delaware", "DE"),
    ("District of Columbia", "DC"),
    ("Florida", "FL"),
    ("Georgia", "GA"),
    ("Hawaii", "HI"),
    ("Idaho", "ID"),
    ("Illinois", "IL"),
    ("Indiana", "IN"),
    ("Iowa", "IA"),
    ("Kansas", "KS"),
    ("Kentucky", "KY"),
    ("Louisiana", "LA"),
    ("Maine", "ME"),
    ("Maryland", "MD"),
    ("Massachusetts", "MA"),
    ("Michigan", "MI"),
    ("Minnesota", "MN"),
    ("Mississippi", "MS"),
    ("Missouri", "MO"),
    ("Montana", "MT"),
    ("Nebraska", "NE"),
    ("Nevada", "NV"),
    ("New Hampshire", "NH"),
    ("New Jersey", "NJ"),
    ("New Mexico", "NM"),
    ("New York", "NY"),
    ("North Carolina", "NC"),
    ("North Dakota", "ND"),
    ("Ohio", "OH"),
    ("Oklahoma", "OK"),
    ("Oregon", "OR"),
    ("Pennsylvania", "PA"),
    ("Rhode Island", "RI"),
    ("South Carolina", "SC"),
    ("South Dakota", "SD"),
    ("Tennessee", "TN"),
    ("Texas", "TX"),
    ("Utah", "UT"),
    ("Vermont", "VT"),
    ("Virginia", "VA"),
    ("Washington", "WA"),
    ("West Virginia", "WV"),
    ("Wisconsin", "WI"),
    ("Wyoming", "WY"),
    ("Alberta", "AB"),
    ("British Columbia", "BC"),
    ("Manitoba", "MB"),
    ("New Brunswick", "NB"),
    ("Newfoundland and Labrador", "NL"),
    ("Nova Scotia", "NS"),
    ("Northwest Territories", "NT"),
    ("Nunavut", "NU"),
    ("Ontario", "ON"),
    ("Prince Edward Island", "PE"),
    ("Quebec", "QC"),
    ("Saskatchewan", "SK"),
    ("Yukon", "YT"),
];

/// A state or province name (any case, inner spaces collapsed, `Québec` and `Washington, D.C.`
/// spellings too) → its code; anything else is returned as given for the state rule to judge.
pub fn state_code(value: &str) -> String {
    let key: String = value
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('é', "e")
        .replace('É', "E");
    let key = match key.to_ascii_lowercase().as_str() {
        "washington dc" | "washington, dc" | "washington d.c." | "washington, d.c." => {
            "District of Columbia".to_string()
        }
        "newfoundland" => "Newfoundland and Labrador".to_string(),
        "yukon territory" => "Yukon".to_string(),
        _ => key,
    };
    STATE_NAMES
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(&key))
        .map_or_else(|| value.to_string(), |(_, code)| code.to_string())
}

/// `street, city, ST 12345` → `address`, `city`, `state`, `zip`. With fewer commas the parts are
/// read from the right: `city, ST 12345`; a last part without a code is the city.
fn address_parts(value: &str) -> Vec<(String, String)> {
    let mut parts: Vec<&str> = value
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    let mut fields = Vec::new();
    let mut push = |name: &str, v: &str| {
        if !v.is_empty() {
            fields.push((name.to_string(), v.to_string()));
        }
    };
    if parts.len() < 2 {
        push("address", value);
        return fields;
    }
    let last = parts.pop().unwrap_or_default();
    let (state, zip) = state_and_zip(last);
    let city = parts.pop().unwrap_or_default();
    push("address", &parts.join(", "));
    push("city", city);
    push("state", &state);
    push("zip", zip);
    fields
}

/// `ST 12345`, `Utah 84101`, `ON K1A 0B1`, `84101`: the state (a name becomes its code) and the zip.
fn state_and_zip(last: &str) -> (String, &str) {
    let starts_zip = |s: &str| s.chars().next().is_some_and(|c| c.is_ascii_digit());
    if starts_zip(last) {
        return (String::new(), last);
    }
    // The zip starts at the first word holding a digit; the words before it name the state.
    let zip_at = last
        .split_whitespace()
        .find(|w| w.chars().any(|c| c.is_ascii_digit()))
        .and_then(|w| last.find(w))
        .unwrap_or(last.len());
    let (state, zip) = last.split_at(zip_at);
    (state_code(state.trim()), zip.trim())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inbound::pairs;

    #[test]
    fn every_fixed_term_reads_back_its_own_spelling() {
        for (term, spelling, _) in FIXED.iter() {
            assert_eq!(Term::parse(spelling).as_ref(), Ok(term));
            assert_eq!(term.to_string(), *spelling);
        }
    }

    #[test]
    fn term_names_match_in_any_case() {
        assert_eq!(Term::parse(" home phone "), Ok(Term::HomePhone));
    }

    #[test]
    fn unknown_term_is_refused_with_the_list() {
        let err = Term::parse("Fax").unwrap_err();
        assert!(err.0.contains("Home Phone"), "{err}");
    }

    #[test]
    fn custom_term_names_its_field() {
        let term = Term::parse("Custom: Favorite Chocolate").expect("valid");
        assert_eq!(term, Term::Custom("Favorite Chocolate".into()));
        assert_eq!(term.to_string(), "Custom: Favorite Chocolate");
        assert_eq!(
            term.fields(" Dark "),
            pairs(&[("Favorite Chocolate", "Dark")])
        );
    }

    #[test]
    fn custom_term_name_must_be_1_to_100_characters() {
        assert!(Term::parse("Custom:   ").is_err());
        assert!(Term::parse(&format!("Custom: {}", "é".repeat(100))).is_ok());
        assert!(Term::parse(&format!("Custom: {}", "é".repeat(101))).is_err());
    }

    #[test]
    fn custom_term_may_not_name_a_control_field() {
        assert!(Term::parse("Custom: _lp_t").is_err());
    }

    #[test]
    fn simple_terms_map_to_their_form_fields() {
        let cases = [
            (Term::Name, "name"),
            (Term::FirstName, "firstName"),
            (Term::LastName, "lastName"),
            (Term::Company, "compName"),
            (Term::Title, "job_title"),
            (Term::Email, "email"),
            (Term::Address, "address"),
            (Term::City, "city"),
            (Term::State, "state"),
            (Term::Zip, "zip"),
            (Term::Notes, "notes"),
            (Term::Tag, "tag"),
        ];
        for (term, field) in cases {
            assert_eq!(term.fields(" v "), pairs(&[(field, "v")]), "{term}");
        }
    }

    #[test]
    fn empty_value_gives_no_field() {
        assert!(Term::Name.fields("   ").is_empty());
    }

    #[test]
    fn phones_lose_formatting_and_a_leading_1() {
        assert_eq!(
            Term::Phone.fields("(801) 555-1234"),
            pairs(&[("phone", "8015551234")])
        );
        assert_eq!(
            Term::HomePhone.fields("+1 801.555.1234"),
            pairs(&[("second_phone", "8015551234")])
        );
        assert_eq!(phone_digits("1-801-555-1234"), "8015551234");
    }

    #[test]
    fn a_phone_that_is_not_a_number_is_left_for_the_rule_to_refuse() {
        assert_eq!(phone_digits("call me"), "callme");
        assert_eq!(phone_digits("555-1234"), "5551234");
    }

    #[test]
    fn full_state_names_become_codes() {
        assert_eq!(
            Term::FullState.fields("new  york"),
            pairs(&[("state", "NY")])
        );
        assert_eq!(state_code("District of Columbia"), "DC");
        assert_eq!(state_code("Washington, D.C."), "DC");
        assert_eq!(state_code("Québec"), "QC");
        assert_eq!(state_code("British Columbia"), "BC");
        assert_eq!(state_code("Atlantis"), "Atlantis");
    }

    #[test]
    fn every_state_name_maps_to_a_valid_code() {
        for (name, code) in STATE_NAMES {
            assert_eq!(state_code(name), code);
            assert!(crate::fields::UsCaState::parse(code).is_ok(), "{code}");
        }
    }

    #[test]
    fn comma_separated_address_fills_four_fields() {
        assert_eq!(
            Term::CommaSeparatedAddress.fields("12 Main St, Apt 4, Salt Lake City, UT 84101"),
            pairs(&[
                ("address", "12 Main St, Apt 4"),
                ("city", "Salt Lake City"),
                ("state", "UT"),
                ("zip", "84101"),
            ])
        );
    }

    #[test]
    fn comma_separated_address_reads_province_names_and_postal_codes() {
        assert_eq!(
            Term::CommaSeparatedAddress.fields("1 Rue X, Ottawa, Ontario K1A 0B1"),
            pairs(&[
                ("address", "1 Rue X"),
                ("city", "Ottawa"),
                ("state", "ON"),
                ("zip", "K1A 0B1"),
            ])
        );
    }

    #[test]
    fn comma_separated_address_with_fewer_parts() {
        assert_eq!(
            Term::CommaSeparatedAddress.fields("Provo, UT"),
            pairs(&[("city", "Provo"), ("state", "UT")])
        );
        assert_eq!(
            Term::CommaSeparatedAddress.fields("12 Main St"),
            pairs(&[("address", "12 Main St")])
        );
    }
}
