//! IAM-style API scopes: `<resource>:<read|write>`, with `<resource>:*` and `*` wildcards.

use std::fmt;

use crate::validation::FieldError;

/// Everything a key can be granted access to (SPEC §1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resource {
    PartnerGroups,
    Partners,
    Campaigns,
    Referrals,
    Commissions,
    Payouts,
    Events,
    Account,
    ApiKeys,
}

impl Resource {
    pub const ALL: [Resource; 9] = [
        Resource::PartnerGroups,
        Resource::Partners,
        Resource::Campaigns,
        Resource::Referrals,
        Resource::Commissions,
        Resource::Payouts,
        Resource::Events,
        Resource::Account,
        Resource::ApiKeys,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Resource::PartnerGroups => "partner_groups",
            Resource::Partners => "partners",
            Resource::Campaigns => "campaigns",
            Resource::Referrals => "referrals",
            Resource::Commissions => "commissions",
            Resource::Payouts => "payouts",
            Resource::Events => "events",
            Resource::Account => "account",
            Resource::ApiKeys => "api_keys",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.name() == name)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
}

impl Access {
    fn name(self) -> &'static str {
        match self {
            Access::Read => "read",
            Access::Write => "write",
        }
    }
}

/// The one scope a route requires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scope {
    pub resource: Resource,
    pub access: Access,
}

impl Scope {
    pub const fn new(resource: Resource, access: Access) -> Self {
        Self { resource, access }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.resource.name(), self.access.name())
    }
}

/// One entry of a key's scope list, possibly a wildcard.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScopeGrant {
    Everything,
    AllOf(Resource),
    Exactly(Scope),
}

impl ScopeGrant {
    pub fn parse(text: &str) -> Result<Self, FieldError> {
        if text == "*" {
            return Ok(ScopeGrant::Everything);
        }
        let invalid = || {
            FieldError::new(
                "",
                format!(
                    "`{text}` is not a scope; use `<resource>:read`, `<resource>:write`, `<resource>:*` or `*`"
                ),
            )
        };
        let (resource, access) = text.split_once(':').ok_or_else(invalid)?;
        let resource = Resource::from_name(resource).ok_or_else(invalid)?;
        match access {
            "*" => Ok(ScopeGrant::AllOf(resource)),
            "read" => Ok(ScopeGrant::Exactly(Scope::new(resource, Access::Read))),
            "write" => Ok(ScopeGrant::Exactly(Scope::new(resource, Access::Write))),
            _ => Err(invalid()),
        }
    }

    pub fn covers(self, scope: Scope) -> bool {
        match self {
            ScopeGrant::Everything => true,
            ScopeGrant::AllOf(resource) => resource == scope.resource,
            ScopeGrant::Exactly(exact) => exact == scope,
        }
    }
}

/// Whether any of `grants` covers `scope`. Unparseable grants grant nothing.
pub fn granted<'a>(grants: impl IntoIterator<Item = &'a String>, scope: Scope) -> bool {
    grants
        .into_iter()
        .filter_map(|g| ScopeGrant::parse(g).ok())
        .any(|g| g.covers(scope))
}

#[cfg(test)]
mod tests {
    use super::*;

    const READ: Scope = Scope::new(Resource::PartnerGroups, Access::Read);
    const WRITE: Scope = Scope::new(Resource::PartnerGroups, Access::Write);

    fn grants(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn exact_scopes_cover_only_themselves() {
        assert!(granted(&grants(&["partner_groups:read"]), READ));
        assert!(!granted(&grants(&["partner_groups:read"]), WRITE));
        assert!(!granted(&grants(&["partners:read"]), READ));
    }

    #[test]
    fn wildcards_cover_their_resource_or_everything() {
        assert!(granted(&grants(&["partner_groups:*"]), WRITE));
        assert!(!granted(&grants(&["partners:*"]), WRITE));
        assert!(granted(&grants(&["*"]), WRITE));
    }

    #[test]
    fn malformed_grants_are_rejected_and_grant_nothing() {
        for bad in [
            "partner_groups",
            "partner_groups:admin",
            "nope:read",
            "*:read",
            "",
        ] {
            assert!(ScopeGrant::parse(bad).is_err(), "{bad}");
            assert!(!granted(&grants(&[bad]), READ), "{bad}");
        }
    }

    #[test]
    fn scopes_print_as_documented() {
        assert_eq!(WRITE.to_string(), "partner_groups:write");
        assert_eq!(
            Scope::new(Resource::ApiKeys, Access::Read).to_string(),
            "api_keys:read"
        );
    }
}
