//! The posted fields, checked in the order of docs/endpoint.md: `OnErrorURL`, then
//! `web_key`, then the name, then every other field into a [`NewClient`].

use std::collections::HashMap;

use sha2::{Digest, Sha256};

use super::body::PostedPairs;
use crate::clients::catalog::{CLIENT_FIELDS, Kind};
use crate::clients::{LeadRules, NewClient};
use crate::fields::{FieldError, FieldProblem, RedirectUrl, char_len, strip_html, truncate_chars};
use crate::spam::is_control_field;

/// Posted names that are not client fields: checked before (`web_key`, `name`) or
/// after (the redirect URLs) the client fields of the catalog.
const LEAD_FIELDS_BEFORE: [&str; 2] = ["web_key", "name"];
const LEAD_FIELDS_AFTER: [&str; 2] = ["OnSuccessURL", "OnErrorURL"];

/// Every reserved field name, in the order its problems are reported.
pub fn reserved_names() -> impl Iterator<Item = &'static str> {
    LEAD_FIELDS_BEFORE
        .into_iter()
        .chain(CLIENT_FIELDS.iter().map(|f| f.form))
        .chain(LEAD_FIELDS_AFTER)
}

/// Whether `name` is a reserved field name (a client field or one of the four above).
pub fn is_reserved(name: &str) -> bool {
    reserved_name(name).is_some()
}

/// The reserved name equal to `name`, with a static lifetime.
fn reserved_name(name: &str) -> Option<&'static str> {
    reserved_names().find(|r| *r == name)
}

/// Longest expansion field name and value.
const EXPANSION_MAX: usize = 100;
/// Most expansion fields in one post.
const EXPANSION_FIELDS_MAX: usize = 100;
/// Longest value (in characters) HTML is stripped from. No field allows more, so a longer
/// value is refused by its length unparsed: markup parsing cost grows faster than the input.
pub const STRIP_INPUT_MAX: usize = crate::clients::catalog::LONG_TEXT;
/// Longest web_key looked at; no key is longer (keys are URL-safe and at most 255 characters).
pub const WEB_KEY_MAX: usize = 255;

/// `raw` HTML-stripped and trimmed, or an error when it is over `max` characters
/// (then it is not parsed at all).
fn bounded_strip(raw: &str, max: usize) -> Result<String, FieldError> {
    let raw = raw.trim();
    // A cheap byte test first: a char is at most 4 bytes.
    if raw.len() > max && (raw.len() > max * 4 || char_len(raw) > max) {
        return Err(FieldError(format!("must be at most {max} characters")));
    }
    Ok(strip_html(raw))
}

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
    first: Result<String, FieldError>,
    last: Option<(&'static str, Result<String, FieldError>)>,
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
            if let Some(known) = reserved_name(name) {
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

    /// The last value given, HTML-stripped and trimmed; empty counts as absent. A value
    /// over `max` characters is an error without being stripped.
    fn text_within(&self, field: &'static str, max: usize) -> Option<Result<String, FieldError>> {
        let raw = self.reserved.get(field)?.last()?;
        match bounded_strip(raw, max) {
            Ok(v) if v.is_empty() => None,
            result => Some(result),
        }
    }

    /// [`Self::text_within`] the longest any field allows.
    fn text(&self, field: &'static str) -> Option<Result<String, FieldError>> {
        self.text_within(field, STRIP_INPUT_MAX)
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

    /// Step 3: the web_key, if one was posted; `Err` when it is longer than any key.
    pub fn web_key(&self) -> Option<Result<String, FieldError>> {
        self.text_within("web_key", WEB_KEY_MAX)
    }

    /// Step 4: `name` (split at its first run of whitespace), else both `firstName` and `lastName`.
    pub fn name(&self) -> Option<Name> {
        if let Some(full) = self.text("name") {
            let Ok(full) = full else {
                return Some(Name {
                    field: "name",
                    first: full,
                    last: None,
                });
            };
            let mut parts = full.splitn(2, char::is_whitespace);
            let first = parts.next().unwrap_or_default().to_string();
            let last = parts
                .next()
                .map(|rest| rest.trim().to_string())
                .filter(|rest| !rest.is_empty());
            return Some(Name {
                field: "name",
                first: Ok(first),
                last: last.map(|l| ("name", Ok(l))),
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

    /// Step 5 under the default rules (strict phones, no notification unless posted).
    pub fn lead(&self, name: Name) -> Result<ValidLead, Vec<FieldProblem>> {
        self.lead_with(name, &LeadRules::default())
    }

    /// Step 5: every other field, all problems in the order of the client field catalog,
    /// expansions last, under the account's [`LeadRules`].
    pub fn lead_with(&self, name: Name, rules: &LeadRules) -> Result<ValidLead, Vec<FieldProblem>> {
        let mut problems = Vec::new();
        let mut client = NewClient::default();
        let mut name_parts = [Some((name.field, name.first)), name.last].into_iter();
        for (index, field) in CLIENT_FIELDS.iter().enumerate() {
            let (problem_field, value) = match field.kind {
                Kind::Tags => {
                    for raw in self.reserved.get(field.form).into_iter().flatten() {
                        if let Err(e) = client.tags.push_list(raw) {
                            problems.push(FieldProblem::new(field.form, e));
                            break;
                        }
                    }
                    continue;
                }
                Kind::Name => match name_parts.next().flatten() {
                    Some((posted_as, value)) => (posted_as, Some(value)),
                    None => continue,
                },
                _ => (field.form, self.text(field.form)),
            };
            match value.map(|v| v.and_then(|v| field.parse_with(&v, rules))) {
                Some(Ok(value)) => client.fields.set(index, Some(value)),
                Some(Err(e)) => problems.push(FieldProblem::new(problem_field, e)),
                None => client.fields.set(index, field.default_with(rules)),
            }
        }
        let success_url = match self.url("OnSuccessURL").map(RedirectUrl::parse) {
            None => None,
            Some(Ok(url)) => Some(url),
            Some(Err(e)) => {
                problems.push(FieldProblem::new("OnSuccessURL", e));
                None
            }
        };
        client.custom = self.expansion_fields(&mut problems);
        if problems.is_empty() && client.fields.text("firstName").is_some() {
            Ok(ValidLead {
                client,
                success_url,
            })
        } else {
            Err(problems)
        }
    }

    /// Expansion fields: names cleaned and checked, values joined, stripped and cut.
    fn expansion_fields(&self, problems: &mut Vec<FieldProblem>) -> Vec<(String, String)> {
        let mut custom: Vec<(String, String)> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        for nested in &self.posted.nested {
            if is_reserved(nested) {
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
            let name = bounded_strip(raw_name, STRIP_INPUT_MAX).unwrap_or_default();
            // `<b>phone</b>` is `phone` once stripped: never an unchecked custom field.
            if is_reserved(raw_name.trim()) || is_reserved(&name) {
                problems.push(FieldProblem::new(
                    *raw_name,
                    FieldError("is a reserved field name with spaces or markup around it".into()),
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
            let cleaned: Result<Vec<String>, FieldError> = values
                .iter()
                .map(|v| bounded_strip(v, STRIP_INPUT_MAX))
                .filter(|v| !v.as_ref().is_ok_and(String::is_empty))
                .collect();
            let cleaned = match cleaned {
                Ok(cleaned) => cleaned,
                Err(e) => {
                    problems.push(FieldProblem::new(*raw_name, e));
                    continue;
                }
            };
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
        assert_eq!(ok.client.fields.first_name(), "Mary");
        assert_eq!(ok.client.fields.last_name(), Some("Ann  de Vries"));
    }

    #[test]
    fn name_overrides_first_and_last_name() {
        let ok = lead(&[("firstName", "A"), ("lastName", "B"), ("name", "Cher")]).expect("valid");
        assert_eq!(ok.client.fields.first_name(), "Cher");
        assert!(ok.client.fields.last_name().is_none());
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
        assert!(ok.client.fields.phone().is_none());
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
    fn a_reserved_name_in_markup_is_refused() {
        let problems =
            lead(&[("name", "Ann"), ("<b>phone</b>", "not-a-phone")]).expect_err("invalid");
        assert_eq!(problems[0].field, "<b>phone</b>");
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
