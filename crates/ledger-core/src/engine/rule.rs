//! The rule as written in the API and as stored: a flat JSON object whose
//! `type` says which of the optional parameters it uses.
//!
//! The shape is flat on purpose. An internally tagged enum would be neater in
//! Rust, but serde buffers tagged content, which loses serde_json's
//! arbitrary-precision numbers; a flat struct reads `12.5` exactly.

use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What a rule does; it decides which parameters the rule takes.
#[derive(Serialize, Deserialize, ToSchema, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RuleType {
    Recurring,
    NewCustomerTimeTier,
    PartnerLtvUpgrade,
    ChargeThresholdBonus,
    QualifiedCustomersUpgrade,
    FirstPayment,
    CommissionLimit,
}

impl RuleType {
    /// The name used on the wire, e.g. `new_customer_time_tier`.
    pub fn as_str(self) -> &'static str {
        match self {
            RuleType::Recurring => "recurring",
            RuleType::NewCustomerTimeTier => "new_customer_time_tier",
            RuleType::PartnerLtvUpgrade => "partner_ltv_upgrade",
            RuleType::ChargeThresholdBonus => "charge_threshold_bonus",
            RuleType::QualifiedCustomersUpgrade => "qualified_customers_upgrade",
            RuleType::FirstPayment => "first_payment",
            RuleType::CommissionLimit => "commission_limit",
        }
    }
}

impl fmt::Display for RuleType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One commission rule, exactly as the API takes and returns it. Which
/// parameters are required depends on `type`; `RuleSet::parse` checks them.
#[derive(Serialize, Deserialize, ToSchema, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// The rule type.
    #[serde(rename = "type")]
    pub kind: RuleType,
    /// Commission rate in percent, 0 to 100 (`recurring`, `first_payment`,
    /// `new_customer_time_tier`).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::arbitrary_precision_option"
    )]
    pub percentage: Option<Decimal>,
    /// Fixed commission per charge in major units, ≥ 0 (`recurring`,
    /// `first_payment`; instead of `percentage`).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::arbitrary_precision_option"
    )]
    pub amount: Option<Decimal>,
    /// Months since acquisition below which a time tier applies, or after
    /// which a commission limit stops commissions; ≥ 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_months: Option<u32>,
    /// Number of paid charges a commission limit pays for; ≥ 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_payments: Option<u32>,
    /// Partner lifetime value from which an LTV upgrade applies; > 0.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::arbitrary_precision_option"
    )]
    pub min_ltv_total: Option<Decimal>,
    /// Percentage points an upgrade adds to the rate, 0 to 100.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::arbitrary_precision_option"
    )]
    pub upgrade_percentage: Option<Decimal>,
    /// Charge amount from which a charge threshold bonus applies; > 0.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::arbitrary_precision_option"
    )]
    pub min_charge_total: Option<Decimal>,
    /// Flat amount a charge threshold bonus adds to the fee; ≥ 0.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::arbitrary_precision_option"
    )]
    pub bonus: Option<Decimal>,
    /// Paying referred customers from which a customers upgrade applies; ≥ 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_customers: Option<u32>,
    /// Free text for people; the engine ignores it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl RuleSpec {
    /// A rule of `kind` with no parameters yet; callers set the ones it takes.
    pub fn of(kind: RuleType) -> Self {
        Self {
            kind,
            percentage: None,
            amount: None,
            max_months: None,
            max_payments: None,
            min_ltv_total: None,
            upgrade_percentage: None,
            min_charge_total: None,
            bonus: None,
            min_customers: None,
            description: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;
    use utoipa::PartialSchema;

    #[test]
    fn reads_and_writes_the_seed_shape_with_exact_numbers() {
        let json = r#"{"type":"partner_ltv_upgrade","min_ltv_total":10000.50,"upgrade_percentage":5,"description":"LTV bonus"}"#;
        let spec: RuleSpec = serde_json::from_str(json).unwrap();
        assert_eq!(spec.kind, RuleType::PartnerLtvUpgrade);
        assert_eq!(spec.min_ltv_total, Some(dec!(10000.50)));
        assert_eq!(spec.upgrade_percentage, Some(dec!(5)));
        assert_eq!(spec.percentage, None);
        assert_eq!(serde_json::to_string(&spec).unwrap(), json);
    }

    #[test]
    fn keeps_decimals_that_a_float_would_change() {
        let spec: RuleSpec =
            serde_json::from_str(r#"{"type":"recurring","percentage":12.345678901234567891}"#)
                .unwrap();
        assert_eq!(spec.percentage, Some(dec!(12.345678901234567891)));
    }

    #[test]
    fn rejects_unknown_fields_and_types() {
        assert!(serde_json::from_str::<RuleSpec>(r#"{"type":"recurring","percent":10}"#).is_err());
        assert!(serde_json::from_str::<RuleSpec>(r#"{"type":"loyalty","percentage":10}"#).is_err());
        assert!(serde_json::from_str::<RuleSpec>(r#"{"percentage":10}"#).is_err());
    }

    #[test]
    fn schema_shows_decimals_as_numbers() {
        let schema = serde_json::to_value(RuleSpec::schema()).unwrap();
        let properties = &schema["properties"];
        for field in [
            "percentage",
            "amount",
            "min_ltv_total",
            "upgrade_percentage",
            "bonus",
        ] {
            let types = properties[field]["type"].to_string();
            assert!(types.contains("number"), "{field}: {types}");
        }
        assert_eq!(schema["required"], serde_json::json!(["type"]));
        assert!(properties.get("kind").is_none());
    }
}
