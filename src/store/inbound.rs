//! Inbound email and lead vendors: lead sources' inbound tokens, their parsers (the owner's spec
//! kept as JSON, listed by position then creation), the vendor lead ids an account has taken, and a
//! reparse writing its result over the same submission row.

use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

use super::clients::insert_client;
use super::records::{from_json_text, to_json_text};
use super::sql::{Backend, Bind, SqlStore, execute, sql};
use super::submissions::{insert_client_details, insert_duplicate_notice};
use super::types::{DbId, DbTime};
use super::{LeadToStore, Outcome, StoreError, Submission, new_id};
use crate::inbound::ParserSpec;
use crate::inbound::parser::{MatchSpec, TermSpec};

/// An inbound token's alphabet: base32 in lower case, 5 random bits a character.
const TOKEN_ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";

/// A new inbound token: lower-case letters and digits only (mail systems may lower-case the local
/// part of an address), at least 128 random bits.
pub fn generate_inbound_token() -> String {
    // 28 characters: 140 random bits.
    let bytes: [u8; 28] = rand::random();
    bytes
        .iter()
        .map(|b| TOKEN_ALPHABET[usize::from(b & 31)] as char)
        .collect()
}

/// A parser as stored: the owner's spec with its id and place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct StoredParser {
    pub id: Uuid,
    pub lead_source_id: Uuid,
    pub name: String,
    /// Whole number ≥ 0; parsers are tried by position, ties by creation.
    pub position: i64,
    #[serde(rename = "match")]
    #[schema(value_type = Object)]
    pub matching: MatchSpec,
    #[schema(value_type = Vec<Object>)]
    pub terms: Vec<TermSpec>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl StoredParser {
    /// The spec the parser was written as (its position included).
    pub fn spec(&self) -> ParserSpec {
        ParserSpec {
            name: self.name.clone(),
            position: Some(self.position),
            matching: self.matching.clone(),
            terms: self.terms.clone(),
        }
    }
}

/// A vendor lead id an account has taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VendorLead {
    pub client_id: Uuid,
    pub submission_id: Uuid,
}

/// What a reparse that found a lead did to the submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReparseOutcome {
    /// A client was made; the row is now `accepted` with its `client_id`.
    Accepted { client_id: Uuid },
    /// The account already has a client with this email: the row is `rejected` ct103.
    DuplicateEmail { existing_client_id: Uuid },
    /// The row is no longer a `rejected` or `ignored` email.
    NotReparsable,
}

#[derive(sqlx::FromRow)]
struct ParserRow {
    id: DbId,
    lead_source_id: DbId,
    position: i64,
    spec: String,
    created_at: DbTime,
}

impl From<ParserRow> for StoredParser {
    fn from(r: ParserRow) -> Self {
        let spec: StoredSpec = from_json_text(&r.spec);
        StoredParser {
            id: r.id.0,
            lead_source_id: r.lead_source_id.0,
            name: spec.name,
            position: r.position,
            matching: spec.matching,
            terms: spec.terms,
            created_at: r.created_at.0,
        }
    }
}

/// The stored JSON of a parser (its position is a column).
#[derive(Debug, Default, serde::Deserialize, Serialize)]
struct StoredSpec {
    name: String,
    #[serde(default, rename = "match")]
    matching: MatchSpec,
    #[serde(default)]
    terms: Vec<TermSpec>,
}

impl StoredSpec {
    fn of(spec: &ParserSpec) -> String {
        to_json_text(&StoredSpec {
            name: spec.name.trim().to_string(),
            matching: spec.matching.clone(),
            terms: spec.terms.clone(),
        })
    }
}

#[derive(sqlx::FromRow)]
struct SourceRow {
    account_id: DbId,
    id: DbId,
}

#[derive(sqlx::FromRow)]
struct VendorRow {
    client_id: DbId,
    submission_id: DbId,
}

#[derive(sqlx::FromRow)]
struct NextRow {
    n: i64,
}

/// What inbound email and vendor feeds store.
#[async_trait::async_trait]
pub trait InboundStore: Send + Sync {
    /// The `(account, lead source)` an inbound token names, in any case.
    async fn find_inbound_source(&self, token: &str) -> Result<Option<(Uuid, Uuid)>, StoreError>;
    /// Give a lead source a new inbound token; the old one is refused at once.
    async fn rotate_inbound_token(
        &self,
        account_id: Uuid,
        source_id: Uuid,
    ) -> Result<(), StoreError>;
    /// A lead source's parsers, by position then creation.
    async fn list_parsers(&self, source_id: Uuid) -> Result<Vec<StoredParser>, StoreError>;
    /// Add a parser (checked by the caller); no position: after the last one.
    async fn create_parser(
        &self,
        account_id: Uuid,
        source_id: Uuid,
        spec: &ParserSpec,
    ) -> Result<StoredParser, StoreError>;
    /// One of a lead source's parsers.
    async fn get_parser(
        &self,
        source_id: Uuid,
        parser_id: Uuid,
    ) -> Result<StoredParser, StoreError>;
    /// Replace a parser; no position: it keeps its own.
    async fn replace_parser(
        &self,
        source_id: Uuid,
        parser_id: Uuid,
        spec: &ParserSpec,
    ) -> Result<StoredParser, StoreError>;
    /// Remove a parser.
    async fn delete_parser(&self, source_id: Uuid, parser_id: Uuid) -> Result<(), StoreError>;
    /// The lead a vendor's lead id already made for the account, if any.
    async fn vendor_lead(
        &self,
        account_id: Uuid,
        vendor: &str,
        lead_id: &str,
    ) -> Result<Option<VendorLead>, StoreError>;
    /// Remember for good that a vendor's lead id made this client (a repeat is a double submit).
    async fn remember_vendor_lead(
        &self,
        account_id: Uuid,
        vendor: &str,
        lead_id: &str,
        lead: VendorLead,
    ) -> Result<(), StoreError>;
    /// Forget the vendor lead ids that made a client (erasure); how many were forgotten.
    async fn forget_vendor_leads(&self, client_id: Uuid) -> Result<u64, StoreError>;
    /// Write a reparse that found no lead over the row (outcome, reason, fields, spam reasons);
    /// `false` when the row is no longer a `rejected` or `ignored` email.
    async fn record_reparse(&self, submission: &Submission) -> Result<bool, StoreError>;
    /// Turn a reparsed email (`lead.submission`, same row) into the client `lead.client`.
    async fn accept_reparse(&self, lead: &LeadToStore) -> Result<ReparseOutcome, StoreError>;
}

const PARSER_COLUMNS: &str = "SELECT id, lead_source_id, position, spec, created_at FROM parsers";

/// A reparse may overwrite only an email that is still `rejected` or `ignored`.
const REPARSABLE: &str = "channel = 'email' AND outcome IN ('rejected', 'ignored')";

#[async_trait::async_trait]
impl<DB: Backend> InboundStore for SqlStore<DB> {
    async fn find_inbound_source(&self, token: &str) -> Result<Option<(Uuid, Uuid)>, StoreError> {
        let query = sql("SELECT account_id, id FROM lead_sources WHERE inbound_token = $1")
            .param(token.to_ascii_lowercase());
        let row: Option<SourceRow> = self.read_optional(query).await?;
        Ok(row.map(|r| (r.account_id.0, r.id.0)))
    }

    async fn rotate_inbound_token(
        &self,
        account_id: Uuid,
        source_id: Uuid,
    ) -> Result<(), StoreError> {
        let query =
            sql("UPDATE lead_sources SET inbound_token = $3 WHERE id = $1 AND account_id = $2")
                .param(DbId(source_id))
                .param(DbId(account_id))
                .param(generate_inbound_token());
        if self.write(query).await? == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn list_parsers(&self, source_id: Uuid) -> Result<Vec<StoredParser>, StoreError> {
        let text =
            format!("{PARSER_COLUMNS} WHERE lead_source_id = $1 ORDER BY position, created_at, id");
        let query = super::sql::sql_built(&text).param(DbId(source_id));
        let rows: Vec<ParserRow> = self.read_all(query).await?;
        Ok(rows.into_iter().map(StoredParser::from).collect())
    }

    async fn create_parser(
        &self,
        account_id: Uuid,
        source_id: Uuid,
        spec: &ParserSpec,
    ) -> Result<StoredParser, StoreError> {
        let id = new_id();
        let now = DbTime::now();
        let mut tx = self.begin_write().await?;
        let position = match spec.position {
            Some(p) => p,
            None => {
                let next = sql("SELECT COALESCE(MAX(position) + 1, 0) AS n FROM parsers \
                     WHERE lead_source_id = $1")
                .param(DbId(source_id));
                let row: Option<NextRow> =
                    super::sql::fetch_optional(next, DB::on_conn(&mut tx)).await?;
                row.map(|r| r.n).unwrap_or(0)
            }
        };
        let insert = sql(
            "INSERT INTO parsers (id, account_id, lead_source_id, position, spec, created_at) \
             SELECT $1, s.account_id, s.id, $4, $5, $6 FROM lead_sources s \
             WHERE s.id = $3 AND s.account_id = $2",
        )
        .param(DbId(id))
        .param(DbId(account_id))
        .param(DbId(source_id))
        .param(position)
        .param(StoredSpec::of(spec))
        .param(now);
        if execute(insert, DB::on_conn(&mut tx)).await? == 0 {
            return Err(StoreError::NotFound);
        }
        tx.commit().await?;
        self.get_parser(source_id, id).await
    }

    async fn get_parser(
        &self,
        source_id: Uuid,
        parser_id: Uuid,
    ) -> Result<StoredParser, StoreError> {
        let text = format!("{PARSER_COLUMNS} WHERE id = $1 AND lead_source_id = $2");
        let query = super::sql::sql_built(&text)
            .param(DbId(parser_id))
            .param(DbId(source_id));
        let row: ParserRow = self.read_one(query).await?;
        Ok(row.into())
    }

    async fn replace_parser(
        &self,
        source_id: Uuid,
        parser_id: Uuid,
        spec: &ParserSpec,
    ) -> Result<StoredParser, StoreError> {
        let query = sql(
            "UPDATE parsers SET spec = $3, position = COALESCE($4, position) \
             WHERE id = $1 AND lead_source_id = $2",
        )
        .param(DbId(parser_id))
        .param(DbId(source_id))
        .param(StoredSpec::of(spec))
        .param(spec.position);
        if self.write(query).await? == 0 {
            return Err(StoreError::NotFound);
        }
        self.get_parser(source_id, parser_id).await
    }

    async fn delete_parser(&self, source_id: Uuid, parser_id: Uuid) -> Result<(), StoreError> {
        let query = sql("DELETE FROM parsers WHERE id = $1 AND lead_source_id = $2")
            .param(DbId(parser_id))
            .param(DbId(source_id));
        if self.write(query).await? == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn vendor_lead(
        &self,
        account_id: Uuid,
        vendor: &str,
        lead_id: &str,
    ) -> Result<Option<VendorLead>, StoreError> {
        let query = sql("SELECT client_id, submission_id FROM vendor_leads \
             WHERE account_id = $1 AND vendor = $2 AND lead_id = $3")
        .param(DbId(account_id))
        .param(vendor.to_string())
        .param(lead_id.to_string());
        let row: Option<VendorRow> = self.read_optional(query).await?;
        Ok(row.map(|r| VendorLead {
            client_id: r.client_id.0,
            submission_id: r.submission_id.0,
        }))
    }

    async fn remember_vendor_lead(
        &self,
        account_id: Uuid,
        vendor: &str,
        lead_id: &str,
        lead: VendorLead,
    ) -> Result<(), StoreError> {
        let query = sql(
            "INSERT INTO vendor_leads (account_id, vendor, lead_id, client_id, submission_id, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (account_id, vendor, lead_id) DO NOTHING",
        )
        .param(DbId(account_id))
        .param(vendor.to_string())
        .param(lead_id.to_string())
        .param(DbId(lead.client_id))
        .param(DbId(lead.submission_id))
        .param(DbTime::now());
        self.write(query).await?;
        Ok(())
    }

    async fn forget_vendor_leads(&self, client_id: Uuid) -> Result<u64, StoreError> {
        let query = sql("DELETE FROM vendor_leads WHERE client_id = $1").param(DbId(client_id));
        self.write(query).await
    }

    async fn record_reparse(&self, s: &Submission) -> Result<bool, StoreError> {
        let text = format!(
            "UPDATE submissions SET outcome = $2, error_code = $3, message = $4, fields = $5, \
             spam_reasons = $6, reparsed_at = $7 WHERE id = $1 AND {REPARSABLE}"
        );
        let query = super::sql::sql_built(&text)
            .param(DbId(s.id))
            .param(s.outcome.as_str())
            .param(s.error_code.clone())
            .param(s.message.clone())
            .param(sqlx::types::Json(s.fields.clone()))
            .param((!s.spam_reasons.is_empty()).then(|| to_json_text(&s.spam_reasons)))
            .param(DbTime::now());
        Ok(self.write(query).await? > 0)
    }

    async fn accept_reparse(&self, lead: &LeadToStore) -> Result<ReparseOutcome, StoreError> {
        let now = DbTime::now();
        let client_id = new_id();
        let s = &lead.submission;
        let text = format!(
            "UPDATE submissions SET outcome = $2, client_id = $3, error_code = NULL, \
             message = NULL, fields = $4, spam_reasons = NULL, reparsed_at = $5 \
             WHERE id = $1 AND {REPARSABLE}"
        );
        let claim = super::sql::sql_built(&text)
            .param(DbId(s.id))
            .param(Outcome::Accepted.as_str())
            .param(DbId(client_id))
            .param(sqlx::types::Json(s.fields.clone()))
            .param(now);
        let mut tx = self.begin_write().await?;
        if execute(claim, DB::on_conn(&mut tx)).await? == 0 {
            tx.rollback().await?;
            return Ok(ReparseOutcome::NotReparsable);
        }
        if !insert_client::<DB>(&mut tx, client_id, lead, now).await? {
            tx.rollback().await?;
            let mut tx = self.begin_write().await?;
            let existing = insert_duplicate_notice::<DB>(&mut tx, lead).await?;
            let text = format!(
                "UPDATE submissions SET outcome = $2, error_code = 'ct103', message = $3, \
                 fields = $4, reparsed_at = $5 WHERE id = $1 AND {REPARSABLE}"
            );
            let refused = super::sql::sql_built(&text)
                .param(DbId(s.id))
                .param(Outcome::Rejected.as_str())
                .param("Duplicate Client creation attempted")
                .param(sqlx::types::Json(s.fields.clone()))
                .param(now);
            execute(refused, DB::on_conn(&mut tx)).await?;
            tx.commit().await?;
            return Ok(ReparseOutcome::DuplicateEmail {
                existing_client_id: existing,
            });
        }
        insert_client_details::<DB>(&mut tx, client_id, lead, now).await?;
        tx.commit().await?;
        Ok(ReparseOutcome::Accepted { client_id })
    }
}
