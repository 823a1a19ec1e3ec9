//! IAM-style API scopes: `<resource>:<read|write>`, with `<resource>:*` and `*` wildcards,
//! and the rule that keeps a key from handing out more than it holds.

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
    /// The reference exchange rates, which every account of the deployment shares.
    FxRates,
    /// The account's webhook endpoints and their delivery logs.
    Webhooks,
    /// Clicks the merchant's site reports (`clicks:write`).
    Clicks,
}

impl Resource {
    pub const ALL: [Resource; 12] = [
        Resource::PartnerGroups,
        Resource::Partners,
        Resource::Campaigns,
        Resource::Referrals,
        Resource::Commissions,
        Resource::Payouts,
        Resource::Events,
        Resource::Account,
        Resource::ApiKeys,
        Resource::FxRates,
        Resource::Webhooks,
        Resource::Clicks,
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
            Resource::FxRates => "fx_rates",
            Resource::Webhooks => "webhooks",
            Resource::Clicks => "clicks",
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

    /// Every concrete scope: each resource, read and write.
    pub fn all() -> impl Iterator<Item = Scope> {
        Resource::ALL.into_iter().flat_map(|resource| {
            [Access::Read, Access::Write].map(|access| Scope::new(resource, access))
        })
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

/// The concrete scopes `requested` covers that `held` does not, in
/// [`Scope::all`] order. Empty means a holder of `held` may grant (or revoke)
/// `requested`: a wildcard is judged by every scope it covers, so
/// `partners:*` needs both `partners:read` and `partners:write`, and `*` needs
/// everything.
pub fn not_held(requested: &[String], held: &[String]) -> Vec<Scope> {
    let requested: Vec<ScopeGrant> = requested
        .iter()
        .filter_map(|g| ScopeGrant::parse(g).ok())
        .collect();
    Scope::all()
        .filter(|scope| requested.iter().any(|g| g.covers(*scope)) && !granted(held, *scope))
        .collect()
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
    fn all_lists_each_resource_read_and_write_once() {
        let all: Vec<Scope> = Scope::all().collect();
        assert_eq!(all.len(), Resource::ALL.len() * 2);
        assert_eq!(all[0], READ);
        assert_eq!(all[1], WRITE);
        assert!(all.contains(&Scope::new(Resource::ApiKeys, Access::Write)));
    }

    #[test]
    fn a_grant_is_allowed_only_when_every_scope_it_covers_is_held() {
        let names = |scopes: Vec<Scope>| -> Vec<String> {
            scopes.iter().map(ToString::to_string).collect()
        };
        let read_write = grants(&["partners:read", "partners:write"]);
        assert!(not_held(&grants(&["partners:*"]), &read_write).is_empty());
        assert!(not_held(&grants(&["partners:read"]), &grants(&["partners:*"])).is_empty());
        assert!(not_held(&grants(&["*"]), &grants(&["*"])).is_empty());
        assert_eq!(
            names(not_held(
                &grants(&["partners:*"]),
                &grants(&["partners:read"])
            )),
            vec!["partners:write"]
        );
        assert_eq!(
            names(not_held(
                &grants(&["campaigns:read", "partners:read"]),
                &read_write
            )),
            vec!["campaigns:read"]
        );
        let everything_but_one: Vec<String> = Scope::all()
            .filter(|s| *s != Scope::new(Resource::ApiKeys, Access::Write))
            .map(|s| s.to_string())
            .collect();
        assert_eq!(
            names(not_held(&grants(&["*"]), &everything_but_one)),
            vec!["api_keys:write"],
            "`*` needs every scope, not most"
        );
        let wildcards: Vec<String> = Resource::ALL
            .iter()
            .map(|r| format!("{}:*", r.name()))
            .collect();
        assert!(
            not_held(&grants(&["*"]), &wildcards).is_empty(),
            "every resource's wildcard holds everything"
        );
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
