//! Roles, token scopes and what each may do inside one account.
//!
//! A user belongs to an account with a [`Role`]; an account API token carries a [`TokenScope`] that
//! acts as a role, except that a token never manages people or keys (people manage people and keys).
//! Operators stand outside this table: they may do everything in every account.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use super::InputError;

/// A membership's role, ordered by what it allows: `Viewer < Member < Owner`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads the account.
    Viewer,
    /// Reads the account and acts on its leads.
    Member,
    /// Does everything in the account, including its people and keys.
    Owner,
}

impl Role {
    /// Every role, from least to most allowed.
    pub const ALL: [Role; 3] = [Role::Viewer, Role::Member, Role::Owner];

    /// Parse `owner`, `member` or `viewer` (exactly, as the API and CLI spell them).
    pub fn parse(s: &str) -> Result<Self, InputError> {
        match s {
            "owner" => Ok(Role::Owner),
            "member" => Ok(Role::Member),
            "viewer" => Ok(Role::Viewer),
            _ => Err(InputError::UnknownRole),
        }
    }

    /// The role's name as the API, the CLI and the store spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Member => "member",
            Role::Viewer => "viewer",
        }
    }

    /// Whether this role may do `capability` in its account.
    pub fn allows(self, capability: Capability) -> bool {
        self >= capability.least_role()
    }
}

impl FromStr for Role {
    type Err = InputError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::parse(s)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The scope of an account API token: `read`, `write` or `owner`, acting as the viewer, member and
/// owner roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TokenScope {
    /// Acts as a viewer: reads only.
    Read,
    /// Acts as a member: reads and acts on leads.
    Write,
    /// Acts as an owner, except for members and API tokens.
    Owner,
}

impl TokenScope {
    /// Every scope, from least to most allowed.
    pub const ALL: [TokenScope; 3] = [TokenScope::Read, TokenScope::Write, TokenScope::Owner];

    /// Parse `read`, `write` or `owner` (exactly, as the API and CLI spell them).
    pub fn parse(s: &str) -> Result<Self, InputError> {
        match s {
            "read" => Ok(TokenScope::Read),
            "write" => Ok(TokenScope::Write),
            "owner" => Ok(TokenScope::Owner),
            _ => Err(InputError::UnknownScope),
        }
    }

    /// The scope's name as the API, the CLI and the store spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenScope::Read => "read",
            TokenScope::Write => "write",
            TokenScope::Owner => "owner",
        }
    }

    /// The role this scope acts as.
    pub fn role(self) -> Role {
        match self {
            TokenScope::Read => Role::Viewer,
            TokenScope::Write => Role::Member,
            TokenScope::Owner => Role::Owner,
        }
    }

    /// Whether a token of this scope may do `capability` in its account: what its role may, but never
    /// managing people or keys.
    pub fn allows(self, capability: Capability) -> bool {
        capability != Capability::ManagePeopleAndKeys && self.role().allows(capability)
    }
}

impl FromStr for TokenScope {
    type Err = InputError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TokenScope::parse(s)
    }
}

impl fmt::Display for TokenScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a request asks to do inside one account; each route names the one it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Capability {
    /// Read the account: leads, notifications, submissions, jobs, sources, automations, settings.
    Read,
    /// Act on leads: notes, tags, spam / not spam, release, send a webhook, retry a job, reparse.
    ActOnLeads,
    /// Everything else in the account: sources, automations, settings, erasure, and reading the audit.
    ManageAccount,
    /// Read and change the account's members and API tokens.
    ManagePeopleAndKeys,
}

impl Capability {
    /// Every capability, from the most to the least common.
    pub const ALL: [Capability; 4] = [
        Capability::Read,
        Capability::ActOnLeads,
        Capability::ManageAccount,
        Capability::ManagePeopleAndKeys,
    ];

    /// The least role that may do this: the whole table of who may do what.
    pub fn least_role(self) -> Role {
        match self {
            Capability::Read => Role::Viewer,
            Capability::ActOnLeads => Role::Member,
            Capability::ManageAccount | Capability::ManagePeopleAndKeys => Role::Owner,
        }
    }
}

/// How a non-operator reaches one account: as a member with a role, or with an API token's scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// A signed-in user's membership.
    Member(Role),
    /// An account API token.
    Token(TokenScope),
}

impl Access {
    /// Whether this access may do `capability`.
    pub fn allows(self, capability: Capability) -> bool {
        match self {
            Access::Member(role) => role.allows(capability),
            Access::Token(scope) => scope.allows(capability),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered_viewer_member_owner() {
        assert!(Role::Viewer < Role::Member);
        assert!(Role::Member < Role::Owner);
        assert_eq!(Role::ALL.iter().max(), Some(&Role::Owner));
    }

    #[test]
    fn roles_parse_their_own_names_back() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
    }

    #[test]
    fn an_unknown_role_names_the_choices() {
        for bad in ["admin", "Owner", " owner", ""] {
            let err = Role::parse(bad).unwrap_err();
            assert_eq!(err.to_string(), "must be one of owner, member, viewer");
        }
    }

    #[test]
    fn scopes_parse_their_own_names_back() {
        for scope in TokenScope::ALL {
            assert_eq!(scope.as_str().parse::<TokenScope>(), Ok(scope));
        }
    }

    #[test]
    fn an_unknown_scope_names_the_choices() {
        let err = TokenScope::parse("admin").unwrap_err();
        assert_eq!(err.to_string(), "must be one of read, write, owner");
    }

    #[test]
    fn scopes_act_as_viewer_member_and_owner() {
        assert_eq!(TokenScope::Read.role(), Role::Viewer);
        assert_eq!(TokenScope::Write.role(), Role::Member);
        assert_eq!(TokenScope::Owner.role(), Role::Owner);
    }

    #[test]
    fn a_viewer_only_reads() {
        let allowed: Vec<_> = Capability::ALL
            .into_iter()
            .filter(|c| Role::Viewer.allows(*c))
            .collect();
        assert_eq!(allowed, [Capability::Read]);
    }

    #[test]
    fn a_member_reads_and_acts_on_leads() {
        let allowed: Vec<_> = Capability::ALL
            .into_iter()
            .filter(|c| Role::Member.allows(*c))
            .collect();
        assert_eq!(allowed, [Capability::Read, Capability::ActOnLeads]);
    }

    #[test]
    fn an_owner_does_everything_in_the_account() {
        assert!(Capability::ALL.into_iter().all(|c| Role::Owner.allows(c)));
    }

    #[test]
    fn no_token_manages_people_or_keys() {
        for scope in TokenScope::ALL {
            assert!(!scope.allows(Capability::ManagePeopleAndKeys), "{scope}");
        }
    }

    #[test]
    fn an_owner_token_manages_the_account() {
        assert!(TokenScope::Owner.allows(Capability::ManageAccount));
        assert!(TokenScope::Owner.allows(Capability::ActOnLeads));
    }

    #[test]
    fn a_scope_allows_what_its_role_allows_apart_from_people_and_keys() {
        for scope in TokenScope::ALL {
            for capability in Capability::ALL {
                let expected = capability != Capability::ManagePeopleAndKeys
                    && scope.role().allows(capability);
                assert_eq!(scope.allows(capability), expected, "{scope} {capability:?}");
            }
        }
    }

    #[test]
    fn access_follows_the_role_or_the_scope() {
        let people = Capability::ManagePeopleAndKeys;
        assert!(Access::Member(Role::Owner).allows(people));
        assert!(!Access::Token(TokenScope::Owner).allows(people));
        assert!(!Access::Token(TokenScope::Read).allows(Capability::ActOnLeads));
    }

    #[test]
    fn roles_and_scopes_serialize_as_their_names() {
        let json = serde_json::to_string(&(Role::Member, TokenScope::Write));
        assert_eq!(json.ok().as_deref(), Some(r#"["member","write"]"#));
    }
}
