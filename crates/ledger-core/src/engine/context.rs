//! The facts about one charge that a rule set is evaluated against (SPEC §2,
//! "Context"). Callers fill it from a simulation request or from the store.

use rust_decimal::Decimal;

use crate::money::Currency;
use crate::validation::FieldError;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Context {
    /// The charge in major units; greater than 0.
    pub charge_amount: Decimal,
    /// Whole months since the customer's first paid charge; 0 is the first month.
    pub customer_months: u32,
    /// Sum of the partner's referred customers' paid charges before this one.
    pub partner_ltv: Decimal,
    /// The partner's referred customers who paid at least once before this charge.
    pub qualified_customers: u32,
    /// Count this charge in `partner_ltv` and `qualified_customers` when
    /// checking upgrade thresholds.
    pub first_paid_customer_bootstrap: bool,
    /// 1-based count of this customer's paid charges; see `payment_number()`.
    pub payment_number: Option<u32>,
    /// Decides how the fee is rounded.
    pub currency: Currency,
}

impl Context {
    /// Reports every out-of-range field, named as in this struct.
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        if self.charge_amount <= Decimal::ZERO {
            errors.push(FieldError::new("charge_amount", "must be greater than 0"));
        }
        crate::validation::bounded("charge_amount", self.charge_amount, &mut errors);
        if self.partner_ltv < Decimal::ZERO {
            errors.push(FieldError::new("partner_ltv", "must be 0 or more"));
        }
        if self.payment_number == Some(0) {
            errors.push(FieldError::new("payment_number", "must be at least 1"));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// The payment number, defaulting to 1 in the customer's first month and
    /// to 2 afterwards: without a count, a later month cannot be the first payment.
    pub fn payment_number(&self) -> u32 {
        self.payment_number
            .unwrap_or(if self.customer_months == 0 { 1 } else { 2 })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn context() -> Context {
        Context {
            charge_amount: dec!(100),
            customer_months: 0,
            partner_ltv: dec!(0),
            qualified_customers: 0,
            first_paid_customer_bootstrap: false,
            payment_number: None,
            currency: Currency::EUR,
        }
    }

    #[test]
    fn accepts_the_smallest_valid_values() {
        let ctx = Context {
            charge_amount: dec!(0.01),
            payment_number: Some(1),
            ..context()
        };
        assert_eq!(ctx.validate(), Ok(()));
    }

    #[test]
    fn reports_every_invalid_field() {
        let ctx = Context {
            charge_amount: dec!(0),
            partner_ltv: dec!(-0.01),
            payment_number: Some(0),
            ..context()
        };
        assert_eq!(
            ctx.validate(),
            Err(vec![
                FieldError::new("charge_amount", "must be greater than 0"),
                FieldError::new("partner_ltv", "must be 0 or more"),
                FieldError::new("payment_number", "must be at least 1"),
            ])
        );
        let negative = Context {
            charge_amount: dec!(-5),
            ..context()
        };
        assert_eq!(
            negative.validate(),
            Err(vec![FieldError::new(
                "charge_amount",
                "must be greater than 0"
            )])
        );
    }

    #[test]
    fn payment_number_defaults_from_customer_months() {
        let cases = [
            (0, None, 1),
            (1, None, 2),
            (30, None, 2),
            (0, Some(4), 4),
            (7, Some(1), 1),
        ];
        for (customer_months, payment_number, expected) in cases {
            let ctx = Context {
                customer_months,
                payment_number,
                ..context()
            };
            assert_eq!(
                ctx.payment_number(),
                expected,
                "{customer_months} {payment_number:?}"
            );
        }
    }
}
