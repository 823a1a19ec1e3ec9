//! What the Partner Groups routes accept and answer, shaped as the seed shows.

use chrono::{DateTime, Utc};
use ledger_core::engine::{Context, Evaluation, RuleSpec};
use ledger_core::model::{Account, GroupChanges, GroupDraft, Id, PartnerGroup};
use ledger_core::money::Currency;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateGroupRequest {
    #[serde(rename = "partnerGroup")]
    pub partner_group: GroupDraft,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateGroupRequest {
    #[serde(rename = "partnerGroup")]
    pub partner_group: GroupChanges,
}

/// One element of the group directory.
#[derive(Serialize, ToSchema)]
pub struct GroupSummary {
    pub id: Id,
    pub name: String,
    pub external_id: Option<String>,
    /// Whether new partners join this group.
    pub default: bool,
}

/// A group's full configuration, rules included.
#[derive(Serialize, ToSchema)]
pub struct GroupDetail {
    pub id: Id,
    pub name: String,
    pub external_id: Option<String>,
    pub rules: Vec<RuleSpec>,
    pub tags: Option<String>,
    pub description: Option<String>,
    pub default: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl GroupSummary {
    pub fn of(group: PartnerGroup, account: &Account) -> Self {
        Self {
            default: account.is_default_group(&group.id),
            id: group.id,
            name: group.name,
            external_id: group.external_id,
        }
    }
}

impl GroupDetail {
    pub fn of(group: PartnerGroup, account: &Account) -> Self {
        Self {
            default: account.is_default_group(&group.id),
            rules: group.rules.specs().to_vec(),
            id: group.id,
            name: group.name,
            external_id: group.external_id,
            tags: group.tags,
            description: group.description,
            created_at: group.created_at,
            updated_at: group.updated_at,
        }
    }
}

/// `{"group": {"id": ...}}`, the answer to a create or an update.
#[derive(Serialize, ToSchema)]
pub struct GroupRef {
    pub group: GroupId,
}

#[derive(Serialize, ToSchema)]
pub struct GroupId {
    pub id: Id,
}

/// `{"group": {"id": ..., "deleted": true}}`.
#[derive(Serialize, ToSchema)]
pub struct DeletedGroup {
    pub group: DeletedGroupId,
}

#[derive(Serialize, ToSchema)]
pub struct DeletedGroupId {
    pub id: Id,
    pub deleted: bool,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SimulateRequest {
    #[serde(rename = "partnerGroupSimulation")]
    pub partner_group_simulation: Simulation,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Simulation {
    /// Rules set to simulate. Must include exactly one recurring fallback rule.
    pub rules: Vec<RuleSpec>,
    /// Simulation context (charge amount, lifecycle and partner KPIs).
    pub simulation: SimulationContext,
}

/// The facts about one charge, as SPEC §2's context table describes them.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SimulationContext {
    /// The charge, greater than 0.
    pub charge_amount: Decimal,
    /// Whole months since the customer's first paid charge; 0 is the first month.
    #[serde(default)]
    pub customer_months: u32,
    /// The partner's managed lifetime value before this charge.
    #[serde(default)]
    pub partner_ltv: Decimal,
    /// The partner's referred customers who have paid at least once, before this charge.
    #[serde(default)]
    pub qualified_customers: u32,
    /// Count this charge in the performance figures when checking thresholds.
    #[serde(default)]
    pub first_paid_customer_bootstrap: bool,
    /// The 1-based count of this customer's paid charges; defaults from `customer_months`.
    pub payment_number: Option<u32>,
    /// Decides rounding; defaults to the account currency.
    pub currency: Option<Currency>,
}

impl SimulationContext {
    pub fn into_context(self, account_currency: Currency) -> Context {
        Context {
            charge_amount: self.charge_amount,
            customer_months: self.customer_months,
            partner_ltv: self.partner_ltv,
            qualified_customers: self.qualified_customers,
            first_paid_customer_bootstrap: self.first_paid_customer_bootstrap,
            payment_number: self.payment_number,
            currency: self.currency.unwrap_or(account_currency),
        }
    }
}

/// `{"status": "success", "result": {...}}`: the seed's shape plus the breakdown.
#[derive(Serialize, ToSchema)]
pub struct SimulationResponse {
    #[schema(example = "success")]
    pub status: &'static str,
    pub result: Evaluation,
}
