//! Credentials and reach: account API tokens (create, list, revoke), who a presented token is, and
//! how far an actor reaches into one account (everything, a role or a scope, or nothing: 404).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use super::ServiceError;
use super::input::{self, Problems, parse_moment};
use crate::fields::FieldProblem;
use crate::people::{Access, Actor, ApiToken, TokenScope};
use crate::store::{ApiTokenInfo, NewApiToken, OwnedObject, Store};

/// A use of a token is written back at most this often.
const TOUCH_INTERVAL: time::Duration = time::Duration::minutes(1);

/// `POST /admin/v1/accounts/{id}/api-tokens`
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApiToken {
    /// What the token is for, for people.
    #[schema(min_length = 1, max_length = 255, pattern = "\\S")]
    pub name: String,
    #[schema(value_type = TokenScope)]
    pub scope: String,
    /// RFC 3339 time after which the token is refused; absent: it does not expire.
    #[schema(format = DateTime)]
    pub expires_at: Option<String>,
}

/// A token just created: the only time `token` is shown.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CreatedApiToken {
    pub id: Uuid,
    pub name: String,
    #[schema(value_type = TokenScope)]
    pub scope: TokenScope,
    /// `lpat_…`: send as `Authorization: Bearer <token>`. Shown once.
    pub token: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<OffsetDateTime>,
}

/// The account's live tokens (never the tokens themselves).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiTokenList {
    pub api_tokens: Vec<ApiTokenInfo>,
}

/// How far an actor reaches into one account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// An operator: everything.
    Everything,
    /// A member's role or a token's scope.
    As(Access),
}

impl Reach {
    /// Whether this reach allows `capability`.
    pub fn allows(self, capability: crate::people::Capability) -> bool {
        match self {
            Reach::Everything => true,
            Reach::As(access) => access.allows(capability),
        }
    }
}

impl CreateApiToken {
    fn parse(self, account_id: Uuid) -> Result<(NewApiToken, ApiToken), ServiceError> {
        let mut problems = Problems::default();
        let name = problems.check(input::name("name", &self.name));
        let scope = problems.check(
            TokenScope::parse(&self.scope).map_err(|e| FieldProblem::new("scope", e.to_string())),
        );
        let expires_at = match self.expires_at.as_deref() {
            None => None,
            Some(raw) => problems.check(
                parse_moment(raw)
                    .filter(|t| *t > OffsetDateTime::now_utc())
                    .ok_or_else(|| {
                        FieldProblem::new("expires_at", "must be an RFC 3339 time in the future")
                    }),
            ),
        };
        problems.finish()?;
        let (Some(name), Some(scope)) = (name, scope) else {
            return Err(ServiceError::field("body", "is incomplete"));
        };
        let token = ApiToken::generate().map_err(|e| ServiceError::Internal(e.into()))?;
        let new = NewApiToken {
            account_id,
            name,
            scope,
            token_hash: token.hash().to_hex(),
            expires_at,
        };
        Ok((new, token))
    }
}

/// Make an account API token; its value is in the answer and nowhere else.
pub async fn create_api_token(
    store: &dyn Store,
    account_id: Uuid,
    input: CreateApiToken,
) -> Result<CreatedApiToken, ServiceError> {
    let (new, token) = input.parse(account_id)?;
    super::accounts::get(store, account_id).await?;
    let info = store.create_api_token(&new).await?;
    tracing::info!(%account_id, token_id = %info.id, scope = %info.scope, "API token created");
    Ok(CreatedApiToken {
        id: info.id,
        name: info.name,
        scope: info.scope,
        token: token.expose().to_string(),
        created_at: info.created_at,
        expires_at: info.expires_at,
    })
}

/// The account's live tokens, newest first.
pub async fn list_api_tokens(
    store: &dyn Store,
    account_id: Uuid,
) -> Result<ApiTokenList, ServiceError> {
    super::accounts::get(store, account_id).await?;
    Ok(ApiTokenList {
        api_tokens: store.list_api_tokens(account_id).await?,
    })
}

/// Revoke a token: refused from now on.
pub async fn revoke_api_token(
    store: &dyn Store,
    account_id: Uuid,
    id: Uuid,
) -> Result<(), ServiceError> {
    store
        .revoke_api_token(account_id, id, OffsetDateTime::now_utc())
        .await
        .map_err(|e| ServiceError::from_store(e, "API token"))?;
    tracing::info!(%account_id, token_id = %id, "API token revoked");
    Ok(())
}

/// The actor behind a presented `lpat_` token; unknown, revoked or expired: unauthenticated.
pub async fn authenticate_token(
    store: &dyn Store,
    presented: &str,
    now: OffsetDateTime,
) -> Result<Actor, ServiceError> {
    const REFUSED: &str = "unknown, revoked or expired API token";
    let token = ApiToken::parse(presented).map_err(|_| ServiceError::Unauthenticated(REFUSED))?;
    let info = store
        .find_api_token(&token.hash().to_hex())
        .await?
        .filter(|info| info.is_live(now))
        .ok_or(ServiceError::Unauthenticated(REFUSED))?;
    if info.last_used_at.is_none_or(|t| now - t >= TOUCH_INTERVAL) {
        store.touch_api_token(info.id, now).await?;
    }
    Ok(Actor::Token {
        id: info.id,
        account_id: info.account_id,
        scope: info.scope,
    })
}

/// How far `actor` reaches into the account; an account it cannot see is `NotFound`, as if absent.
pub async fn reach(
    store: &dyn Store,
    actor: &Actor,
    account_id: Uuid,
) -> Result<Reach, ServiceError> {
    if actor.is_operator() {
        return Ok(Reach::Everything);
    }
    match actor {
        Actor::Token {
            account_id: own,
            scope,
            ..
        } if *own == account_id => Ok(Reach::As(Access::Token(*scope))),
        Actor::User { id, .. } => match store.membership_role(account_id, *id).await? {
            Some(role) => Ok(Reach::As(Access::Member(role))),
            None => Err(ServiceError::NotFound("account")),
        },
        _ => Err(ServiceError::NotFound("account")),
    }
}

/// The account an object belongs to, if it exists.
pub async fn account_of(
    store: &dyn Store,
    object: OwnedObject,
    id: Uuid,
) -> Result<Option<Uuid>, ServiceError> {
    Ok(store.account_of(object, id).await?)
}
