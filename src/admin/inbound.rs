//! Leads by email: a lead source's inbound token, its parsers and their test, and the reparse of a
//! kept email.
//!
//! Least role each route needs: parsers GET viewer, parser writes and `rotate-inbound-token` owner,
//! `parsers/test` and reparse member.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;

use super::error::{AdminError, ErrorBody};
use super::extract::{JsonBody, parse_id};
use crate::service::inbound::{self as inbound_service, with_addresses};
use crate::service::parsers::{self, ParserInput, ParserList, ParserTest, ParserTestResult};
use crate::state::AppState;
use crate::store::{LeadSource, StoredParser, Submission};

/// A lead source as read back: with its inbound addresses under this service's settings.
pub fn shown(state: &AppState, source: LeadSource) -> LeadSource {
    with_addresses(source, &state.settings.server, &state.settings.inbound)
}

/// Give a lead source a new inbound token; the old one is refused at once.
#[utoipa::path(post, path = "/admin/v1/accounts/{id}/lead-sources/{source_id}/rotate-inbound-token", tag = "inbound",
    params(("id" = Uuid, Path, description = "Account id"), ("source_id" = Uuid, Path, description = "Lead source id")),
    responses((status = 200, body = LeadSource), (status = 404, body = ErrorBody)))]
pub async fn rotate_inbound_token(
    State(state): State<AppState>,
    Path((id, source_id)): Path<(String, String)>,
) -> Result<Json<LeadSource>, AdminError> {
    let account_id = parse_id(&id, "account")?;
    let source_id = parse_id(&source_id, "lead source")?;
    let source = inbound_service::rotate_token(state.store.as_ref(), account_id, source_id).await?;
    Ok(Json(shown(&state, source)))
}

/// The lead source's parsers, in the order they are tried.
#[utoipa::path(get, path = "/admin/v1/accounts/{id}/lead-sources/{source_id}/parsers", tag = "inbound",
    params(("id" = Uuid, Path, description = "Account id"), ("source_id" = Uuid, Path, description = "Lead source id")),
    responses((status = 200, body = ParserList), (status = 404, body = ErrorBody)))]
pub async fn list_parsers(
    State(state): State<AppState>,
    Path((id, source_id)): Path<(String, String)>,
) -> Result<Json<ParserList>, AdminError> {
    let account_id = parse_id(&id, "account")?;
    let source_id = parse_id(&source_id, "lead source")?;
    Ok(Json(
        parsers::list(state.store.as_ref(), account_id, source_id).await?,
    ))
}

/// Add a parser (last unless `position` is given).
#[utoipa::path(post, path = "/admin/v1/accounts/{id}/lead-sources/{source_id}/parsers", tag = "inbound",
    params(("id" = Uuid, Path, description = "Account id"), ("source_id" = Uuid, Path, description = "Lead source id")),
    request_body = ParserInput,
    responses((status = 201, body = StoredParser), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_parser(
    State(state): State<AppState>,
    Path((id, source_id)): Path<(String, String)>,
    JsonBody(body): JsonBody<ParserInput>,
) -> Result<(StatusCode, Json<StoredParser>), AdminError> {
    let account_id = parse_id(&id, "account")?;
    let source_id = parse_id(&source_id, "lead source")?;
    let parser = parsers::create(state.store.as_ref(), account_id, source_id, body).await?;
    Ok((StatusCode::CREATED, Json(parser)))
}

/// One parser.
#[utoipa::path(get, path = "/admin/v1/accounts/{id}/lead-sources/{source_id}/parsers/{parser_id}", tag = "inbound",
    params(("id" = Uuid, Path, description = "Account id"), ("source_id" = Uuid, Path, description = "Lead source id"),
        ("parser_id" = Uuid, Path, description = "Parser id")),
    responses((status = 200, body = StoredParser), (status = 404, body = ErrorBody)))]
pub async fn get_parser(
    State(state): State<AppState>,
    Path((id, source_id, parser_id)): Path<(String, String, String)>,
) -> Result<Json<StoredParser>, AdminError> {
    let (account_id, source_id, parser_id) = ids(&id, &source_id, &parser_id)?;
    Ok(Json(
        parsers::get(state.store.as_ref(), account_id, source_id, parser_id).await?,
    ))
}

/// Replace a parser; without `position` it keeps its place.
#[utoipa::path(put, path = "/admin/v1/accounts/{id}/lead-sources/{source_id}/parsers/{parser_id}", tag = "inbound",
    params(("id" = Uuid, Path, description = "Account id"), ("source_id" = Uuid, Path, description = "Lead source id"),
        ("parser_id" = Uuid, Path, description = "Parser id")),
    request_body = ParserInput,
    responses((status = 200, body = StoredParser), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn replace_parser(
    State(state): State<AppState>,
    Path((id, source_id, parser_id)): Path<(String, String, String)>,
    JsonBody(body): JsonBody<ParserInput>,
) -> Result<Json<StoredParser>, AdminError> {
    let (account_id, source_id, parser_id) = ids(&id, &source_id, &parser_id)?;
    Ok(Json(
        parsers::replace(state.store.as_ref(), account_id, source_id, parser_id, body).await?,
    ))
}

/// Remove a parser.
#[utoipa::path(delete, path = "/admin/v1/accounts/{id}/lead-sources/{source_id}/parsers/{parser_id}", tag = "inbound",
    params(("id" = Uuid, Path, description = "Account id"), ("source_id" = Uuid, Path, description = "Lead source id"),
        ("parser_id" = Uuid, Path, description = "Parser id")),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_parser(
    State(state): State<AppState>,
    Path((id, source_id, parser_id)): Path<(String, String, String)>,
) -> Result<StatusCode, AdminError> {
    let (account_id, source_id, parser_id) = ids(&id, &source_id, &parser_id)?;
    parsers::delete(state.store.as_ref(), account_id, source_id, parser_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The fields the lead source's parsers would find in a raw message; nothing is stored.
#[utoipa::path(post, path = "/admin/v1/accounts/{id}/lead-sources/{source_id}/parsers/test", tag = "inbound",
    params(("id" = Uuid, Path, description = "Account id"), ("source_id" = Uuid, Path, description = "Lead source id")),
    request_body = ParserTest,
    responses((status = 200, body = ParserTestResult), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn test_parsers(
    State(state): State<AppState>,
    Path((id, source_id)): Path<(String, String)>,
    JsonBody(body): JsonBody<ParserTest>,
) -> Result<Json<ParserTestResult>, AdminError> {
    let account_id = parse_id(&id, "account")?;
    let source_id = parse_id(&source_id, "lead source")?;
    Ok(Json(
        parsers::test(state.store.as_ref(), account_id, source_id, body).await?,
    ))
}

/// Run a kept email (`rejected` or `ignored`) through the parsers again; the same row is updated.
#[utoipa::path(post, path = "/admin/v1/submissions/{id}/reparse", tag = "inbound",
    params(("id" = Uuid, Path, description = "Submission id")),
    responses(
        (status = 200, body = Submission),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Not a rejected or ignored email", body = ErrorBody),
    ))]
pub async fn reparse_submission(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Submission>, AdminError> {
    let submission_id = parse_id(&id, "submission")?;
    let pipeline = crate::intake::pipeline(&state);
    Ok(Json(
        inbound_service::reparse(pipeline, submission_id).await?,
    ))
}

fn ids(
    id: &str,
    source_id: &str,
    parser_id: &str,
) -> Result<(uuid::Uuid, uuid::Uuid, uuid::Uuid), AdminError> {
    Ok((
        parse_id(id, "account")?,
        parse_id(source_id, "lead source")?,
        parse_id(parser_id, "parser")?,
    ))
}
