//! Who may call which admin route, decided in one place: [`RULES`] maps each route (method and
//! path template, as in the router) to what it needs, and [`authorize`] applies it to the caller
//! before any handler runs.
//!
//! A route inside one account names the [`Capability`] it needs and where its account is found: the
//! `{id}` of `/accounts/{id}/…`, or the account of the object named by the path (`/clients/{id}`,
//! `/jobs/{id}`). A caller who cannot see that account gets 404, as if it did not exist (ids do
//! not leak); one who can, with too small a role or scope, gets 403. A route missing from the table
//! is for operators only, the safe default.
//!
//! Adding a route: add its row here, next to its `.routes(...)` line in the router.

use axum::http::Method;
use uuid::Uuid;

use super::error::AdminError;
use crate::people::{Actor, Capability, TokenScope};
use crate::service::ServiceError;
use crate::service::credentials::{account_of, reach};
use crate::store::{OwnedObject, Store};

/// Where a route's account is found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountFrom {
    /// The path parameter `{id}` of `/accounts/{id}/…`.
    Path,
    /// The account of the object whose id is the path parameter `{id}`.
    Object(OwnedObject, &'static str),
}

/// What a route needs from its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Operators only: the admin token and operator users.
    Operator,
    /// A person or an operator, never an account API token (e.g. `/me`, the account list).
    Person,
    /// This capability in the account found so.
    InAccount(Capability, AccountFrom),
}

/// One row of the table: a method, a path template and what it needs.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub method: &'static str,
    pub path: &'static str,
    pub need: Need,
}

const fn account(method: &'static str, path: &'static str, capability: Capability) -> Rule {
    Rule {
        method,
        path,
        need: Need::InAccount(capability, AccountFrom::Path),
    }
}

const fn object(
    method: &'static str,
    path: &'static str,
    capability: Capability,
    object: OwnedObject,
    what: &'static str,
) -> Rule {
    Rule {
        method,
        path,
        need: Need::InAccount(capability, AccountFrom::Object(object, what)),
    }
}

const fn global(method: &'static str, path: &'static str, need: Need) -> Rule {
    Rule { method, path, need }
}

use Capability::{ActOnLeads, ManageAccount, ManagePeopleAndKeys, Read};

/// Every admin route that is not operator-only.
pub const RULES: &[Rule] = &[
    global("GET", "/admin/v1/accounts", Need::Person),
    global("GET", "/admin/v1/me", Need::Person),
    global("POST", "/admin/v1/me/password", Need::Person),
    account("GET", "/admin/v1/accounts/{id}", Read),
    account("PATCH", "/admin/v1/accounts/{id}", ManageAccount),
    account("POST", "/admin/v1/accounts/{id}/rotate-key", ManageAccount),
    account("GET", "/admin/v1/accounts/{id}/notifications", Read),
    account(
        "PATCH",
        "/admin/v1/accounts/{id}/notifications/{notification_id}",
        ActOnLeads,
    ),
    account("GET", "/admin/v1/accounts/{id}/submissions", Read),
    account("GET", "/admin/v1/accounts/{id}/jobs", Read),
    object(
        "POST",
        "/admin/v1/jobs/{id}/retry",
        ActOnLeads,
        OwnedObject::Job,
        "job",
    ),
    account("GET", "/admin/v1/accounts/{id}/webhooks", Read),
    account("POST", "/admin/v1/accounts/{id}/webhooks", ManageAccount),
    account("GET", "/admin/v1/accounts/{id}/action-plans", Read),
    account(
        "POST",
        "/admin/v1/accounts/{id}/action-plans",
        ManageAccount,
    ),
    object(
        "POST",
        "/admin/v1/clients/{id}/send-webhook/{webhook_id}",
        ActOnLeads,
        OwnedObject::Client,
        "client",
    ),
    account("GET", "/admin/v1/accounts/{id}/spam", Read),
    account("PATCH", "/admin/v1/accounts/{id}/spam", ManageAccount),
    account(
        "PATCH",
        "/admin/v1/accounts/{id}/lead-sources/{source_id}",
        ManageAccount,
    ),
    object(
        "POST",
        "/admin/v1/submissions/{id}/release",
        ActOnLeads,
        OwnedObject::Submission,
        "submission",
    ),
    object(
        "POST",
        "/admin/v1/clients/{id}/spam",
        ActOnLeads,
        OwnedObject::Client,
        "client",
    ),
    account("GET", "/admin/v1/accounts/{id}/clients", Read),
    account("GET", "/admin/v1/accounts/{id}/clients/{client_id}", Read),
    account("GET", "/admin/v1/accounts/{id}/clients.csv", Read),
    object(
        "GET",
        "/admin/v1/clients/{id}",
        Read,
        OwnedObject::Client,
        "client",
    ),
    account("GET", "/admin/v1/accounts/{id}/lead-sources", Read),
    account(
        "POST",
        "/admin/v1/accounts/{id}/lead-sources",
        ManageAccount,
    ),
    account(
        "GET",
        "/admin/v1/accounts/{id}/lead-sources/{source_id}",
        Read,
    ),
    account(
        "POST",
        "/admin/v1/accounts/{id}/lead-sources/{source_id}/rotate-key",
        ManageAccount,
    ),
    account(
        "GET",
        "/admin/v1/accounts/{id}/members",
        ManagePeopleAndKeys,
    ),
    account(
        "POST",
        "/admin/v1/accounts/{id}/members",
        ManagePeopleAndKeys,
    ),
    account(
        "PATCH",
        "/admin/v1/accounts/{id}/members/{user_id}",
        ManagePeopleAndKeys,
    ),
    account(
        "DELETE",
        "/admin/v1/accounts/{id}/members/{user_id}",
        ManagePeopleAndKeys,
    ),
    account(
        "GET",
        "/admin/v1/accounts/{id}/api-tokens",
        ManagePeopleAndKeys,
    ),
    account(
        "POST",
        "/admin/v1/accounts/{id}/api-tokens",
        ManagePeopleAndKeys,
    ),
    account(
        "DELETE",
        "/admin/v1/accounts/{id}/api-tokens/{token_id}",
        ManagePeopleAndKeys,
    ),
    account(
        "POST",
        "/admin/v1/accounts/{id}/lead-sources/{source_id}/rotate-inbound-token",
        ManageAccount,
    ),
    account(
        "GET",
        "/admin/v1/accounts/{id}/lead-sources/{source_id}/parsers",
        Read,
    ),
    account(
        "POST",
        "/admin/v1/accounts/{id}/lead-sources/{source_id}/parsers",
        ManageAccount,
    ),
    account(
        "GET",
        "/admin/v1/accounts/{id}/lead-sources/{source_id}/parsers/{parser_id}",
        Read,
    ),
    account(
        "PUT",
        "/admin/v1/accounts/{id}/lead-sources/{source_id}/parsers/{parser_id}",
        ManageAccount,
    ),
    account(
        "DELETE",
        "/admin/v1/accounts/{id}/lead-sources/{source_id}/parsers/{parser_id}",
        ManageAccount,
    ),
    account(
        "POST",
        "/admin/v1/accounts/{id}/lead-sources/{source_id}/parsers/test",
        ActOnLeads,
    ),
    object(
        "POST",
        "/admin/v1/submissions/{id}/reparse",
        ActOnLeads,
        OwnedObject::Submission,
        "submission",
    ),
];

/// What the route needs; a route not in the table is operator-only. HEAD is read as GET.
pub fn need(method: &Method, path: &str) -> Need {
    let method = if method == Method::HEAD {
        "GET"
    } else {
        method.as_str()
    };
    RULES
        .iter()
        .find(|rule| rule.method == method && rule.path == path)
        .map_or(Need::Operator, |rule| rule.need)
}

fn forbidden(reason: &str) -> AdminError {
    ServiceError::Forbidden(reason.to_string()).into()
}

/// Whether `actor` may call the route `method` `path` with the path parameter `id`: 404 for an
/// account (or an account's object) it cannot see, 403 for what its role or scope does not allow.
pub async fn authorize(
    store: &dyn Store,
    actor: &Actor,
    method: &Method,
    path: &str,
    id: Option<&str>,
) -> Result<(), AdminError> {
    if actor.is_operator() {
        return Ok(());
    }
    if matches!(
        actor,
        Actor::Token {
            scope: TokenScope::Read,
            ..
        }
    ) && !matches!(*method, Method::GET | Method::HEAD)
    {
        return Err(forbidden("a read token may only read"));
    }
    let (capability, from) = match need(method, path) {
        Need::Operator => return Err(forbidden("this route is for operators only")),
        Need::Person if matches!(actor, Actor::Token { .. }) => {
            return Err(forbidden("an account API token may not use this route"));
        }
        Need::Person => return Ok(()),
        Need::InAccount(capability, from) => (capability, from),
    };
    let parse = |what: &'static str| -> Result<Uuid, AdminError> {
        id.and_then(|s| Uuid::parse_str(s.trim()).ok())
            .ok_or(ServiceError::NotFound(what).into())
    };
    let (account_id, what) = match from {
        AccountFrom::Path => (parse("account")?, "account"),
        AccountFrom::Object(object, what) => {
            let account = account_of(store, object, parse(what)?).await?;
            (account.ok_or(ServiceError::NotFound(what))?, what)
        }
    };
    let reach = reach(store, actor, account_id).await.map_err(|e| match e {
        ServiceError::NotFound(_) => ServiceError::NotFound(what),
        other => other,
    })?;
    if reach.allows(capability) {
        Ok(())
    } else {
        Err(forbidden("your role in this account does not allow this"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_route_missing_from_the_table_is_for_operators() {
        assert_eq!(need(&Method::POST, "/admin/v1/accounts"), Need::Operator);
        assert_eq!(need(&Method::GET, "/admin/v1/users"), Need::Operator);
        assert_eq!(need(&Method::GET, "/admin/v1/no-such"), Need::Operator);
    }

    #[test]
    fn head_reads_like_get() {
        assert_eq!(
            need(&Method::HEAD, "/admin/v1/accounts/{id}"),
            Need::InAccount(Read, AccountFrom::Path)
        );
    }

    #[test]
    fn people_and_keys_are_owner_business() {
        for rule in RULES
            .iter()
            .filter(|r| r.path.contains("/members") || r.path.contains("/api-tokens"))
        {
            assert_eq!(
                rule.need,
                Need::InAccount(ManagePeopleAndKeys, AccountFrom::Path),
                "{} {}",
                rule.method,
                rule.path
            );
        }
    }

    #[test]
    fn no_route_is_listed_twice() {
        for (i, a) in RULES.iter().enumerate() {
            for b in &RULES[i + 1..] {
                assert!(
                    a.method != b.method || a.path != b.path,
                    "{} {}",
                    a.method,
                    a.path
                );
            }
        }
    }
}
