//! Computing the fee for one charge (SPEC §2, "Computing the fee"), and the
//! `Evaluation` that explains it.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::compiled::{Band, Base, LimitRule};
use super::context::Context;
use super::params::Commission;
use super::rule::RuleType;
use super::rule_set::RuleSet;
use crate::money::Currency;

/// The fee for one charge and how it came about. Amounts are in major units
/// without trailing zeros (`74.98`, `25`, `0`).
#[derive(Serialize, ToSchema, Clone, Debug, PartialEq)]
pub struct Evaluation {
    /// The commission, rounded once to the currency's minor units.
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    pub final_fee: Decimal,
    /// The percentage of the charge paid, upgrades included and capped at
    /// 100; null when the fee is a fixed amount, 0 when a limit was reached.
    #[serde(with = "rust_decimal::serde::arbitrary_precision_option")]
    #[schema(required = true)]
    pub rate: Option<Decimal>,
    /// The charge-threshold bonus included in the fee, 0 if none.
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    pub bonus: Decimal,
    pub currency: Currency,
    /// The rules that shaped the fee, in the order they were applied.
    pub applied_rules: Vec<AppliedRule>,
    /// True when a commission limit stopped commissions for this customer.
    pub limit_reached: bool,
    /// Why the limit applies, when it does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit_reason: Option<String>,
}

/// One rule that took part in an evaluation.
#[derive(Serialize, Deserialize, ToSchema, Clone, Debug, PartialEq)]
pub struct AppliedRule {
    /// The rule's position in the rule set.
    pub index: usize,
    #[serde(rename = "type")]
    pub kind: RuleType,
    /// What the rule did, e.g. `base rate 25%` or `+5 points (LTV ≥ 10000)`.
    pub effect: String,
}

impl RuleSet {
    /// The fee for the charge described by `ctx`. Pure: no I/O, no clock, and
    /// the same inputs always give the same result. Expects a context that
    /// passed `Context::validate`; any other still gives a fee of 0 or more.
    pub fn evaluate(&self, ctx: &Context) -> Evaluation {
        if let Some((limit, reason)) = self.reached_limit(ctx) {
            return Evaluation {
                final_fee: Decimal::ZERO,
                rate: Some(Decimal::ZERO),
                bonus: Decimal::ZERO,
                currency: ctx.currency,
                applied_rules: vec![limit.applied()],
                limit_reached: true,
                limit_reason: Some(reason),
            };
        }

        let base = self.base(ctx);
        let mut applied_rules = Vec::with_capacity(4);
        applied_rules.push(base.applied());

        let (fee, rate) = match base.commission {
            Commission::Percentage(base_rate) => {
                let rate = (base_rate + self.upgrade_points(ctx, &mut applied_rules))
                    .min(Decimal::ONE_HUNDRED);
                (percent_of(ctx.charge_amount, rate), Some(rate))
            }
            Commission::Amount(amount) => (amount, None),
        };

        let bonus = match self.charge_bonuses.best(ctx.charge_amount) {
            Some(step) => {
                applied_rules.push(step.applied());
                step.value
            }
            None => Decimal::ZERO,
        };

        let final_fee = ctx
            .currency
            .round(fee.saturating_add(bonus))
            .max(Decimal::ZERO);
        Evaluation {
            final_fee: final_fee.normalize(),
            rate: rate.map(|r| r.normalize()),
            bonus: bonus.normalize(),
            currency: ctx.currency,
            applied_rules,
            limit_reached: false,
            limit_reason: None,
        }
    }

    /// The commission limit the charge has reached, and why, if it has.
    fn reached_limit(&self, ctx: &Context) -> Option<(&LimitRule, String)> {
        let limit = self.limit.as_ref()?;
        let reason = limit.reached(ctx.customer_months, ctx.payment_number())?;
        Some((limit, reason))
    }

    /// The base rule for the charge: the first-payment rule for payment 1,
    /// else the time tier the customer is in, else the recurring rule.
    fn base(&self, ctx: &Context) -> &Base {
        match &self.first_payment {
            Some(first) if ctx.payment_number() == 1 => first,
            _ => self
                .time_tiers
                .applying(ctx.customer_months)
                .unwrap_or(&self.recurring),
        }
    }

    /// What an evaluation of `ctx` read of the partner's figures, as the
    /// ranges `ctx.partner_ltv` and `ctx.qualified_customers` may move in
    /// without changing its fee: unbounded when it read neither (a limit
    /// reached, a fixed-amount base, no upgrade rules). Kept apart from
    /// [`RuleSet::evaluate`], whose callers mostly need only the fee.
    pub fn figures_read(&self, ctx: &Context) -> FiguresRead {
        if self.reached_limit(ctx).is_some()
            || !matches!(self.base(ctx).commission, Commission::Percentage(_))
        {
            return FiguresRead::default();
        }
        let (ltv, customers) = reached_figures(ctx);
        let (ltv, customers) = (
            self.ltv_upgrades.band(ltv),
            self.customers_upgrades.band(customers),
        );
        // Bands of the figures as reached, moved back to the figures before
        // this charge. A lower bound under the type's range bounds nothing;
        // an upper one there (which no threshold reaches) admits nothing.
        let (charge, customer) = match ctx.first_paid_customer_bootstrap {
            true => (ctx.charge_amount, 1),
            false => (Decimal::ZERO, 0),
        };
        FiguresRead {
            partner_ltv: Band {
                at_least: ltv.at_least.and_then(|t| t.checked_sub(charge)),
                below: ltv
                    .below
                    .map(|t| t.checked_sub(charge).unwrap_or(Decimal::MIN)),
            },
            qualified_customers: Band {
                at_least: customers.at_least.and_then(|t| t.checked_sub(customer)),
                below: customers.below.map(|t| t.saturating_sub(customer)),
            },
        }
    }

    /// The best LTV upgrade plus the best customers upgrade, each family
    /// judged on its own; with bootstrap the figures include this charge.
    fn upgrade_points(&self, ctx: &Context, applied_rules: &mut Vec<AppliedRule>) -> Decimal {
        let (ltv, customers) = reached_figures(ctx);
        let mut points = Decimal::ZERO;
        if let Some(step) = self.ltv_upgrades.best(ltv) {
            applied_rules.push(step.applied());
            points += step.value;
        }
        if let Some(step) = self.customers_upgrades.best(customers) {
            applied_rules.push(step.applied());
            points += step.value;
        }
        points
    }
}

/// The partner's LTV and qualified customers the upgrade rules compare
/// with their thresholds: with bootstrap, this charge and customer included.
fn reached_figures(ctx: &Context) -> (Decimal, u32) {
    if ctx.first_paid_customer_bootstrap {
        (
            ctx.partner_ltv.saturating_add(ctx.charge_amount),
            ctx.qualified_customers.saturating_add(1),
        )
    } else {
        (ctx.partner_ltv, ctx.qualified_customers)
    }
}

/// The partner figures an evaluation depended on ([`RuleSet::figures_read`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FiguresRead {
    pub partner_ltv: Band<Decimal>,
    pub qualified_customers: Band<u32>,
}

/// `amount × rate / 100`. Dividing by 100 only moves the decimal point, and
/// rust_decimal's general division costs more than the rest of an evaluation,
/// so it is kept for products whose scale is already at the maximum.
fn percent_of(amount: Decimal, rate: Decimal) -> Decimal {
    let mut product = amount.saturating_mul(rate);
    match product.set_scale(product.scale() + 2) {
        Ok(()) => product,
        Err(_) => product / Decimal::ONE_HUNDRED,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn percent_of_equals_dividing_by_100() {
        let cases = [
            (dec!(299.9), dec!(25)),
            (dec!(0.01), dec!(33.333)),
            (dec!(-12.5), dec!(10)),
            (dec!(1.00000000000000000000000001), dec!(7)),
            (dec!(0.1234567890123456789012345678), dec!(50)),
            (dec!(0.1234567890123456789012345678), dec!(12.5)),
        ];
        for (amount, rate) in cases {
            assert_eq!(
                percent_of(amount, rate),
                amount * rate / Decimal::ONE_HUNDRED,
                "{rate}% of {amount}"
            );
        }
        assert_eq!(percent_of(dec!(299.9), dec!(25)).to_string(), "74.975");
    }
}
