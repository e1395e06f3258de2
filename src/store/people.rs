//! People: users, their memberships in accounts (with the "an account keeps an owner" rule) and
//! invites. Credentials (API tokens, sessions) are in `credentials.rs`.

use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

use super::accounts::ACCOUNT_COLUMNS;
use super::records::{AccountRow, IdRow, into_all};
use super::sql::{Backend, Bind, SqlStore, Tx, conflict_or, execute, fetch_all, fetch_optional};
use super::sql::{sql, sql_built};
use super::types::{DbId, DbTime};
use super::{Account, Page, StoreError, new_id};
use crate::people::Role;

/// A person who may sign in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct User {
    pub id: Uuid,
    /// In lower case.
    pub email: String,
    /// Sees and manages every account.
    pub operator: bool,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
}

/// A user with the stored password hash, for signing in.
#[derive(Debug, Clone)]
pub struct UserLogin {
    pub user: User,
    /// `None` until the person has set a password.
    pub password_hash: Option<String>,
}

/// A new user; `invite` when the person sets the password through an invite link.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub password_hash: Option<String>,
    pub operator: bool,
    pub invite: Option<NewInvite>,
}

/// A new one-use invite, by the SHA-256 hex digest of its token.
#[derive(Debug, Clone)]
pub struct NewInvite {
    pub token_hash: String,
    pub expires_at: OffsetDateTime,
}

/// A user's place in one account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Membership {
    pub account_id: Uuid,
    pub role: Role,
}

/// A member of an account, as the account's people list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Member {
    pub user_id: Uuid,
    pub email: String,
    pub role: Role,
}

/// The outcome of a change that must leave every account an owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnerCheck {
    /// Done.
    Done,
    /// Refused: it would leave an account without an owner.
    LastOwner,
}

/// What became of an invite that was presented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InviteUse {
    /// The password is set; the invite is spent. The user's id.
    Accepted(Uuid),
    /// Used already or past its expiry.
    Gone,
}

/// Users, memberships and invites.
#[async_trait::async_trait]
pub trait PeopleStore: Send + Sync {
    /// A new user (and its invite); [`StoreError::Conflict`] `"email"` when the email is taken.
    async fn create_user(&self, new: &NewUser) -> Result<User, StoreError>;
    async fn get_user(&self, id: Uuid) -> Result<User, StoreError>;
    /// The user with this (lower-case) email and its password hash, if any.
    async fn find_user_login(&self, email: &str) -> Result<Option<UserLogin>, StoreError>;
    /// The user's password hash (for checking the current one).
    async fn get_user_login(&self, id: Uuid) -> Result<UserLogin, StoreError>;
    /// Users, newest first.
    async fn list_users(&self, page: Page) -> Result<Vec<User>, StoreError>;
    /// Remove a user, unless it is the last owner of an account.
    async fn delete_user(&self, id: Uuid) -> Result<OwnerCheck, StoreError>;
    /// Set the password and end the user's sessions except `keep_session` (a session hash).
    async fn set_password(
        &self,
        id: Uuid,
        password_hash: &str,
        keep_session: Option<&str>,
    ) -> Result<(), StoreError>;

    /// The accounts the user belongs to and the role in each.
    async fn list_memberships(&self, user_id: Uuid) -> Result<Vec<Membership>, StoreError>;
    /// The user's role in the account, if a member.
    async fn membership_role(
        &self,
        account_id: Uuid,
        user_id: Uuid,
    ) -> Result<Option<Role>, StoreError>;
    /// The accounts the user belongs to, newest first.
    async fn list_accounts_of_user(
        &self,
        user_id: Uuid,
        page: Page,
    ) -> Result<Vec<Account>, StoreError>;
    /// The account's members, by email.
    async fn list_members(&self, account_id: Uuid) -> Result<Vec<Member>, StoreError>;
    /// Add a member; [`StoreError::Conflict`] `"email"` when already one.
    async fn add_member(
        &self,
        account_id: Uuid,
        user_id: Uuid,
        role: Role,
    ) -> Result<Member, StoreError>;
    /// Change a member's role, unless that demotes the last owner.
    async fn set_member_role(
        &self,
        account_id: Uuid,
        user_id: Uuid,
        role: Role,
    ) -> Result<OwnerCheck, StoreError>;
    /// Remove a member, unless it is the last owner.
    async fn remove_member(
        &self,
        account_id: Uuid,
        user_id: Uuid,
    ) -> Result<OwnerCheck, StoreError>;

    /// A new invite for an existing user.
    async fn create_invite(&self, user_id: Uuid, invite: &NewInvite) -> Result<(), StoreError>;
    /// Spend the invite with this token hash, setting the password; [`StoreError::NotFound`] when
    /// there is no such invite.
    async fn use_invite(
        &self,
        token_hash: &str,
        password_hash: &str,
        now: OffsetDateTime,
    ) -> Result<InviteUse, StoreError>;
    /// Whether an invite with this token hash exists and can still be used at `now`.
    async fn invite_usable(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> Result<InviteUse, StoreError>;
}

const USER_COLUMNS: &str = "u.id, u.email, u.operator, u.created_at, u.password_hash";

/// A user row with its password hash.
#[derive(sqlx::FromRow)]
struct UserRow {
    id: DbId,
    email: String,
    operator: i16,
    created_at: DbTime,
    password_hash: Option<String>,
}

impl From<UserRow> for UserLogin {
    fn from(r: UserRow) -> Self {
        UserLogin {
            user: User {
                id: r.id.0,
                email: r.email,
                operator: r.operator != 0,
                created_at: r.created_at.0,
            },
            password_hash: r.password_hash,
        }
    }
}

impl From<UserRow> for User {
    fn from(r: UserRow) -> Self {
        UserLogin::from(r).user
    }
}

/// A membership row: an account and a role.
#[derive(sqlx::FromRow)]
struct MembershipRow {
    account_id: DbId,
    role: String,
}

/// A stored role; an unreadable one reads as the least role.
fn stored_role(s: &str) -> Role {
    Role::parse(s).unwrap_or(Role::Viewer)
}

impl From<MembershipRow> for Membership {
    fn from(r: MembershipRow) -> Self {
        Membership {
            account_id: r.account_id.0,
            role: stored_role(&r.role),
        }
    }
}

/// A member row: the user and the role.
#[derive(sqlx::FromRow)]
struct MemberRow {
    user_id: DbId,
    email: String,
    role: String,
}

impl From<MemberRow> for Member {
    fn from(r: MemberRow) -> Self {
        Member {
            user_id: r.user_id.0,
            email: r.email,
            role: stored_role(&r.role),
        }
    }
}

/// An invite's state.
#[derive(sqlx::FromRow)]
struct InviteRow {
    user_id: DbId,
    expires_at: DbTime,
    used_at: Option<DbTime>,
}

impl InviteRow {
    fn usable(&self, now: OffsetDateTime) -> bool {
        self.used_at.is_none() && now < self.expires_at.0
    }
}

const INSERT_INVITE: &str = "INSERT INTO invites (token_hash, user_id, expires_at, used_at, \
    created_at) VALUES ($1, $2, $3, NULL, $4)";

const MEMBER_SELECT: &str = "SELECT m.user_id, u.email, m.role FROM memberships m \
    JOIN users u ON u.id = m.user_id";

/// Accounts where `user_id` is the only owner (for removing the user).
const SOLE_OWNERSHIPS: &str = "SELECT m.account_id AS id FROM memberships m \
    WHERE m.user_id = $1 AND m.role = 'owner' AND NOT EXISTS (SELECT 1 FROM memberships o \
    WHERE o.account_id = m.account_id AND o.role = 'owner' AND o.user_id <> $1)";

const INVITE_SELECT: &str =
    "SELECT user_id, expires_at, used_at FROM invites WHERE token_hash = $1";

impl<DB: Backend> SqlStore<DB> {
    /// Whether changing (`new_role` `Some`) or removing the membership would leave its account
    /// without an owner; `NotFound` when there is no such membership.
    async fn would_orphan(
        tx: &mut Tx<DB>,
        account_id: Uuid,
        user_id: Uuid,
        new_role: Option<Role>,
    ) -> Result<bool, StoreError> {
        let rows: Vec<MembershipRow> = fetch_all(
            sql("SELECT account_id, role FROM memberships WHERE account_id = $1 AND user_id = $2")
                .param(DbId(account_id))
                .param(DbId(user_id)),
            DB::on_conn(tx),
        )
        .await?;
        let current = rows.first().ok_or(StoreError::NotFound)?;
        if stored_role(&current.role) != Role::Owner || new_role == Some(Role::Owner) {
            return Ok(false);
        }
        let others: Option<IdRow> = fetch_optional(
            sql(
                "SELECT user_id AS id FROM memberships WHERE account_id = $1 \
                 AND role = 'owner' AND user_id <> $2 LIMIT 1",
            )
            .param(DbId(account_id))
            .param(DbId(user_id)),
            DB::on_conn(tx),
        )
        .await?;
        Ok(others.is_none())
    }
}

#[async_trait::async_trait]
impl<DB: Backend> PeopleStore for SqlStore<DB> {
    async fn create_user(&self, new: &NewUser) -> Result<User, StoreError> {
        let id = new_id();
        let now = DbTime::now();
        let mut tx = self.begin_write().await?;
        let insert = sql(
            "INSERT INTO users (id, email, password_hash, operator, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .param(DbId(id))
        .param(new.email.clone())
        .param(new.password_hash.clone())
        .param(i16::from(new.operator))
        .param(now);
        execute(insert, DB::on_conn(&mut tx))
            .await
            .map_err(|e| conflict_or(e, "email"))?;
        if let Some(invite) = &new.invite {
            let query = sql(INSERT_INVITE)
                .param(invite.token_hash.clone())
                .param(DbId(id))
                .param(DbTime::from(invite.expires_at))
                .param(now);
            execute(query, DB::on_conn(&mut tx)).await?;
        }
        tx.commit().await?;
        Ok(User {
            id,
            email: new.email.clone(),
            operator: new.operator,
            created_at: now.0,
        })
    }

    async fn get_user(&self, id: Uuid) -> Result<User, StoreError> {
        Ok(self.get_user_login(id).await?.user)
    }

    async fn find_user_login(&self, email: &str) -> Result<Option<UserLogin>, StoreError> {
        let text = format!("SELECT {USER_COLUMNS} FROM users u WHERE u.email = $1");
        let row: Option<UserRow> = self
            .read_optional(sql_built(&text).param(email.to_string()))
            .await?;
        Ok(row.map(Into::into))
    }

    async fn get_user_login(&self, id: Uuid) -> Result<UserLogin, StoreError> {
        let text = format!("SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1");
        let row: UserRow = self.read_one(sql_built(&text).param(DbId(id))).await?;
        Ok(row.into())
    }

    async fn list_users(&self, page: Page) -> Result<Vec<User>, StoreError> {
        let text = format!(
            "SELECT {USER_COLUMNS} FROM users u WHERE u.id < $1 ORDER BY u.id DESC LIMIT $2"
        );
        let query = sql_built(&text)
            .param(DbId(page.upper_bound()))
            .param(page.limit);
        Ok(into_all::<UserRow, _>(self.read_all(query).await?))
    }

    async fn delete_user(&self, id: Uuid) -> Result<OwnerCheck, StoreError> {
        let mut tx = self.begin_write().await?;
        let sole: Option<IdRow> =
            fetch_optional(sql(SOLE_OWNERSHIPS).param(DbId(id)), DB::on_conn(&mut tx)).await?;
        if sole.is_some() {
            return Ok(OwnerCheck::LastOwner);
        }
        let deleted = execute(
            sql("DELETE FROM users WHERE id = $1").param(DbId(id)),
            DB::on_conn(&mut tx),
        )
        .await?;
        if deleted == 0 {
            return Err(StoreError::NotFound);
        }
        tx.commit().await?;
        Ok(OwnerCheck::Done)
    }

    async fn set_password(
        &self,
        id: Uuid,
        password_hash: &str,
        keep_session: Option<&str>,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let updated = execute(
            sql("UPDATE users SET password_hash = $2 WHERE id = $1")
                .param(DbId(id))
                .param(password_hash.to_string()),
            DB::on_conn(&mut tx),
        )
        .await?;
        if updated == 0 {
            return Err(StoreError::NotFound);
        }
        let end_others = sql("DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2")
            .param(DbId(id))
            .param(keep_session.unwrap_or_default().to_string());
        execute(end_others, DB::on_conn(&mut tx)).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn list_memberships(&self, user_id: Uuid) -> Result<Vec<Membership>, StoreError> {
        let query = sql(
            "SELECT account_id, role FROM memberships WHERE user_id = $1 \
             ORDER BY account_id",
        )
        .param(DbId(user_id));
        Ok(into_all::<MembershipRow, _>(self.read_all(query).await?))
    }

    async fn membership_role(
        &self,
        account_id: Uuid,
        user_id: Uuid,
    ) -> Result<Option<Role>, StoreError> {
        let query =
            sql("SELECT account_id, role FROM memberships WHERE account_id = $1 AND user_id = $2")
                .param(DbId(account_id))
                .param(DbId(user_id));
        let row: Option<MembershipRow> = self.read_optional(query).await?;
        Ok(row.map(|r| stored_role(&r.role)))
    }

    async fn list_accounts_of_user(
        &self,
        user_id: Uuid,
        page: Page,
    ) -> Result<Vec<Account>, StoreError> {
        let text = format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts a JOIN memberships m ON m.account_id = a.id \
             WHERE m.user_id = $1 AND a.id < $2 ORDER BY a.id DESC LIMIT $3"
        );
        let query = sql_built(&text)
            .param(DbId(user_id))
            .param(DbId(page.upper_bound()))
            .param(page.limit);
        Ok(into_all::<AccountRow, _>(self.read_all(query).await?))
    }

    async fn list_members(&self, account_id: Uuid) -> Result<Vec<Member>, StoreError> {
        let text = format!("{MEMBER_SELECT} WHERE m.account_id = $1 ORDER BY u.email");
        let query = sql_built(&text).param(DbId(account_id));
        Ok(into_all::<MemberRow, _>(self.read_all(query).await?))
    }

    async fn add_member(
        &self,
        account_id: Uuid,
        user_id: Uuid,
        role: Role,
    ) -> Result<Member, StoreError> {
        let insert = sql(
            "INSERT INTO memberships (account_id, user_id, role, created_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .param(DbId(account_id))
        .param(DbId(user_id))
        .param(role.as_str())
        .param(DbTime::now());
        self.write(insert)
            .await
            .map_err(|e| conflict_or(e, "email"))?;
        let text = format!("{MEMBER_SELECT} WHERE m.account_id = $1 AND m.user_id = $2");
        let row: MemberRow = self
            .read_one(
                sql_built(&text)
                    .param(DbId(account_id))
                    .param(DbId(user_id)),
            )
            .await?;
        Ok(row.into())
    }

    async fn set_member_role(
        &self,
        account_id: Uuid,
        user_id: Uuid,
        role: Role,
    ) -> Result<OwnerCheck, StoreError> {
        let mut tx = self.begin_write().await?;
        if Self::would_orphan(&mut tx, account_id, user_id, Some(role)).await? {
            return Ok(OwnerCheck::LastOwner);
        }
        let update = sql("UPDATE memberships SET role = $3 WHERE account_id = $1 AND user_id = $2")
            .param(DbId(account_id))
            .param(DbId(user_id))
            .param(role.as_str());
        execute(update, DB::on_conn(&mut tx)).await?;
        tx.commit().await?;
        Ok(OwnerCheck::Done)
    }

    async fn remove_member(
        &self,
        account_id: Uuid,
        user_id: Uuid,
    ) -> Result<OwnerCheck, StoreError> {
        let mut tx = self.begin_write().await?;
        if Self::would_orphan(&mut tx, account_id, user_id, None).await? {
            return Ok(OwnerCheck::LastOwner);
        }
        let delete = sql("DELETE FROM memberships WHERE account_id = $1 AND user_id = $2")
            .param(DbId(account_id))
            .param(DbId(user_id));
        execute(delete, DB::on_conn(&mut tx)).await?;
        tx.commit().await?;
        Ok(OwnerCheck::Done)
    }

    async fn create_invite(&self, user_id: Uuid, invite: &NewInvite) -> Result<(), StoreError> {
        let query = sql(INSERT_INVITE)
            .param(invite.token_hash.clone())
            .param(DbId(user_id))
            .param(DbTime::from(invite.expires_at))
            .param(DbTime::now());
        self.write(query).await?;
        Ok(())
    }

    async fn use_invite(
        &self,
        token_hash: &str,
        password_hash: &str,
        now: OffsetDateTime,
    ) -> Result<InviteUse, StoreError> {
        let mut tx = self.begin_write().await?;
        let invite: InviteRow = fetch_optional(
            sql(INVITE_SELECT).param(token_hash.to_string()),
            DB::on_conn(&mut tx),
        )
        .await?
        .ok_or(StoreError::NotFound)?;
        if !invite.usable(now) {
            return Ok(InviteUse::Gone);
        }
        let spend = sql("UPDATE invites SET used_at = $2 WHERE token_hash = $1")
            .param(token_hash.to_string())
            .param(DbTime::from(now));
        execute(spend, DB::on_conn(&mut tx)).await?;
        let set = sql("UPDATE users SET password_hash = $2 WHERE id = $1")
            .param(invite.user_id)
            .param(password_hash.to_string());
        execute(set, DB::on_conn(&mut tx)).await?;
        tx.commit().await?;
        Ok(InviteUse::Accepted(invite.user_id.0))
    }

    async fn invite_usable(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> Result<InviteUse, StoreError> {
        let invite: InviteRow = self
            .read_one(sql(INVITE_SELECT).param(token_hash.to_string()))
            .await?;
        Ok(if invite.usable(now) {
            InviteUse::Accepted(invite.user_id.0)
        } else {
            InviteUse::Gone
        })
    }
}
