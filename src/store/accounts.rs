//! Accounts, their lead sources and their web_keys: creating, reading, editing,
//! rotating keys, and finding who a posted key belongs to.

use uuid::Uuid;

use super::records::{AccountRow, IdRow, KeyOwnerRow, LeadSourceRow, TextRow, into_all};
use super::sql::{Backend, Bind, SqlStore, Tx, conflict_or, execute, fetch_all, fetch_optional};
use super::sql::{sql, sql_built};
use super::types::{DbId, DbTime};
use super::{
    Account, AccountChanges, KeyOwner, LeadSource, NewAccount, NewLeadSource, Page, RotatedKey,
    StoreError, generate_web_key, new_id,
};

/// Accounts, lead sources and web_keys.
#[async_trait::async_trait]
pub trait AccountStore: Send + Sync {
    /// A new account with its first web_key.
    async fn create_account(&self, new: &NewAccount) -> Result<Account, StoreError>;
    async fn get_account(&self, id: Uuid) -> Result<Account, StoreError>;
    /// Accounts, newest first.
    async fn list_accounts(&self, page: Page) -> Result<Vec<Account>, StoreError>;
    /// Apply `changes` and read the account back.
    async fn update_account(
        &self,
        id: Uuid,
        changes: &AccountChanges,
    ) -> Result<Account, StoreError>;
    /// Set (or clear) the plan the account key runs; it must be one of the account's.
    async fn set_default_action_plan(
        &self,
        account_id: Uuid,
        plan_id: Option<Uuid>,
    ) -> Result<(), StoreError>;
    /// Make `new_key` the current key of the account (`lead_source_id` `None`) or of
    /// one of its lead sources; the key current until now works `grace_seconds` more.
    async fn rotate_web_key(
        &self,
        account_id: Uuid,
        lead_source_id: Option<Uuid>,
        new_key: &str,
        grace_seconds: i64,
    ) -> Result<RotatedKey, StoreError>;
    /// Who a web_key belongs to, if it is current (or rotated but still in its grace period).
    /// Answers are cached for up to 5 s (see `key_cache.rs`): another process's change to
    /// the key, its account or its lead source shows within that time.
    async fn find_key_owner(&self, key: &str) -> Result<Option<KeyOwner>, StoreError>;

    /// A new lead source of the account, with its own web_key.
    async fn create_lead_source(
        &self,
        account_id: Uuid,
        new: &NewLeadSource,
    ) -> Result<LeadSource, StoreError>;
    async fn get_lead_source(&self, account_id: Uuid, id: Uuid) -> Result<LeadSource, StoreError>;
    /// The account's lead sources, newest first.
    async fn list_lead_sources(
        &self,
        account_id: Uuid,
        page: Page,
    ) -> Result<Vec<LeadSource>, StoreError>;
}

/// An account's columns, with its current key as `web_key`.
pub(super) const ACCOUNT_COLUMNS: &str = "a.id, a.name, a.owner_email, a.owner_phone, \
    a.default_action_plan_id, a.created_at, a.display_name, a.website_url, a.lenient_phones, \
    a.new_lead_notification_default, a.hosted_pages, (SELECT k.key FROM web_keys k \
    WHERE k.account_id = a.id AND k.lead_source_id IS NULL AND k.expires_at IS NULL \
    ORDER BY k.created_at DESC LIMIT 1) AS web_key";

/// A lead source's columns, with its current key as `web_key`.
const SOURCE_COLUMNS: &str = "s.id, s.account_id, s.name, s.action_plan_id, s.created_at, \
    s.allowed_origins, s.require_origin, s.inbound_token, s.autoresponder, \
    (SELECT k.key FROM web_keys k WHERE k.lead_source_id = s.id AND k.expires_at IS NULL \
    ORDER BY k.created_at DESC LIMIT 1) AS web_key";

const SET_DEFAULT_PLAN: &str = "UPDATE accounts SET default_action_plan_id = $2 WHERE id = $1 \
    AND ($2 IS NULL OR EXISTS (SELECT 1 FROM action_plans p WHERE p.id = $2 AND p.account_id = $1))";

const INSERT_WEB_KEY: &str = "INSERT INTO web_keys \
    (key, account_id, lead_source_id, expires_at, created_at) VALUES ($1, $2, $3, NULL, $4)";

/// Add a current web_key for the account or one of its lead sources.
async fn insert_web_key<DB: Backend>(
    tx: &mut Tx<DB>,
    key: &str,
    account_id: Uuid,
    lead_source_id: Option<Uuid>,
    now: DbTime,
) -> Result<(), StoreError> {
    let query = sql(INSERT_WEB_KEY)
        .param(key.to_string())
        .param(DbId(account_id))
        .param(lead_source_id.map(DbId))
        .param(now);
    execute(query, DB::on_conn(tx))
        .await
        .map_err(|e| conflict_or(e, "web_key"))?;
    Ok(())
}

#[async_trait::async_trait]
impl<DB: Backend> AccountStore for SqlStore<DB> {
    async fn create_account(&self, new: &NewAccount) -> Result<Account, StoreError> {
        let id = new_id();
        let now = DbTime::now();
        let web_key = new.web_key.clone().unwrap_or_else(generate_web_key);
        let mut tx = self.begin_write().await?;
        let insert = sql(
            "INSERT INTO accounts (id, name, owner_email, owner_phone, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .param(DbId(id))
        .param(new.name.clone())
        .param(new.owner_email.clone())
        .param(new.owner_phone.clone())
        .param(now);
        execute(insert, DB::on_conn(&mut tx)).await?;
        insert_web_key(&mut tx, &web_key, id, None, now).await?;
        tx.commit().await?;
        Ok(Account {
            id,
            name: new.name.clone(),
            web_key,
            owner_email: new.owner_email.clone(),
            owner_phone: new.owner_phone.clone(),
            default_action_plan_id: None,
            created_at: now.0,
            display_name: None,
            website_url: None,
            lenient_phones: false,
            new_lead_notification_default: 0,
            hosted_pages: false,
        })
    }

    async fn get_account(&self, id: Uuid) -> Result<Account, StoreError> {
        let text = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE a.id = $1");
        let row: AccountRow = self.read_one(sql_built(&text).param(DbId(id))).await?;
        Ok(row.into())
    }

    async fn list_accounts(&self, page: Page) -> Result<Vec<Account>, StoreError> {
        let text = format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE a.id < $1 ORDER BY a.id DESC LIMIT $2"
        );
        let query = sql_built(&text)
            .param(DbId(page.upper_bound()))
            .param(page.limit);
        Ok(into_all::<AccountRow, _>(self.read_all(query).await?))
    }

    async fn update_account(
        &self,
        id: Uuid,
        changes: &AccountChanges,
    ) -> Result<Account, StoreError> {
        let mut tx = self.begin_write().await?;
        let exists: Option<IdRow> = fetch_optional(
            sql("SELECT id FROM accounts WHERE id = $1").param(DbId(id)),
            DB::on_conn(&mut tx),
        )
        .await?;
        if exists.is_none() {
            return Err(StoreError::NotFound);
        }
        if let Some(name) = &changes.name {
            let query = sql("UPDATE accounts SET name = $2 WHERE id = $1")
                .param(DbId(id))
                .param(name.clone());
            execute(query, DB::on_conn(&mut tx)).await?;
        }
        if let Some(email) = &changes.owner_email {
            let query = sql("UPDATE accounts SET owner_email = $2 WHERE id = $1")
                .param(DbId(id))
                .param(email.clone());
            execute(query, DB::on_conn(&mut tx)).await?;
        }
        if let Some(phone) = &changes.owner_phone {
            let query = sql("UPDATE accounts SET owner_phone = $2 WHERE id = $1")
                .param(DbId(id))
                .param(phone.clone());
            execute(query, DB::on_conn(&mut tx)).await?;
        }
        super::hearing::update_account_settings(&mut tx, id, changes).await?;
        if let Some(plan) = changes.default_action_plan_id {
            let query = sql(SET_DEFAULT_PLAN).param(DbId(id)).param(plan.map(DbId));
            if execute(query, DB::on_conn(&mut tx)).await? == 0 {
                return Err(StoreError::NotFound);
            }
        }
        tx.commit().await?;
        self.get_account(id).await
    }

    async fn set_default_action_plan(
        &self,
        account_id: Uuid,
        plan_id: Option<Uuid>,
    ) -> Result<(), StoreError> {
        let query = sql(SET_DEFAULT_PLAN)
            .param(DbId(account_id))
            .param(plan_id.map(DbId));
        if self.write(query).await? == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn rotate_web_key(
        &self,
        account_id: Uuid,
        lead_source_id: Option<Uuid>,
        new_key: &str,
        grace_seconds: i64,
    ) -> Result<RotatedKey, StoreError> {
        let now = DbTime::now();
        let expires = DbTime::from(now.0 + time::Duration::seconds(grace_seconds.max(0)));
        let mut tx = self.begin_write().await?;
        let owner = match lead_source_id {
            Some(source) => sql("SELECT id FROM lead_sources WHERE id = $1 AND account_id = $2")
                .param(DbId(source))
                .param(DbId(account_id)),
            None => sql("SELECT id FROM accounts WHERE id = $1").param(DbId(account_id)),
        };
        let owner: Option<IdRow> = fetch_optional(owner, DB::on_conn(&mut tx)).await?;
        if owner.is_none() {
            return Err(StoreError::NotFound);
        }
        let expire = sql("UPDATE web_keys SET expires_at = $3 WHERE account_id = $1 \
             AND lead_source_id IS NOT DISTINCT FROM $2 AND expires_at IS NULL \
             RETURNING key AS text")
        .param(DbId(account_id))
        .param(lead_source_id.map(DbId))
        .param(expires);
        let previous: Vec<TextRow> = fetch_all(expire, DB::on_conn(&mut tx)).await?;
        insert_web_key(&mut tx, new_key, account_id, lead_source_id, now).await?;
        tx.commit().await?;
        let previous_web_key = previous.into_iter().next().map(|row| row.text);
        Ok(RotatedKey {
            web_key: new_key.to_string(),
            previous_expires_at: previous_web_key.as_ref().map(|_| expires.0),
            previous_web_key,
        })
    }

    async fn find_key_owner(&self, key: &str) -> Result<Option<KeyOwner>, StoreError> {
        let generation = match self.keys.get(key) {
            Ok(owner) => return Ok(Some(owner)),
            Err(generation) => generation,
        };
        let query = sql(
            "SELECT k.account_id, a.name AS account_name, a.owner_email, a.owner_phone, \
             a.default_action_plan_id, a.hosted_pages, k.lead_source_id, s.name AS source_name, \
             s.action_plan_id AS source_plan_id, a.spam_settings, \
             s.allowed_origins AS source_allowed_origins, s.require_origin AS source_require_origin, \
             a.lenient_phones, a.new_lead_notification_default, \
             s.autoresponder AS source_autoresponder, k.expires_at AS key_expires_at \
             FROM web_keys k JOIN accounts a ON a.id = k.account_id \
             LEFT JOIN lead_sources s ON s.id = k.lead_source_id \
             WHERE k.key = $1 AND (k.expires_at IS NULL OR k.expires_at > $2)",
        )
        .param(key.to_string())
        .param(DbTime::now());
        let Some(row) = self.read_optional::<KeyOwnerRow>(query).await? else {
            return Ok(None);
        };
        let expires_at = row.key_expires_at.map(|t| t.0);
        let owner = KeyOwner::from(row);
        self.keys.keep(key, &owner, expires_at, generation);
        Ok(Some(owner))
    }

    async fn create_lead_source(
        &self,
        account_id: Uuid,
        new: &NewLeadSource,
    ) -> Result<LeadSource, StoreError> {
        let id = new_id();
        let now = DbTime::now();
        let web_key = new.web_key.clone().unwrap_or_else(generate_web_key);
        let inbound_token = super::inbound::generate_inbound_token();
        let mut tx = self.begin_write().await?;
        let insert = sql(
            "INSERT INTO lead_sources (id, account_id, name, action_plan_id, created_at, \
             inbound_token) \
             SELECT $1, a.id, $3, $4, $5, $6 FROM accounts a WHERE a.id = $2 AND ($4 IS NULL OR \
             EXISTS (SELECT 1 FROM action_plans p WHERE p.id = $4 AND p.account_id = $2))",
        )
        .param(DbId(id))
        .param(DbId(account_id))
        .param(new.name.clone())
        .param(new.action_plan_id.map(DbId))
        .param(now)
        .param(inbound_token.clone());
        if execute(insert, DB::on_conn(&mut tx)).await? == 0 {
            return Err(StoreError::NotFound);
        }
        insert_web_key(&mut tx, &web_key, account_id, Some(id), now).await?;
        tx.commit().await?;
        Ok(LeadSource {
            id,
            account_id,
            name: new.name.clone(),
            web_key,
            action_plan_id: new.action_plan_id,
            created_at: now.0,
            allowed_origins: None,
            require_origin: None,
            inbound_url: super::model::inbound_path(&inbound_token),
            inbound_address: None,
            inbound_token,
            autoresponder: None,
        })
    }

    async fn get_lead_source(&self, account_id: Uuid, id: Uuid) -> Result<LeadSource, StoreError> {
        let text = format!(
            "SELECT {SOURCE_COLUMNS} FROM lead_sources s WHERE s.id = $1 AND s.account_id = $2"
        );
        let query = sql_built(&text).param(DbId(id)).param(DbId(account_id));
        let row: LeadSourceRow = self.read_one(query).await?;
        Ok(row.into())
    }

    async fn list_lead_sources(
        &self,
        account_id: Uuid,
        page: Page,
    ) -> Result<Vec<LeadSource>, StoreError> {
        let text = format!(
            "SELECT {SOURCE_COLUMNS} FROM lead_sources s WHERE s.account_id = $1 \
             AND s.id < $2 ORDER BY s.id DESC LIMIT $3"
        );
        let query = sql_built(&text)
            .param(DbId(account_id))
            .param(DbId(page.upper_bound()))
            .param(page.limit);
        Ok(into_all::<LeadSourceRow, _>(self.read_all(query).await?))
    }
}
