//! The API's paths as the tests call them: the collection routes several
//! test modules send to and the item paths they build, all under the one
//! API version the functions serve (`2026-02-01`).

pub const GROUPS: &str = "/2026-02-01/partners/groups.json";
pub const SIMULATE: &str = "/2026-02-01/partners/groups/simulate-rules.json";
pub const PARTNERS: &str = "/2026-02-01/partners.json";
pub const CAMPAIGNS: &str = "/2026-02-01/campaigns.json";
pub const REFERRALS: &str = "/2026-02-01/referrals.json";
pub const COMMISSIONS: &str = "/2026-02-01/commissions.json";
/// The billing-agnostic sale event.
pub const SALES: &str = "/2026-02-01/events/sale.json";
/// The billing-agnostic refund event.
pub const REFUNDS: &str = "/2026-02-01/events/refund.json";
/// A payout run started by hand.
pub const PAYOUT_RUN: &str = "/2026-02-01/payouts/run.json";
pub const ACCOUNT: &str = "/2026-02-01/account.json";
pub const KEYS: &str = "/2026-02-01/api_keys.json";

/// A well-formed id that no account holds.
pub const NOWHERE: &str = "68f76721000000000000abcd";

pub fn partner_path(id: &str) -> String {
    format!("/2026-02-01/partners/{id}.json")
}

pub fn referral_path(id: &str) -> String {
    format!("/2026-02-01/referrals/{id}.json")
}

pub fn commission_path(id: &str) -> String {
    format!("/2026-02-01/commissions/{id}.json")
}

/// A commission's `approve` or `deny` action.
pub fn commission_action_path(id: &str, action: &str) -> String {
    format!("/2026-02-01/commissions/{id}/{action}.json")
}

/// The account's Stripe webhook.
pub fn webhook_path(account: &str) -> String {
    format!("/2026-02-01/webhooks/stripe/{account}.json")
}
