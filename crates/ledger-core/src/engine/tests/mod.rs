//! Engine tests: evaluation tables, validation tables and properties, with
//! the helpers they share.

mod evaluate;
mod properties;
mod validation;

use rust_decimal::Decimal;

use super::{Context, RuleSet, RuleSpec};
use crate::money::Currency;

/// Rule specs from JSON text, so decimals are read exactly as the API reads them.
fn specs(json: &str) -> Vec<RuleSpec> {
    serde_json::from_str(json).expect("test rules are valid JSON")
}

fn rule_set(json: &str) -> RuleSet {
    RuleSet::parse(specs(json)).expect("test rules are a valid set")
}

/// A charge in EUR from a partner with no track record, past the first month.
fn context(charge_amount: Decimal) -> Context {
    Context {
        charge_amount,
        customer_months: 1,
        partner_ltv: Decimal::ZERO,
        qualified_customers: 0,
        first_paid_customer_bootstrap: false,
        payment_number: None,
        currency: Currency::EUR,
    }
}
