//! People: users (created with a password or an invite link), an account's members and their
//! roles (an account keeps an owner), `me`, password changes and accepting an invite.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use super::ServiceError;
use super::input::Problems;
use super::page::{PageParams, fetch};
use crate::config::Settings;
use crate::fields::FieldProblem;
use crate::people::password::{hash_password, verify_password};
use crate::people::session::SessionLimits;
use crate::people::{
    Actor, InputError, InviteToken, Password, PasswordHash, Role, SecretHash, UserEmail,
};
use crate::store::{
    InviteUse, Member, Membership, NewInvite, NewUser, OwnerCheck, Store, StoreError, User,
};

/// The people settings every operation here needs.
#[derive(Debug, Clone)]
pub struct PeoplePolicy {
    /// How long an invite link works.
    pub invite_ttl: time::Duration,
    /// `scheme://host[:port]` links are made under; `None`: links are paths.
    pub public_url: Option<String>,
    /// How long console sessions last.
    pub sessions: SessionLimits,
}

impl PeoplePolicy {
    /// The policy the settings describe.
    pub fn from_settings(settings: &Settings) -> Self {
        let people = &settings.people;
        PeoplePolicy {
            invite_ttl: time::Duration::seconds(
                i64::try_from(people.invite_ttl_seconds).unwrap_or(i64::MAX),
            ),
            public_url: settings.server.public_url().map(str::to_string),
            sessions: SessionLimits::from_seconds(
                people.session_idle_seconds,
                people.session_max_seconds,
            ),
        }
    }

    /// The link that opens an invite.
    fn invite_url(&self, token: &InviteToken) -> String {
        let base = self.public_url.as_deref().unwrap_or_default();
        format!("{base}/console/invite/{}", token.expose())
    }

    /// A fresh invite: the link to hand over and what the store keeps.
    fn new_invite(&self) -> Result<(String, NewInvite), ServiceError> {
        let token = InviteToken::generate().map_err(|e| ServiceError::Internal(e.into()))?;
        let invite = NewInvite {
            token_hash: token.hash().to_hex(),
            expires_at: OffsetDateTime::now_utc() + self.invite_ttl,
        };
        Ok((self.invite_url(&token), invite))
    }
}

/// `POST /admin/v1/users`
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    /// At most 254 characters; kept in lower case.
    #[schema(max_length = 254)]
    pub email: String,
    /// 10 to 1,024 characters; without one the answer carries an `invite_url`.
    #[schema(min_length = 10, max_length = 1024)]
    pub password: Option<String>,
    /// Sees and manages every account (default false).
    pub operator: Option<bool>,
}

/// A user just created.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CreatedUser {
    pub id: Uuid,
    pub email: String,
    pub operator: bool,
    /// A one-use link where the person sets a password (when none was given).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invite_url: Option<String>,
}

/// A page of users.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UserList {
    pub users: Vec<User>,
    /// Pass as `after` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// `POST /admin/v1/accounts/{id}/members`
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddMember {
    /// A new email creates the user, with an invite.
    #[schema(max_length = 254)]
    pub email: String,
    #[schema(value_type = Role)]
    pub role: String,
}

/// `PATCH /admin/v1/accounts/{id}/members/{uid}`
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMember {
    #[schema(value_type = Role)]
    pub role: String,
}

/// A member just added.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AddedMember {
    pub user_id: Uuid,
    pub email: String,
    #[schema(value_type = Role)]
    pub role: Role,
    /// When the email was new: the one-use link where the person sets a password.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invite_url: Option<String>,
}

/// An account's members.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MemberList {
    pub members: Vec<Member>,
}

/// `GET /admin/v1/me`
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Me {
    /// `null` for the admin token.
    pub id: Option<Uuid>,
    pub email: Option<String>,
    pub operator: bool,
    pub memberships: Vec<Membership>,
}

/// `POST /admin/v1/me/password`
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePassword {
    #[schema(max_length = 1024)]
    pub current_password: String,
    #[schema(min_length = 10, max_length = 1024)]
    pub new_password: String,
}

/// A problem with one field from a people rule.
fn problem(field: &str, err: InputError) -> FieldProblem {
    FieldProblem::new(field, err.to_string())
}

fn parse_email(field: &str, raw: &str) -> Result<UserEmail, FieldProblem> {
    UserEmail::parse(raw).map_err(|e| problem(field, e))
}

fn parse_password(field: &str, raw: &str) -> Result<Password, FieldProblem> {
    Password::parse(raw).map_err(|e| problem(field, e))
}

fn parse_role(raw: &str) -> Result<Role, FieldProblem> {
    Role::parse(raw).map_err(|e| problem("role", e))
}

/// A hashing failure is the server's.
fn internal(err: impl Into<anyhow::Error>) -> ServiceError {
    ServiceError::Internal(err.into())
}

async fn hash(password: Password) -> Result<String, ServiceError> {
    Ok(hash_password(password)
        .await
        .map_err(internal)?
        .as_str()
        .to_string())
}

/// Create a user with a password, or with an invite link when none is given.
pub async fn create_user(
    store: &dyn Store,
    policy: &PeoplePolicy,
    input: CreateUser,
) -> Result<CreatedUser, ServiceError> {
    let mut problems = Problems::default();
    let email = problems.check(parse_email("email", &input.email));
    let password = match input.password.as_deref() {
        Some(p) => problems.check(parse_password("password", p)),
        None => None,
    };
    problems.finish()?;
    let email = email.ok_or_else(|| ServiceError::field("email", "is required"))?;
    new_user(
        store,
        policy,
        &email,
        password,
        input.operator.unwrap_or(false),
    )
    .await
}

/// Store a new user: with its password hashed, or with an invite.
async fn new_user(
    store: &dyn Store,
    policy: &PeoplePolicy,
    email: &UserEmail,
    password: Option<Password>,
    operator: bool,
) -> Result<CreatedUser, ServiceError> {
    let (password_hash, invite_url, invite) = match password {
        Some(p) => (Some(hash(p).await?), None, None),
        None => {
            let (url, invite) = policy.new_invite()?;
            (None, Some(url), Some(invite))
        }
    };
    let user = store
        .create_user(&NewUser {
            email: email.as_str().to_string(),
            password_hash,
            operator,
            invite,
        })
        .await?;
    tracing::info!(user_id = %user.id, operator, "user created");
    Ok(CreatedUser {
        id: user.id,
        email: user.email,
        operator: user.operator,
        invite_url,
    })
}

/// Users, newest first.
pub async fn list_users(store: &dyn Store, params: &PageParams) -> Result<UserList, ServiceError> {
    let page = params.page()?;
    let (users, next) = fetch(page, |p| store.list_users(p), |u| u.id).await?;
    Ok(UserList { users, next })
}

/// Remove a user, unless it is the last owner of an account.
pub async fn delete_user(store: &dyn Store, id: Uuid) -> Result<(), ServiceError> {
    match store
        .delete_user(id)
        .await
        .map_err(|e| ServiceError::from_store(e, "user"))?
    {
        OwnerCheck::Done => {
            tracing::info!(user_id = %id, "user removed");
            Ok(())
        }
        OwnerCheck::LastOwner => Err(last_owner()),
    }
}

fn last_owner() -> ServiceError {
    ServiceError::Conflict("an account must keep at least one owner".to_string())
}

/// The account's members.
pub async fn list_members(store: &dyn Store, account_id: Uuid) -> Result<MemberList, ServiceError> {
    super::accounts::get(store, account_id).await?;
    Ok(MemberList {
        members: store.list_members(account_id).await?,
    })
}

/// Add a person to the account; a new email creates the user with an invite.
pub async fn add_member(
    store: &dyn Store,
    policy: &PeoplePolicy,
    account_id: Uuid,
    input: AddMember,
) -> Result<AddedMember, ServiceError> {
    let mut problems = Problems::default();
    let email = problems.check(parse_email("email", &input.email));
    let role = problems.check(parse_role(&input.role));
    problems.finish()?;
    let (Some(email), Some(role)) = (email, role) else {
        return Err(ServiceError::field("body", "is incomplete"));
    };
    super::accounts::get(store, account_id).await?;
    let (user_id, invite_url) = match store.find_user_login(email.as_str()).await? {
        Some(login) => (login.user.id, None),
        None => {
            let created = new_user(store, policy, &email, None, false).await?;
            (created.id, created.invite_url)
        }
    };
    let member = store
        .add_member(account_id, user_id, role)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => {
                ServiceError::Conflict("this person is already a member of the account".to_string())
            }
            other => other.into(),
        })?;
    tracing::info!(%account_id, %user_id, %role, "member added");
    Ok(AddedMember {
        user_id: member.user_id,
        email: member.email,
        role: member.role,
        invite_url,
    })
}

/// Change a member's role, unless that demotes the last owner.
pub async fn update_member(
    store: &dyn Store,
    account_id: Uuid,
    user_id: Uuid,
    input: UpdateMember,
) -> Result<Member, ServiceError> {
    let role = parse_role(&input.role).map_err(|p| ServiceError::Invalid(vec![p]))?;
    match store
        .set_member_role(account_id, user_id, role)
        .await
        .map_err(|e| ServiceError::from_store(e, "member"))?
    {
        OwnerCheck::LastOwner => return Err(last_owner()),
        OwnerCheck::Done => {}
    }
    tracing::info!(%account_id, %user_id, %role, "member role changed");
    store
        .list_members(account_id)
        .await?
        .into_iter()
        .find(|m| m.user_id == user_id)
        .ok_or(ServiceError::NotFound("member"))
}

/// Take a person out of the account, unless it is the last owner.
pub async fn remove_member(
    store: &dyn Store,
    account_id: Uuid,
    user_id: Uuid,
) -> Result<(), ServiceError> {
    match store
        .remove_member(account_id, user_id)
        .await
        .map_err(|e| ServiceError::from_store(e, "member"))?
    {
        OwnerCheck::LastOwner => Err(last_owner()),
        OwnerCheck::Done => {
            tracing::info!(%account_id, %user_id, "member removed");
            Ok(())
        }
    }
}

/// Who the caller is and the accounts it belongs to; account API tokens have no person behind them.
pub async fn me(store: &dyn Store, actor: &Actor) -> Result<Me, ServiceError> {
    match actor {
        Actor::Operator | Actor::Cli => Ok(Me {
            id: None,
            email: None,
            operator: true,
            memberships: Vec::new(),
        }),
        Actor::Token { .. } => Err(ServiceError::Forbidden(
            "an account API token is not a person".to_string(),
        )),
        Actor::User { id, .. } => {
            let user = store
                .get_user(*id)
                .await
                .map_err(|e| ServiceError::from_store(e, "user"))?;
            Ok(Me {
                id: Some(user.id),
                email: Some(user.email),
                operator: user.operator,
                memberships: store.list_memberships(user.id).await?,
            })
        }
    }
}

/// Change a user's password after checking the current one; every other session of the user ends
/// (`keep_session` is the digest of the session making the change, if any).
pub async fn change_password(
    store: &dyn Store,
    user_id: Uuid,
    keep_session: Option<&SecretHash>,
    input: ChangePassword,
) -> Result<(), ServiceError> {
    let new = parse_password("new_password", &input.new_password)
        .map_err(|p| ServiceError::Invalid(vec![p]))?;
    let login = store
        .get_user_login(user_id)
        .await
        .map_err(|e| ServiceError::from_store(e, "user"))?;
    let stored = login.password_hash.map(PasswordHash::from_stored);
    let current = Password::presented(input.current_password);
    if !verify_password(current, stored).await.map_err(internal)? {
        return Err(ServiceError::Forbidden(
            "current_password is wrong".to_string(),
        ));
    }
    let keep = keep_session.map(SecretHash::to_hex);
    store
        .set_password(user_id, &hash(new).await?, keep.as_deref())
        .await?;
    tracing::info!(%user_id, "password changed; other sessions ended");
    Ok(())
}

/// The invite behind a link, if it can still be used: the user's id.
pub async fn check_invite(
    store: &dyn Store,
    token: &str,
    now: OffsetDateTime,
) -> Result<Uuid, ServiceError> {
    let token = InviteToken::parse(token).map_err(|_| ServiceError::NotFound("invite"))?;
    match store
        .invite_usable(&token.hash().to_hex(), now)
        .await
        .map_err(|e| ServiceError::from_store(e, "invite"))?
    {
        InviteUse::Accepted(user_id) => Ok(user_id),
        InviteUse::Gone => Err(ServiceError::Gone("invite link")),
    }
}

/// Set the password through an invite link, spending it: the user's id.
pub async fn accept_invite(
    store: &dyn Store,
    token: &str,
    password: &str,
    now: OffsetDateTime,
) -> Result<Uuid, ServiceError> {
    check_invite(store, token, now).await?;
    let password =
        parse_password("password", password).map_err(|p| ServiceError::Invalid(vec![p]))?;
    let token = InviteToken::parse(token).map_err(|_| ServiceError::NotFound("invite"))?;
    let hashed = hash(password).await?;
    match store
        .use_invite(&token.hash().to_hex(), &hashed, now)
        .await
        .map_err(|e| ServiceError::from_store(e, "invite"))?
    {
        InviteUse::Accepted(user_id) => {
            tracing::info!(%user_id, "invite accepted; password set");
            Ok(user_id)
        }
        InviteUse::Gone => Err(ServiceError::Gone("invite link")),
    }
}
