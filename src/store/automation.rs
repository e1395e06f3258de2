//! Webhooks and action plans: what an account sends when a lead arrives.

use sqlx::types::Json;
use uuid::Uuid;

use super::records::{ActionPlanRow, PlanStepRow, WebhookRow, into_all};
use super::sql::{Backend, Bind, SqlStore, execute, sql};
use super::types::{DbId, DbTime};
use super::{ActionPlan, NewActionPlan, NewWebhook, Page, PlanStep, StoreError, Webhook, new_id};

/// Webhooks and action plans of an account.
#[async_trait::async_trait]
pub trait AutomationStore: Send + Sync {
    /// A new webhook of the account.
    async fn create_webhook(
        &self,
        account_id: Uuid,
        new: &NewWebhook,
    ) -> Result<Webhook, StoreError>;
    /// The account's webhooks, newest first.
    async fn list_webhooks(&self, account_id: Uuid, page: Page)
    -> Result<Vec<Webhook>, StoreError>;
    /// A new action plan whose steps call the account's webhooks.
    async fn create_action_plan(
        &self,
        account_id: Uuid,
        new: &NewActionPlan,
    ) -> Result<ActionPlan, StoreError>;
    async fn get_action_plan(&self, account_id: Uuid, id: Uuid) -> Result<ActionPlan, StoreError>;
    /// The account's action plans, newest first.
    async fn list_action_plans(
        &self,
        account_id: Uuid,
        page: Page,
    ) -> Result<Vec<ActionPlan>, StoreError>;
}

/// A webhook's columns.
pub(super) const WEBHOOK_COLUMNS: &str =
    "id, account_id, name, preset, url, method, headers, body, secret, created_at";

impl<DB: Backend> SqlStore<DB> {
    /// The steps of the account's plans with ids in `low..=high`, in order.
    async fn plan_steps(
        &self,
        account_id: Uuid,
        low: Uuid,
        high: Uuid,
    ) -> Result<Vec<PlanStepRow>, StoreError> {
        let query = sql(
            "SELECT st.action_plan_id, st.webhook_id, st.delay_seconds FROM action_plan_steps st \
             JOIN action_plans p ON p.id = st.action_plan_id \
             WHERE p.account_id = $1 AND p.id >= $2 AND p.id <= $3 \
             ORDER BY st.action_plan_id, st.position",
        )
        .param(DbId(account_id))
        .param(DbId(low))
        .param(DbId(high));
        self.read_all(query).await
    }

    /// Plans read from `rows`, with their steps (one query for the page).
    async fn plans_with_steps(
        &self,
        account_id: Uuid,
        rows: Vec<ActionPlanRow>,
    ) -> Result<Vec<ActionPlan>, StoreError> {
        let mut plans: Vec<ActionPlan> = into_all(rows);
        let (Some(low), Some(high)) = (
            plans.iter().map(|p| p.id).min(),
            plans.iter().map(|p| p.id).max(),
        ) else {
            return Ok(plans);
        };
        for step in self.plan_steps(account_id, low, high).await? {
            if let Some(plan) = plans.iter_mut().find(|p| p.id == step.action_plan_id.0) {
                plan.steps.push(PlanStep::from(&step));
            }
        }
        Ok(plans)
    }
}

#[async_trait::async_trait]
impl<DB: Backend> AutomationStore for SqlStore<DB> {
    async fn create_webhook(
        &self,
        account_id: Uuid,
        new: &NewWebhook,
    ) -> Result<Webhook, StoreError> {
        let id = new_id();
        let now = DbTime::now();
        let insert = sql(
            "INSERT INTO webhooks (id, account_id, name, preset, url, method, headers, body, \
             secret, created_at) SELECT $1, a.id, $3, $4, $5, $6, $7, $8, $9, $10 \
             FROM accounts a WHERE a.id = $2",
        )
        .param(DbId(id))
        .param(DbId(account_id))
        .param(new.name.clone())
        .param(new.preset.clone())
        .param(new.url.clone())
        .param(new.method.clone())
        .param(Json(new.headers.clone()))
        .param(new.body.clone().map(Json))
        .param(new.secret.clone())
        .param(now);
        if self.write(insert).await? == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(Webhook {
            id,
            account_id,
            name: new.name.clone(),
            preset: new.preset.clone(),
            url: new.url.clone(),
            method: new.method.clone(),
            headers: new.headers.clone(),
            body: new.body.clone(),
            secret: new.secret.clone(),
            created_at: now.0,
        })
    }

    async fn list_webhooks(
        &self,
        account_id: Uuid,
        page: Page,
    ) -> Result<Vec<Webhook>, StoreError> {
        let text = format!(
            "SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE account_id = $1 AND id < $2 \
             ORDER BY id DESC LIMIT $3"
        );
        let query = super::sql::sql_built(&text)
            .param(DbId(account_id))
            .param(DbId(page.upper_bound()))
            .param(page.limit);
        Ok(into_all::<WebhookRow, _>(self.read_all(query).await?))
    }

    async fn create_action_plan(
        &self,
        account_id: Uuid,
        new: &NewActionPlan,
    ) -> Result<ActionPlan, StoreError> {
        let id = new_id();
        let now = DbTime::now();
        let mut tx = self.begin_write().await?;
        let insert = sql(
            "INSERT INTO action_plans (id, account_id, name, created_at) \
             SELECT $1, a.id, $3, $4 FROM accounts a WHERE a.id = $2",
        )
        .param(DbId(id))
        .param(DbId(account_id))
        .param(new.name.clone())
        .param(now);
        if execute(insert, DB::on_conn(&mut tx)).await? == 0 {
            return Err(StoreError::NotFound);
        }
        for (position, step) in new.steps.iter().enumerate() {
            let add = sql(
                "INSERT INTO action_plan_steps (action_plan_id, position, webhook_id, delay_seconds) \
                 SELECT $1, $2, w.id, $4 FROM webhooks w WHERE w.id = $3 AND w.account_id = $5",
            )
            .param(DbId(id))
            .param(position as i32)
            .param(DbId(step.webhook_id))
            .param(step.delay_seconds)
            .param(DbId(account_id));
            if execute(add, DB::on_conn(&mut tx)).await? == 0 {
                return Err(StoreError::NotFound);
            }
        }
        tx.commit().await?;
        Ok(ActionPlan {
            id,
            account_id,
            name: new.name.clone(),
            steps: new.steps.clone(),
            created_at: now.0,
        })
    }

    async fn get_action_plan(&self, account_id: Uuid, id: Uuid) -> Result<ActionPlan, StoreError> {
        let query = sql("SELECT id, account_id, name, created_at FROM action_plans \
             WHERE id = $1 AND account_id = $2")
        .param(DbId(id))
        .param(DbId(account_id));
        let rows = self.read_all(query).await?;
        self.plans_with_steps(account_id, rows)
            .await?
            .into_iter()
            .next()
            .ok_or(StoreError::NotFound)
    }

    async fn list_action_plans(
        &self,
        account_id: Uuid,
        page: Page,
    ) -> Result<Vec<ActionPlan>, StoreError> {
        let query = sql(
            "SELECT id, account_id, name, created_at FROM action_plans WHERE account_id = $1 \
             AND id < $2 ORDER BY id DESC LIMIT $3",
        )
        .param(DbId(account_id))
        .param(DbId(page.upper_bound()))
        .param(page.limit);
        let rows = self.read_all(query).await?;
        self.plans_with_steps(account_id, rows).await
    }
}
