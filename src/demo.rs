//! Demo mode: the demo account and lead source (fixed, documented keys) that the
//! page at `/` and `leadpost demo` use, created idempotently.

use std::sync::Arc;

use uuid::Uuid;

use crate::store::{NewAccount, NewLeadSource, Store, StoreError};

/// The demo account's name.
pub const DEMO_ACCOUNT_NAME: &str = "Demo";
/// The demo account's web_key (runs the account's default plan).
pub const DEMO_WEB_KEY: &str = "demo_web_key";
/// The demo lead source's name.
pub const DEMO_LEAD_SOURCE_NAME: &str = "Demo website";
/// The demo lead source's web_key (runs its connection plan).
pub const DEMO_LEAD_SOURCE_KEY: &str = "demo_lead_source_key";

/// The demo objects, as found or created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Demo {
    pub account_id: Uuid,
    pub lead_source_id: Uuid,
    /// Whether this call created the account (false when it already existed).
    pub created: bool,
}

/// Why the demo could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("the demo key {0} belongs to another account")]
    KeyTaken(&'static str),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Find or create the demo account (hosted thank-you pages on) and its lead source.
/// Safe to run again, and from several processes at once.
pub async fn ensure(store: &Arc<dyn Store>) -> Result<Demo, DemoError> {
    let (account_id, created) = match store.find_key_owner(DEMO_WEB_KEY).await? {
        Some(owner) => (owner.account_id, false),
        None => {
            let made = store
                .create_account(&NewAccount {
                    name: DEMO_ACCOUNT_NAME.into(),
                    web_key: Some(DEMO_WEB_KEY.into()),
                    ..Default::default()
                })
                .await;
            match made {
                Ok(account) => (account.id, true),
                // Another process created it a moment ago.
                Err(StoreError::Conflict(_)) => match store.find_key_owner(DEMO_WEB_KEY).await? {
                    Some(owner) => (owner.account_id, false),
                    None => return Err(DemoError::KeyTaken(DEMO_WEB_KEY)),
                },
                Err(e) => return Err(e.into()),
            }
        }
    };
    store.set_hosted_pages(account_id, true).await?;
    let lead_source_id = match find_source(store, account_id).await? {
        Some(id) => id,
        None => {
            let made = store
                .create_lead_source(
                    account_id,
                    &NewLeadSource {
                        name: DEMO_LEAD_SOURCE_NAME.into(),
                        action_plan_id: None,
                        web_key: Some(DEMO_LEAD_SOURCE_KEY.into()),
                    },
                )
                .await;
            match made {
                Ok(source) => source.id,
                Err(StoreError::Conflict(_)) => find_source(store, account_id)
                    .await?
                    .ok_or(DemoError::KeyTaken(DEMO_LEAD_SOURCE_KEY))?,
                Err(e) => return Err(e.into()),
            }
        }
    };
    Ok(Demo {
        account_id,
        lead_source_id,
        created,
    })
}

/// The demo lead source's id, when its key exists and is the demo account's.
async fn find_source(store: &Arc<dyn Store>, account_id: Uuid) -> Result<Option<Uuid>, DemoError> {
    match store.find_key_owner(DEMO_LEAD_SOURCE_KEY).await? {
        None => Ok(None),
        Some(owner) => match owner.lead_source {
            Some(source) if owner.account_id == account_id => Ok(Some(source.id)),
            _ => Err(DemoError::KeyTaken(DEMO_LEAD_SOURCE_KEY)),
        },
    }
}

/// What a newcomer needs to try the demo at `base` (`http://host:port`).
pub fn instructions(base: &str) -> String {
    format!(
        "Demo account \"{DEMO_ACCOUNT_NAME}\" is ready (hosted thank-you pages on).\n\
         web_key:             {DEMO_WEB_KEY}\n\
         lead source web_key: {DEMO_LEAD_SOURCE_KEY} (\"{DEMO_LEAD_SOURCE_NAME}\")\n\
         demo page:           {base}/\n\
         \n\
         Post a lead:\n\
         curl -i {base}{path} \\\n  \
           -d web_key={DEMO_WEB_KEY} -d firstName=Ann -d lastName=Lee \\\n  \
           -d phone=8015551234 -d email=ann@example.com -d notes='Call after 5'\n",
        path = crate::intake::PATH,
    )
}
