//! A lead source's email parsers: which messages a parser takes (a glob over the sender's address,
//! a regular expression searched in the subject) and the bookend terms that pull the lead's fields out
//! of the message's text. A [`ParserSpec`] is what an owner writes; [`Parser::compile`] checks it
//! once, naming every field at fault, and the compiled [`Parser`] matches and extracts.

use globset::{GlobBuilder, GlobMatcher};
use regex::{Regex, RegexBuilder};
use serde::{Deserialize, Serialize};

use super::message::InboundMessage;
use super::terms::Term;
use crate::fields::char_len;

/// Longest parser name.
pub const NAME_MAX_CHARS: usize = 255;
/// Most terms in one parser.
pub const TERMS_MAX: usize = 100;
/// Longest bookend (`start` or `end`) and longest `from` / `subject` pattern.
pub const PATTERN_MAX_CHARS: usize = 1_000;
/// Compiled size limit of a subject expression, so an owner's pattern cannot eat the memory.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// A parser as an owner writes it (and as it is stored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParserSpec {
    pub name: String,
    /// Place in the lead source's list: a whole number, 0 first. `None` on create means "last".
    #[serde(default)]
    pub position: Option<i64>,
    #[serde(default, rename = "match")]
    pub matching: MatchSpec,
    pub terms: Vec<TermSpec>,
}

/// Which messages a parser takes; an absent rule takes any message.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchSpec {
    /// A glob over the sender's address, any case (`*@leads.example`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// A regular expression searched anywhere in the subject (case-sensitive unless `(?i)`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
}

/// One bookend pair: the value is the text after the first `start`, up to `end` or the line's end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TermSpec {
    pub term: String,
    pub start: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
}

/// One thing wrong with a parser, naming the field (`terms[2].start`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParserProblem {
    pub field: String,
    pub reason: String,
}

impl ParserProblem {
    fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// A checked parser, ready to match and extract.
#[derive(Debug, Clone)]
pub struct Parser {
    pub name: String,
    pub position: Option<i64>,
    from: Option<(String, GlobMatcher)>,
    subject: Option<Regex>,
    terms: Vec<Bookends>,
}

/// A checked term with its bookends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bookends {
    pub term: Term,
    pub start: String,
    pub end: Option<String>,
}

impl Parser {
    /// Check every part of `spec`; all problems are reported, each naming its field.
    pub fn compile(spec: &ParserSpec) -> Result<Parser, Vec<ParserProblem>> {
        let mut problems = Vec::new();
        let mut note =
            |field: String, reason: String| problems.push(ParserProblem::new(field, reason));

        let name = spec.name.trim().to_string();
        if name.is_empty() || char_len(&name) > NAME_MAX_CHARS {
            note(
                "name".into(),
                format!("must be 1 to {NAME_MAX_CHARS} characters"),
            );
        }
        if spec.position.is_some_and(|p| p < 0) {
            note(
                "position".into(),
                "must be a whole number, 0 or more".into(),
            );
        }
        let from = non_empty(spec.matching.from.as_deref()).and_then(|glob| {
            compile_glob(glob)
                .map(|m| (glob.to_string(), m))
                .map_err(|reason| note("match.from".into(), reason))
                .ok()
        });
        let subject = non_empty(spec.matching.subject.as_deref()).and_then(|re| {
            compile_regex(re)
                .map_err(|reason| note("match.subject".into(), reason))
                .ok()
        });
        if spec.terms.is_empty() {
            note("terms".into(), "must list at least one term".into());
        } else if spec.terms.len() > TERMS_MAX {
            note(
                "terms".into(),
                format!("must list at most {TERMS_MAX} terms"),
            );
        }
        let terms: Vec<Bookends> = spec
            .terms
            .iter()
            .enumerate()
            .filter_map(|(i, t)| {
                Bookends::check(t)
                    .map_err(|(field, reason)| note(format!("terms[{i}].{field}"), reason))
                    .ok()
            })
            .collect();

        if problems.is_empty() {
            Ok(Parser {
                name,
                position: spec.position,
                from,
                subject,
                terms,
            })
        } else {
            Err(problems)
        }
    }

    /// The spec this parser was compiled from (normalised: name trimmed, terms spelled canonically).
    pub fn spec(&self) -> ParserSpec {
        ParserSpec {
            name: self.name.clone(),
            position: self.position,
            matching: MatchSpec {
                from: self.from.as_ref().map(|(glob, _)| glob.clone()),
                subject: self.subject.as_ref().map(|re| re.as_str().to_string()),
            },
            terms: self
                .terms
                .iter()
                .map(|b| TermSpec {
                    term: b.term.to_string(),
                    start: b.start.clone(),
                    end: b.end.clone(),
                })
                .collect(),
        }
    }

    /// Whether this parser takes `message`: every rule it has must hold. A `from` rule never takes a
    /// message without a sender address.
    pub fn matches(&self, message: &InboundMessage) -> bool {
        let from_ok = self.from.as_ref().is_none_or(|(_, glob)| {
            message
                .from
                .as_deref()
                .is_some_and(|addr| glob.is_match(addr.trim()))
        });
        let subject_ok = self
            .subject
            .as_ref()
            .is_none_or(|re| re.is_match(&message.subject));
        from_ok && subject_ok
    }

    /// The form fields the terms find in `text`, in term order; a term whose start is absent or
    /// whose value is empty gives nothing.
    pub fn extract(&self, text: &str) -> Vec<(String, String)> {
        self.terms
            .iter()
            .filter_map(|b| b.value_in(text).map(|v| b.term.fields(v)))
            .flatten()
            .collect()
    }
}

/// The first parser (in the order given, which is the lead source's order) that takes `message`.
pub fn first_match<'a>(parsers: &'a [Parser], message: &InboundMessage) -> Option<&'a Parser> {
    parsers.iter().find(|p| p.matches(message))
}

impl Bookends {
    /// Check one term; an error names the sub-field (`term`, `start`, `end`) and why.
    fn check(spec: &TermSpec) -> Result<Bookends, (&'static str, String)> {
        let term = Term::parse(&spec.term).map_err(|e| ("term", e.0))?;
        if spec.start.trim().is_empty() {
            return Err(("start", "must not be empty".into()));
        }
        if char_len(&spec.start) > PATTERN_MAX_CHARS {
            return Err(("start", too_long()));
        }
        let end = non_empty(spec.end.as_deref()).map(str::to_string);
        if end
            .as_deref()
            .is_some_and(|e| char_len(e) > PATTERN_MAX_CHARS)
        {
            return Err(("end", too_long()));
        }
        Ok(Bookends {
            term,
            start: spec.start.clone(),
            end,
        })
    }

    /// The text after the first `start`, up to `end` (or, when `end` is not given or not found, the
    /// end of that line), trimmed; `None` when `start` is absent or the value is empty.
    pub fn value_in<'t>(&self, text: &'t str) -> Option<&'t str> {
        let at = text.find(&self.start)? + self.start.len();
        let rest = &text[at..];
        let line_end = rest.find(['\n', '\r']).unwrap_or(rest.len());
        let stop = self
            .end
            .as_deref()
            .and_then(|end| rest.find(end))
            .unwrap_or(line_end);
        Some(rest[..stop].trim()).filter(|v| !v.is_empty())
    }
}

fn too_long() -> String {
    format!("must be at most {PATTERN_MAX_CHARS} characters")
}

/// A value that is empty once trimmed is absent.
fn non_empty(value: Option<&str>) -> Option<&str> {
    value.filter(|v| !v.trim().is_empty())
}

fn compile_glob(glob: &str) -> Result<GlobMatcher, String> {
    if char_len(glob) > PATTERN_MAX_CHARS {
        return Err(too_long());
    }
    GlobBuilder::new(glob.trim())
        .case_insensitive(true)
        .literal_separator(false)
        .build()
        .map(|g| g.compile_matcher())
        .map_err(|e| format!("is not a valid glob: {}", e.kind()))
}

fn compile_regex(re: &str) -> Result<Regex, String> {
    if char_len(re) > PATTERN_MAX_CHARS {
        return Err(too_long());
    }
    RegexBuilder::new(re)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| format!("is not a valid regular expression: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inbound::pairs as fields;

    fn term(term: &str, start: &str, end: Option<&str>) -> TermSpec {
        TermSpec {
            term: term.into(),
            start: start.into(),
            end: end.map(str::to_string),
        }
    }

    fn spec(from: Option<&str>, subject: Option<&str>, terms: Vec<TermSpec>) -> ParserSpec {
        ParserSpec {
            name: "Vendor A".into(),
            position: Some(0),
            matching: MatchSpec {
                from: from.map(str::to_string),
                subject: subject.map(str::to_string),
            },
            terms,
        }
    }

    fn compiled(terms: Vec<TermSpec>) -> Parser {
        Parser::compile(&spec(None, None, terms)).expect("a valid parser")
    }

    fn message(from: Option<&str>, subject: &str) -> InboundMessage {
        InboundMessage {
            from: from.map(str::to_string),
            subject: subject.into(),
            ..Default::default()
        }
    }

    fn problem_fields(spec: &ParserSpec) -> Vec<String> {
        Parser::compile(spec)
            .expect_err("invalid")
            .into_iter()
            .map(|p| p.field)
            .collect()
    }

    #[test]
    fn a_valid_spec_compiles_and_reads_back_normalised() {
        let mut s = spec(
            Some("*@vendor.example"),
            Some("(?i)new lead"),
            vec![
                term("home phone", "Phone:", None),
                term("Custom:  Budget ", "Budget:", Some("")),
            ],
        );
        s.name = "  Vendor A ".into();
        let parser = Parser::compile(&s).expect("valid");
        let back = parser.spec();
        assert_eq!(back.name, "Vendor A");
        assert_eq!(back.terms[0].term, "Home Phone");
        assert_eq!(back.terms[1].term, "Custom: Budget");
        assert_eq!(back.terms[1].end, None);
        assert_eq!(back.matching, s.matching);
    }

    #[test]
    fn spec_reads_the_documented_json_shape() {
        let s: ParserSpec = serde_json::from_str(
            r#"{"name":"A","match":{"from":"*@x.example"},"terms":[{"term":"Name","start":"Name:"}]}"#,
        )
        .expect("json");
        assert_eq!(s.position, None);
        assert_eq!(s.matching.from.as_deref(), Some("*@x.example"));
        assert!(Parser::compile(&s).is_ok());
    }

    #[test]
    fn every_problem_is_reported_naming_its_field() {
        let mut s = spec(
            Some("[unclosed"),
            Some("(unclosed"),
            vec![
                term("Name", "Name:", None),
                term("Fax", "Fax:", None),
                term("Email", " ", None),
                term("Custom: _lp_t", "x", None),
            ],
        );
        s.name = " ".into();
        s.position = Some(-1);
        assert_eq!(
            problem_fields(&s),
            [
                "name",
                "position",
                "match.from",
                "match.subject",
                "terms[1].term",
                "terms[2].start",
                "terms[3].term"
            ]
        );
    }

    #[test]
    fn a_parser_needs_at_least_one_term() {
        assert_eq!(problem_fields(&spec(None, None, vec![])), ["terms"]);
    }

    #[test]
    fn too_many_terms_are_refused() {
        let terms = vec![term("Notes", "N:", None); TERMS_MAX + 1];
        assert_eq!(problem_fields(&spec(None, None, terms)), ["terms"]);
    }

    #[test]
    fn a_parser_without_rules_takes_every_message() {
        let p = compiled(vec![term("Name", "Name:", None)]);
        assert!(p.matches(&message(None, "")));
    }

    #[test]
    fn from_glob_matches_the_address_in_any_case() {
        let p = Parser::compile(&spec(
            Some("*@Leads.Vendor.example"),
            None,
            vec![term("Name", "N:", None)],
        ))
        .expect("valid");
        assert!(p.matches(&message(Some("Bot@leads.vendor.EXAMPLE"), "x")));
        assert!(!p.matches(&message(Some("bot@other.example"), "x")));
        assert!(!p.matches(&message(None, "x")));
    }

    #[test]
    fn subject_regex_is_searched_anywhere_and_case_sensitive() {
        let p = Parser::compile(&spec(
            None,
            Some("New Lead"),
            vec![term("Name", "N:", None)],
        ))
        .expect("valid");
        assert!(p.matches(&message(None, "Fwd: New Lead from site")));
        assert!(!p.matches(&message(None, "new lead")));
        let p = Parser::compile(&spec(
            None,
            Some("(?i)new lead"),
            vec![term("Name", "N:", None)],
        ))
        .expect("valid");
        assert!(p.matches(&message(None, "NEW LEAD")));
    }

    #[test]
    fn both_rules_must_hold() {
        let p = Parser::compile(&spec(
            Some("*@a.example"),
            Some("^Lead"),
            vec![term("Name", "N:", None)],
        ))
        .expect("valid");
        assert!(p.matches(&message(Some("x@a.example"), "Lead 1")));
        assert!(!p.matches(&message(Some("x@a.example"), "Re: Lead 1")));
        assert!(!p.matches(&message(Some("x@b.example"), "Lead 1")));
    }

    #[test]
    fn first_match_goes_in_list_order() {
        let a =
            Parser::compile(&spec(None, Some("Lead"), vec![term("Name", "N:", None)])).expect("a");
        let mut b_spec = spec(None, None, vec![term("Name", "N:", None)]);
        b_spec.name = "catch-all".into();
        let b = Parser::compile(&b_spec).expect("b");
        let list = [a, b];
        assert_eq!(
            first_match(&list, &message(None, "Lead")).map(|p| p.name.as_str()),
            Some("Vendor A")
        );
        assert_eq!(
            first_match(&list, &message(None, "Other")).map(|p| p.name.as_str()),
            Some("catch-all")
        );
    }

    #[test]
    fn value_runs_to_the_end_of_the_line_and_is_trimmed() {
        let p = compiled(vec![term("Name", "Name:", None)]);
        assert_eq!(
            p.extract("Hello\nName:   John Smith  \r\nPhone: 1\n"),
            fields(&[("name", "John Smith")])
        );
    }

    #[test]
    fn value_runs_up_to_the_end_bookend() {
        let p = compiled(vec![term("Notes", "Comments:", Some("--- end"))]);
        assert_eq!(
            p.extract("Comments: line one\nline two\n--- end\nfooter"),
            fields(&[("notes", "line one\nline two")])
        );
    }

    #[test]
    fn end_bookend_not_found_falls_back_to_the_end_of_the_line() {
        let p = compiled(vec![term("City", "City:", Some("|"))]);
        assert_eq!(
            p.extract("City: Provo\nState: UT"),
            fields(&[("city", "Provo")])
        );
    }

    #[test]
    fn only_the_first_start_counts() {
        let p = compiled(vec![term("Email", "Email:", None)]);
        assert_eq!(
            p.extract("Email: first@a.example\nEmail: second@a.example"),
            fields(&[("email", "first@a.example")])
        );
    }

    #[test]
    fn absent_start_or_empty_value_gives_nothing() {
        let p = compiled(vec![
            term("Company", "Company:", None),
            term("Title", "Title:", None),
        ]);
        assert!(p.extract("Title:   \nName: x").is_empty());
    }

    #[test]
    fn start_and_end_on_one_line() {
        let p = compiled(vec![
            term("First Name", "First:", Some("Last:")),
            term("Last Name", "Last:", None),
        ]);
        assert_eq!(
            p.extract("First: Ann Last: Lee"),
            fields(&[("firstName", "Ann"), ("lastName", "Lee")])
        );
    }

    #[test]
    fn extract_maps_every_term_to_form_fields() {
        let p = compiled(vec![
            term("Name", "Name:", None),
            term("Phone", "Phone:", None),
            term("Home Phone", "Home:", None),
            term("Full State", "State:", None),
            term("Comma Separated Address", "Address:", None),
            term("Tag", "Tag:", None),
            term("Custom: Project Type", "Project:", None),
        ]);
        let text = "Name: Ann Lee\nPhone: (801) 555-1234\nHome: 1 801 555 9999\nState: Utah\n\
                    Address: 1 Main St, Provo, UT 84601\nTag: roofing\nProject: Roof repair\n";
        assert_eq!(
            p.extract(text),
            fields(&[
                ("name", "Ann Lee"),
                ("phone", "8015551234"),
                ("second_phone", "8015559999"),
                ("state", "UT"),
                ("address", "1 Main St"),
                ("city", "Provo"),
                ("state", "UT"),
                ("zip", "84601"),
                ("tag", "roofing"),
                ("Project Type", "Roof repair"),
            ])
        );
    }

    #[test]
    fn extraction_never_panics_on_multibyte_text() {
        let p = compiled(vec![term("Name", "Nom:", Some("é"))]);
        assert_eq!(p.extract("Nom: Renée Dupont"), fields(&[("name", "Ren")]));
        assert!(p.extract("Nom:").is_empty());
    }
}
