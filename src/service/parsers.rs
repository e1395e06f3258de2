//! A lead source's email parsers: list, create, read, replace, delete (each checked once with every
//! problem named), and the test that shows what a message would give without storing anything.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::ServiceError;
use crate::fields::FieldProblem;
use crate::inbound::ignore::{always_ignored, ignored_when_unmatched};
use crate::inbound::parser::{MatchSpec, TermSpec, first_match};
use crate::inbound::{InboundMessage, Parser, ParserSpec};
use crate::store::{Store, StoredParser};

/// Longest raw message `parsers/test` reads.
const TEST_RAW_MAX_BYTES: usize = 1024 * 1024;

/// A parser as written: `POST .../parsers` and `PUT .../parsers/{pid}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ParserInput {
    pub name: String,
    /// Whole number ≥ 0. On create, none puts the parser last; on PUT, none keeps its place.
    #[serde(default)]
    pub position: Option<i64>,
    /// `{from?, subject?}`: a glob over the sender's address, a regular expression over the subject.
    #[serde(default, rename = "match")]
    #[schema(value_type = Object)]
    pub matching: MatchSpec,
    /// `[{term, start, end?}]`: the bookends of each field.
    #[schema(value_type = Vec<Object>)]
    pub terms: Vec<TermSpec>,
}

impl ParserInput {
    /// Check every part; all problems at once, each naming its field.
    fn parse(self) -> Result<ParserSpec, ServiceError> {
        let spec = ParserSpec {
            name: self.name,
            position: self.position,
            matching: self.matching,
            terms: self.terms,
        };
        Parser::compile(&spec).map_err(|problems| {
            ServiceError::Invalid(
                problems
                    .into_iter()
                    .map(|p| FieldProblem::new(&p.field, p.reason))
                    .collect(),
            )
        })?;
        Ok(spec)
    }
}

/// A lead source's parsers, in the order they are tried.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ParserList {
    pub parsers: Vec<StoredParser>,
}

/// `POST .../parsers/test`: a raw message (RFC 822).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ParserTest {
    /// The message; one that is only white space is refused.
    #[schema(min_length = 1, pattern = "\\S")]
    pub raw: String,
}

/// What a message would give, nothing stored.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ParserTestResult {
    /// The parser that takes the message, if one does.
    pub parser: Option<String>,
    /// Why the message would be `ignored`, if it would.
    pub ignored: Option<String>,
    /// The form fields the parser finds, as `[name, value]` pairs.
    #[schema(value_type = Vec<Vec<String>>)]
    pub fields: Vec<(String, String)>,
}

/// The lead source's parsers, in order.
pub async fn list(
    store: &dyn Store,
    account_id: Uuid,
    source_id: Uuid,
) -> Result<ParserList, ServiceError> {
    super::lead_sources::get(store, account_id, source_id).await?;
    Ok(ParserList {
        parsers: store.list_parsers(source_id).await?,
    })
}

/// Add a parser (last unless a position is given).
pub async fn create(
    store: &dyn Store,
    account_id: Uuid,
    source_id: Uuid,
    input: ParserInput,
) -> Result<StoredParser, ServiceError> {
    let spec = input.parse()?;
    super::lead_sources::get(store, account_id, source_id).await?;
    let parser = store
        .create_parser(account_id, source_id, &spec)
        .await
        .map_err(|e| ServiceError::from_store(e, "lead source"))?;
    tracing::info!(%account_id, lead_source_id = %source_id, parser_id = %parser.id, "parser created");
    Ok(parser)
}

/// One parser of the lead source.
pub async fn get(
    store: &dyn Store,
    account_id: Uuid,
    source_id: Uuid,
    parser_id: Uuid,
) -> Result<StoredParser, ServiceError> {
    super::lead_sources::get(store, account_id, source_id).await?;
    store
        .get_parser(source_id, parser_id)
        .await
        .map_err(|e| ServiceError::from_store(e, "parser"))
}

/// Replace a parser; without a position it keeps its place.
pub async fn replace(
    store: &dyn Store,
    account_id: Uuid,
    source_id: Uuid,
    parser_id: Uuid,
    input: ParserInput,
) -> Result<StoredParser, ServiceError> {
    let spec = input.parse()?;
    super::lead_sources::get(store, account_id, source_id).await?;
    store
        .replace_parser(source_id, parser_id, &spec)
        .await
        .map_err(|e| ServiceError::from_store(e, "parser"))
}

/// Remove a parser.
pub async fn delete(
    store: &dyn Store,
    account_id: Uuid,
    source_id: Uuid,
    parser_id: Uuid,
) -> Result<(), ServiceError> {
    super::lead_sources::get(store, account_id, source_id).await?;
    store
        .delete_parser(source_id, parser_id)
        .await
        .map_err(|e| ServiceError::from_store(e, "parser"))
}

/// The fields the lead source's parsers would find in a message; nothing is stored.
pub async fn test(
    store: &dyn Store,
    account_id: Uuid,
    source_id: Uuid,
    input: ParserTest,
) -> Result<ParserTestResult, ServiceError> {
    if input.raw.len() > TEST_RAW_MAX_BYTES {
        return Err(ServiceError::field("raw", "must be at most 1 MiB"));
    }
    super::lead_sources::get(store, account_id, source_id).await?;
    let message = InboundMessage::parse(input.raw.as_bytes())
        .map_err(|e| ServiceError::field("raw", e.to_string()))?;
    let stored = store.list_parsers(source_id).await?;
    let parsers: Vec<Parser> = stored
        .iter()
        .filter_map(|p| Parser::compile(&p.spec()).ok())
        .collect();
    if let Some(reason) = always_ignored(&message) {
        return Ok(ParserTestResult {
            parser: None,
            ignored: Some(reason.to_string()),
            fields: Vec::new(),
        });
    }
    Ok(match first_match(&parsers, &message) {
        Some(parser) => ParserTestResult {
            parser: Some(parser.name.clone()),
            ignored: None,
            fields: parser.extract(&message.text),
        },
        None => ParserTestResult {
            parser: None,
            ignored: ignored_when_unmatched(&message).map(|r| r.to_string()),
            fields: Vec::new(),
        },
    })
}
