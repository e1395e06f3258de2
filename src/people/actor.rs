//! Who is acting: the caller of the admin API, the CLI or the console, as the
//! service layer and the audit log see it.

use std::net::IpAddr;

use uuid::Uuid;

use super::TokenScope;

/// The identity behind a request or a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// The configured admin token: every account.
    Operator,
    /// A signed-in person (an operator when `operator` is set).
    User { id: Uuid, operator: bool },
    /// An account API token: its own account only, within its scope.
    Token {
        id: Uuid,
        account_id: Uuid,
        scope: TokenScope,
    },
    /// The command line on the server: every account.
    Cli,
}

impl Actor {
    /// `operator`, `user`, `token` or `cli`, as the audit log spells it.
    pub fn kind(&self) -> &'static str {
        match self {
            Actor::Operator => "operator",
            Actor::User { .. } => "user",
            Actor::Token { .. } => "token",
            Actor::Cli => "cli",
        }
    }

    /// The user's or token's id; `None` for the admin token and the CLI.
    pub fn id(&self) -> Option<Uuid> {
        match self {
            Actor::User { id, .. } | Actor::Token { id, .. } => Some(*id),
            Actor::Operator | Actor::Cli => None,
        }
    }

    /// Sees and manages every account.
    pub fn is_operator(&self) -> bool {
        matches!(
            self,
            Actor::Operator | Actor::Cli | Actor::User { operator: true, .. }
        )
    }
}

/// An actor and where the request came from (for the audit log).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub actor: Actor,
    /// The client address of the request (none for the CLI).
    pub ip: Option<IpAddr>,
}

impl Caller {
    /// The command line on this machine.
    pub fn cli() -> Self {
        Caller {
            actor: Actor::Cli,
            ip: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_admin_token_and_the_cli_have_no_id_but_are_operators() {
        for actor in [Actor::Operator, Actor::Cli] {
            assert_eq!(actor.id(), None);
            assert!(actor.is_operator());
        }
        assert_eq!(Actor::Operator.kind(), "operator");
        assert_eq!(Actor::Cli.kind(), "cli");
    }

    #[test]
    fn a_token_is_never_an_operator() {
        let token = Actor::Token {
            id: Uuid::nil(),
            account_id: Uuid::nil(),
            scope: TokenScope::Owner,
        };
        assert!(!token.is_operator());
        assert_eq!(token.kind(), "token");
        assert_eq!(token.id(), Some(Uuid::nil()));
    }
}
