//! Spam: an account's spam settings (read back with the CAPTCHA secret masked), releasing a kept
//! spam post into a client, and marking a client as spam.

use uuid::Uuid;

use super::ServiceError;
use crate::fields::FieldProblem;
use crate::spam::{OriginPattern, SpamReason, SpamSettings, SpamSettingsPatch, count_spam};
use crate::store::{
    Client, LeadSource, LeadToStore, Outcome, ReleaseOutcome, SourceOrigins, Store,
};

/// The account's spam settings, as they may be shown (secret masked).
pub async fn settings(store: &dyn Store, account_id: Uuid) -> Result<SpamSettings, ServiceError> {
    let settings = store
        .get_spam_settings(account_id)
        .await
        .map_err(|e| ServiceError::from_store(e, "account"))?;
    Ok(settings.masked())
}

/// Change the account's spam settings; every refused value is reported.
pub async fn update_settings(
    store: &dyn Store,
    account_id: Uuid,
    patch: SpamSettingsPatch,
) -> Result<SpamSettings, ServiceError> {
    let current = store
        .get_spam_settings(account_id)
        .await
        .map_err(|e| ServiceError::from_store(e, "account"))?;
    let next = current.apply(patch).map_err(|problems| {
        ServiceError::Invalid(
            problems
                .into_iter()
                .map(|p| FieldProblem::new(&p.field, p.reason))
                .collect(),
        )
    })?;
    store
        .set_spam_settings(account_id, &next)
        .await
        .map_err(|e| ServiceError::from_store(e, "account"))?;
    tracing::info!(%account_id, "spam settings changed");
    Ok(next.masked())
}

/// Release a kept spam post: its fields go through the intake's checks again, without the spam
/// checks and the double-submit guard, and become a client with its plan's jobs and notifications.
pub async fn release(store: &dyn Store, submission_id: Uuid) -> Result<Client, ServiceError> {
    let submission = store
        .get_submission(submission_id)
        .await
        .map_err(|e| ServiceError::from_store(e, "submission"))?;
    if submission.outcome != Outcome::Spam || submission.released_client_id.is_some() {
        return Err(ServiceError::Conflict(
            "only a spam submission not yet released can be released".into(),
        ));
    }
    let Some(account_id) = submission.account_id else {
        return Err(ServiceError::Conflict(
            "the submission belongs to no account".into(),
        ));
    };
    let owner = store
        .owner_of(account_id, submission.lead_source_id)
        .await
        .map_err(|e| ServiceError::from_store(e, "account"))?;
    let valid = super::intake::lead_of(&submission.fields).map_err(ServiceError::Invalid)?;
    let lead = LeadToStore {
        owner,
        client: valid.client,
        submission,
        // A release skips the double-submit guard: no fingerprint is claimed.
        fingerprint: String::new(),
        replay_window_seconds: 0,
        request_id: None,
    };
    match store.release_spam(&lead).await? {
        ReleaseOutcome::Released { client_id } => {
            tracing::info!(%submission_id, %client_id, "spam released");
            super::clients::get(store, client_id).await
        }
        ReleaseOutcome::DuplicateEmail { existing_client_id } => {
            tracing::info!(%submission_id, %existing_client_id, "release refused: duplicate email");
            Err(ServiceError::DuplicateClient)
        }
        ReleaseOutcome::NotReleasable => Err(ServiceError::Conflict(
            "only a spam submission not yet released can be released".into(),
        )),
    }
}

/// Remove a client as spam: its tags, values and notes go, its waiting jobs are skipped, and its
/// submission is kept as spam with the reason `manual`. The submission's id.
pub async fn mark_client(store: &dyn Store, client_id: Uuid) -> Result<Uuid, ServiceError> {
    let submission_id = store
        .mark_client_spam(client_id)
        .await
        .map_err(|e| ServiceError::from_store(e, "client"))?;
    count_spam(&[SpamReason::Manual]);
    tracing::info!(%client_id, %submission_id, "client marked spam");
    Ok(submission_id)
}

/// `PATCH /admin/v1/accounts/{id}/lead-sources/{sid}`: a key left out stays, `null` clears it (the
/// account's rule then applies).
#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSourceOrigins {
    /// `scheme://host[:port]`, `*.` for subdomains; `[]` allows any origin.
    #[serde(default, deserialize_with = "crate::spam::settings::present")]
    #[schema(value_type = Option<Vec<String>>)]
    pub allowed_origins: Option<Option<Vec<String>>>,
    /// Whether a post must carry an `Origin` or `Referer`.
    #[serde(default, deserialize_with = "crate::spam::settings::present")]
    #[schema(value_type = Option<bool>)]
    pub require_origin: Option<Option<bool>>,
}

/// Change a lead source's own origin rules.
pub async fn update_source_origins(
    store: &dyn Store,
    account_id: Uuid,
    source_id: Uuid,
    input: UpdateSourceOrigins,
) -> Result<LeadSource, ServiceError> {
    let source = super::lead_sources::get(store, account_id, source_id).await?;
    let mut origins = SourceOrigins {
        allowed_origins: source.allowed_origins,
        require_origin: source.require_origin,
    };
    if let Some(list) = input.allowed_origins {
        origins.allowed_origins = match list {
            None => None,
            Some(list) => {
                let mut problems = Vec::new();
                let mut parsed = Vec::new();
                for (i, raw) in list.iter().enumerate() {
                    match OriginPattern::parse(raw) {
                        Ok(p) => parsed.push(p),
                        Err(reason) => problems
                            .push(FieldProblem::new(format!("allowed_origins[{i}]"), reason)),
                    }
                }
                if !problems.is_empty() {
                    return Err(ServiceError::Invalid(problems));
                }
                Some(parsed)
            }
        };
    }
    if let Some(require) = input.require_origin {
        origins.require_origin = require;
    }
    store
        .set_source_origins(account_id, source_id, &origins)
        .await
        .map_err(|e| ServiceError::from_store(e, "lead source"))?;
    super::lead_sources::get(store, account_id, source_id).await
}
