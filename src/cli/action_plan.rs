//! `leadpost action-plan create`: webhooks of an account to call, in order,
//! each after its delay.

use anyhow::Context as _;
use clap::Subcommand;
use uuid::Uuid;

use super::audit::record;
use super::webhook::setup_error;
use crate::actions::{ActionPlanRequest, StepRequest};
use crate::service::audit::AuditAction;
use crate::service::automation;
use crate::store::Store;

#[derive(Subcommand)]
pub enum ActionPlanCommand {
    /// Create an action plan and print its id.
    Create {
        /// The account's id.
        #[arg(long)]
        account: Uuid,
        #[arg(long)]
        name: String,
        /// A step as `WEBHOOK_ID[:DELAY_SECONDS]`, in order; may be repeated.
        #[arg(long = "step", value_name = "WEBHOOK_ID[:DELAY_SECONDS]")]
        steps: Vec<String>,
    },
}

/// Run one `action-plan` command.
pub async fn run(store: &dyn Store, command: ActionPlanCommand) -> anyhow::Result<()> {
    let ActionPlanCommand::Create {
        account,
        name,
        steps,
    } = command;
    let mut parsed = Vec::new();
    for step in steps {
        let (id, delay) = match step.split_once(':') {
            Some((id, delay)) => (id, delay.trim().parse::<i64>().ok()),
            None => (step.as_str(), Some(0)),
        };
        let delay =
            delay.with_context(|| format!("--step {step:?}: delay must be whole seconds"))?;
        let webhook_id = Uuid::parse_str(id.trim())
            .with_context(|| format!("--step {step:?}: not a webhook id"))?;
        parsed.push(StepRequest {
            webhook_id,
            delay_seconds: delay,
        });
    }
    let request = ActionPlanRequest {
        name: Some(name),
        steps: parsed,
    };
    let plan = automation::create_action_plan(store, account, request)
        .await
        .map_err(|e| setup_error(e, account))?;
    let action = AuditAction::new("action_plan", "create");
    record(store, Some(account), action, Some(plan.id)).await;
    println!("action plan id: {}", plan.id);
    Ok(())
}
