//! Pricing a sale from stored facts: which rule set applies (the referral's
//! campaign if it sets a commission, else the partner's group, else the
//! account's default group) and the engine context built from the
//! customer's and the partner's history before this charge.

use chrono::{DateTime, Datelike, Months, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::campaign::Campaign;
use super::id::Id;
use super::partner_group::PartnerGroup;
use crate::engine::{AppliedRule, Context, FiguresRead, RuleSet};
use crate::money::Currency;

/// What is known about one paid charge and the history before it.
#[derive(Clone, Debug, PartialEq)]
pub struct ChargeFacts {
    /// The charge in major units; greater than 0.
    pub charge_amount: Decimal,
    pub charged_at: DateTime<Utc>,
    pub currency: Currency,
    /// The customer's first paid charge, if one was recorded before this.
    pub acquired_at: Option<DateTime<Utc>>,
    /// The customer's paid charges recorded before this one.
    pub paid_charges: u32,
    /// The partner's lifetime value before this charge.
    pub partner_ltv: Decimal,
    /// The partner's customers who had paid before this charge.
    pub qualified_customers: u64,
}

impl ChargeFacts {
    /// Whether this charge acquires the customer (their first paid charge).
    pub fn acquires_customer(&self) -> bool {
        self.paid_charges == 0
    }

    /// The engine's context for this charge (SPEC §2): months since the
    /// customer was acquired, this charge's 1-based number, the partner's
    /// figures before it.
    pub fn context(&self) -> Context {
        let acquired = self.acquired_at.unwrap_or(self.charged_at);
        Context {
            charge_amount: self.charge_amount,
            customer_months: whole_months(acquired, self.charged_at),
            partner_ltv: self.partner_ltv,
            qualified_customers: u32::try_from(self.qualified_customers).unwrap_or(u32::MAX),
            first_paid_customer_bootstrap: false,
            payment_number: Some(self.paid_charges.saturating_add(1)),
            currency: self.currency,
        }
    }
}

/// Whole calendar months from `from` to `to` (0 when `to` is not later):
/// 15 Jan → 14 Feb is 0, 15 Jan → 15 Feb is 1. A month-end start clamps as
/// billing anchors do: 31 Jan → 28 Feb is 1.
pub fn whole_months(from: DateTime<Utc>, to: DateTime<Utc>) -> u32 {
    if to <= from {
        return 0;
    }
    let span = (to.year() - from.year()) * 12 + to.month() as i32 - from.month() as i32;
    let mut months = u32::try_from(span.max(0)).unwrap_or(0);
    while months > 0
        && from
            .checked_add_months(Months::new(months))
            .is_none_or(|reached| reached > to)
    {
        months -= 1;
    }
    months
}

/// Where a sale's rules came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RuleSource {
    Campaign,
    PartnerGroup,
    DefaultGroup,
}

/// The rule set that prices a sale, and where it came from.
#[derive(Clone, Debug)]
pub struct Pricing {
    pub source: RuleSource,
    pub source_id: Id,
    pub rules: RuleSet,
}

/// A sale the rules priced: the commission and how it came about.
#[derive(Clone, Debug, PartialEq)]
pub struct Priced {
    /// Rounded once, half away from zero, to the currency's minor units.
    pub amount: Decimal,
    /// The percentage paid; `None` when the fee is a fixed amount.
    pub rate: Option<Decimal>,
    pub applied_rules: Vec<AppliedRule>,
    pub source: RuleSource,
    /// The ranges of the partner's LTV and qualified customers (as of
    /// before the charge) in which the fee would be the same.
    pub figures_read: FiguresRead,
}

impl Pricing {
    /// Evaluates the rules against the charge's facts.
    pub fn price(&self, facts: &ChargeFacts) -> Priced {
        let context = facts.context();
        let evaluation = self.rules.evaluate(&context);
        Priced {
            amount: evaluation.final_fee,
            rate: evaluation.rate,
            applied_rules: evaluation.applied_rules,
            source: self.source,
            figures_read: self.rules.figures_read(&context),
        }
    }
}

/// SPEC §3.5's precedence: the campaign's rules if it sets a commission,
/// otherwise the partner's group's, otherwise the default group's (a partner
/// in the default group is priced as `default_group`). `None` only when none
/// of them is there to price with.
pub fn applicable_rules(
    campaign: Option<&Campaign>,
    partner_group: Option<&PartnerGroup>,
    default_group: Option<&PartnerGroup>,
) -> Option<Pricing> {
    if let Some((campaign, rules)) = campaign.and_then(|c| c.rules().map(|r| (c, r))) {
        return Some(Pricing {
            source: RuleSource::Campaign,
            source_id: campaign.id.clone(),
            rules,
        });
    }
    let group = |group: &PartnerGroup, source| Pricing {
        source,
        source_id: group.id.clone(),
        rules: group.rules.clone(),
    };
    match (partner_group, default_group) {
        (Some(own), Some(default)) if own.id == default.id => {
            Some(group(default, RuleSource::DefaultGroup))
        }
        (Some(own), _) => Some(group(own, RuleSource::PartnerGroup)),
        (None, default) => default.map(|g| group(g, RuleSource::DefaultGroup)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::RuleSpec;
    use crate::model::{CampaignDraft, GroupDraft};
    use chrono::TimeZone;
    use rust_decimal_macros::dec;

    fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 12, 0, 0).unwrap()
    }

    fn group(percentage: u32) -> PartnerGroup {
        let rules: Vec<RuleSpec> = serde_json::from_value(
            serde_json::json!([{"type": "recurring", "percentage": percentage}]),
        )
        .unwrap();
        let draft = GroupDraft {
            name: format!("{percentage} %"),
            rules,
            description: None,
            external_id: None,
            tags: None,
            default: false,
        };
        PartnerGroup::create(draft, Utc::now()).unwrap()
    }

    fn campaign(body: serde_json::Value) -> Campaign {
        let draft: CampaignDraft = serde_json::from_value(body).unwrap();
        Campaign::create(draft, Utc::now()).unwrap()
    }

    fn fee(pricing: &Pricing, charge: Decimal) -> Decimal {
        let facts = ChargeFacts {
            charge_amount: charge,
            charged_at: at(2026, 3, 1),
            currency: Currency::EUR,
            acquired_at: Some(at(2026, 1, 1)),
            paid_charges: 2,
            partner_ltv: Decimal::ZERO,
            qualified_customers: 0,
        };
        pricing.rules.evaluate(&facts.context()).final_fee
    }

    #[test]
    fn whole_months_count_completed_calendar_months() {
        for (from, to, months) in [
            (at(2026, 1, 15), at(2026, 1, 15), 0),
            (at(2026, 1, 15), at(2026, 2, 14), 0),
            (at(2026, 1, 15), at(2026, 2, 15), 1),
            (at(2026, 1, 31), at(2026, 2, 27), 0),
            (at(2026, 1, 31), at(2026, 2, 28), 1),
            (at(2026, 1, 31), at(2026, 3, 31), 2),
            (at(2025, 11, 1), at(2026, 11, 1), 12),
            (at(2026, 5, 1), at(2026, 4, 1), 0),
        ] {
            assert_eq!(whole_months(from, to), months, "{from} → {to}");
        }
    }

    #[test]
    fn the_context_comes_from_the_history_before_the_charge() {
        let facts = ChargeFacts {
            charge_amount: dec!(299.9),
            charged_at: at(2026, 4, 20),
            currency: Currency::EUR,
            acquired_at: Some(at(2026, 1, 20)),
            paid_charges: 3,
            partner_ltv: dec!(4500),
            qualified_customers: 12,
        };
        let context = facts.context();
        assert_eq!(context.customer_months, 3);
        assert_eq!(context.payment_number, Some(4));
        assert_eq!(context.partner_ltv, dec!(4500));
        assert_eq!(context.qualified_customers, 12);
        assert!(!facts.acquires_customer());

        let first = ChargeFacts {
            acquired_at: None,
            paid_charges: 0,
            ..facts
        };
        assert!(first.acquires_customer());
        assert_eq!(
            (
                first.context().customer_months,
                first.context().payment_number
            ),
            (0, Some(1))
        );
    }

    #[test]
    fn a_campaign_with_a_commission_comes_first() {
        let paying = campaign(serde_json::json!({
            "name": "Launch", "commission_type": "percentage", "commission_amount": 20
        }));
        let (partners, default) = (group(12), group(10));
        let pricing = applicable_rules(Some(&paying), Some(&partners), Some(&default)).unwrap();
        assert_eq!(
            (pricing.source, &pricing.source_id),
            (RuleSource::Campaign, &paying.id)
        );
        assert_eq!(fee(&pricing, dec!(100)), dec!(20.00));
    }

    #[test]
    fn a_campaign_without_a_commission_leaves_it_to_the_partners_group() {
        let silent = campaign(serde_json::json!({"name": "Newsletter"}));
        let (partners, default) = (group(12), group(10));
        let pricing = applicable_rules(Some(&silent), Some(&partners), Some(&default)).unwrap();
        assert_eq!(pricing.source, RuleSource::PartnerGroup);
        assert_eq!(fee(&pricing, dec!(100)), dec!(12.00));
        let pricing = applicable_rules(None, Some(&partners), Some(&default)).unwrap();
        assert_eq!(pricing.source_id, partners.id);
        let pricing = applicable_rules(None, Some(&default), Some(&default)).unwrap();
        assert_eq!(pricing.source, RuleSource::DefaultGroup);
    }

    #[test]
    fn without_the_partners_group_the_default_group_prices() {
        let default = group(10);
        let pricing = applicable_rules(None, None, Some(&default)).unwrap();
        assert_eq!(pricing.source, RuleSource::DefaultGroup);
        assert_eq!(fee(&pricing, dec!(74.99)), dec!(7.50));
        assert!(applicable_rules(None, None, None).is_none());
    }
}
