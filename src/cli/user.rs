//! `leadpost user create`: a person who logs in to the console, optionally an operator and a
//! member of one account. Without `--password-stdin` the person gets a one-use invite link where
//! they set their password (printed here, the only place it appears).

use std::io::BufRead as _;

use anyhow::Context as _;
use clap::Subcommand;
use serde::Serialize;
use uuid::Uuid;

use super::output::{fail, print_json};
use super::table::print_fields;
use crate::config::Settings;
use crate::service::accounts;
use crate::service::people::{self, AddMember, CreateUser, CreatedUser, PeoplePolicy};
use crate::store::Store;

#[derive(Subcommand)]
pub enum UserCommand {
    /// Create a user; print its id and, without a password, its invite link.
    Create {
        #[arg(long)]
        email: String,
        /// Sees and manages every account.
        #[arg(long)]
        operator: bool,
        /// Make the user a member of this account (with --role).
        #[arg(long, requires = "role")]
        account: Option<Uuid>,
        /// The member's role in --account.
        #[arg(long, requires = "account", value_parser = ["owner", "member", "viewer"])]
        role: Option<String>,
        /// Read the password (10 to 1,024 characters) from the first line of standard input
        /// instead of making an invite link.
        #[arg(long)]
        password_stdin: bool,
    },
}

/// What `user create --json` prints: the admin API's user, and the membership when one was made.
#[derive(Serialize)]
struct UserCreated {
    #[serde(flatten)]
    user: CreatedUser,
    #[serde(skip_serializing_if = "Option::is_none")]
    membership: Option<Membership>,
}

#[derive(Serialize)]
struct Membership {
    account_id: Uuid,
    role: String,
}

/// Run one `user` command.
pub async fn run(
    store: &dyn Store,
    settings: &Settings,
    command: UserCommand,
    json: bool,
) -> anyhow::Result<()> {
    let UserCommand::Create {
        email,
        operator,
        account,
        role,
        password_stdin,
    } = command;
    let password = password_stdin.then(read_password).transpose()?;
    // The account first, so a wrong id leaves no user behind.
    if let Some(account) = account {
        accounts::get(store, account)
            .await
            .map_err(|e| fail(e, Some(account)))?;
    }
    let policy = PeoplePolicy::from_settings(settings);
    let input = CreateUser {
        email,
        password,
        operator: Some(operator),
    };
    let user = people::create_user(store, &policy, input)
        .await
        .map_err(|e| fail(e, None))?;
    let membership = match (account, role) {
        (Some(account_id), Some(role)) => {
            let input = AddMember {
                email: user.email.clone(),
                role: role.clone(),
            };
            people::add_member(store, &policy, account_id, input)
                .await
                .map_err(|e| fail(e, Some(account_id)))?;
            Some(Membership { account_id, role })
        }
        _ => None,
    };
    let created = UserCreated { user, membership };
    if json {
        return print_json(&created);
    }
    print_created(&created);
    Ok(())
}

/// The first line of standard input, without its line ending.
fn read_password() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the password from standard input")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

fn print_created(created: &UserCreated) {
    let user = &created.user;
    let mut fields = vec![
        ("user id", user.id.to_string()),
        ("email", user.email.clone()),
        (
            "operator",
            if user.operator { "yes" } else { "no" }.to_string(),
        ),
    ];
    if let Some(m) = &created.membership {
        fields.push(("role", format!("{} of account {}", m.role, m.account_id)));
    }
    if let Some(url) = &user.invite_url {
        fields.push((
            "invite_url",
            format!("{url}   (one use: send it to the person)"),
        ));
    }
    print_fields(&fields);
}
