//! `leadpost api-token create`: an account API token (`lpat_…`) with a scope and an optional
//! expiry. The token is printed once; the store keeps only its hash.

use clap::Subcommand;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

use super::output::{fail, print_json};
use super::table::{print_fields, when};
use crate::service::credentials::{self, CreateApiToken};
use crate::store::Store;

#[derive(Subcommand)]
pub enum ApiTokenCommand {
    /// Create an API token for an account and print it (shown once).
    Create {
        /// The account's id.
        #[arg(long)]
        account: Uuid,
        /// What the token is for, for people.
        #[arg(long)]
        name: String,
        /// `read` (a viewer), `write` (a member) or `owner`.
        #[arg(long, value_parser = ["read", "write", "owner"])]
        scope: String,
        /// Refuse the token after this many days (default: it does not expire).
        #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
        expires_in_days: Option<u16>,
    },
}

/// Run one `api-token` command.
pub async fn run(store: &dyn Store, command: ApiTokenCommand, json: bool) -> anyhow::Result<()> {
    let ApiTokenCommand::Create {
        account,
        name,
        scope,
        expires_in_days,
    } = command;
    let expires_at = expires_in_days
        .map(|days| {
            (OffsetDateTime::now_utc() + time::Duration::days(i64::from(days))).format(&Rfc3339)
        })
        .transpose()?;
    let input = CreateApiToken {
        name,
        scope,
        expires_at,
    };
    let token = credentials::create_api_token(store, account, input)
        .await
        .map_err(|e| fail(e, Some(account)))?;
    if json {
        return print_json(&token);
    }
    print_fields(&[
        ("api token id", token.id.to_string()),
        ("name", token.name.clone()),
        ("scope", token.scope.to_string()),
        (
            "expires",
            token.expires_at.as_ref().map_or("never".into(), when),
        ),
        ("token", format!("{}   (shown once: keep it)", token.token)),
    ]);
    Ok(())
}
