//! Stripe's own currency exponents, which are not ISO 4217's.
//!
//! Stripe sends every amount as an integer count of what *it* calls the
//! currency's smallest unit (docs.stripe.com/currencies):
//! - zero-decimal currencies (JPY, KRW, VND, CLP, UGX, MGA, …) are whole
//!   units, even where ISO 4217 gives them decimals (MGA);
//! - three-decimal currencies (BHD, JOD, KWD, OMR, TND) are thousandths;
//! - every other currency is two-decimal, including the special cases Stripe
//!   keeps for backwards compatibility: ISK (ISO: no decimals) is sent in
//!   hundredths that always end in 00, and HUF and TWD are charged in
//!   hundredths (only Stripe's own payouts of them are whole units).
//!
//! An amount that does not come out in the ISO minor units partner-ledger
//! keeps (an ISK amount not ending in 00) is refused rather than rounded:
//! Stripe never sends one, so it means the shape is not understood.

use rust_decimal::Decimal;

use crate::money::{self, Currency};

/// Stripe's zero-decimal currencies.
const ZERO_DECIMAL: [&str; 16] = [
    "BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV",
    "XAF", "XOF", "XPF",
];

/// Stripe's three-decimal currencies.
const THREE_DECIMAL: [&str; 5] = ["BHD", "JOD", "KWD", "OMR", "TND"];

/// How many decimals Stripe's integer amounts in `currency` carry.
pub fn stripe_exponent(currency: Currency) -> u32 {
    if ZERO_DECIMAL.contains(&currency.code()) {
        0
    } else if THREE_DECIMAL.contains(&currency.code()) {
        3
    } else {
        2
    }
}

/// Why a Stripe amount cannot be taken.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("{amount} {currency} has more decimals than {currency} has")]
    Fraction { amount: Decimal, currency: Currency },
    #[error("{amount} {currency} is beyond the largest amount partner-ledger takes")]
    TooLarge { amount: Decimal, currency: Currency },
}

/// The exact major-unit amount of Stripe's integer `minor` in `currency`:
/// `10000` ISK is 100 ISK, `5000` JPY is 5000 JPY, `29990` EUR is 299.9.
pub fn major_units(currency: Currency, minor: i64) -> Result<Decimal, AmountError> {
    let amount = Decimal::new(minor, stripe_exponent(currency)).normalize();
    if !money::in_bounds(amount) {
        return Err(AmountError::TooLarge { amount, currency });
    }
    if !currency.fits(amount) {
        return Err(AmountError::Fraction { amount, currency });
    }
    Ok(amount)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn currency(code: &str) -> Currency {
        Currency::parse(code).unwrap()
    }

    fn major(code: &str, minor: i64) -> Result<Decimal, AmountError> {
        major_units(currency(code), minor)
    }

    #[test]
    fn two_decimal_currencies_are_sent_in_hundredths() {
        assert_eq!(major("EUR", 29990), Ok(dec!(299.9)));
        assert_eq!(major("USD", 1), Ok(dec!(0.01)));
    }

    #[test]
    fn zero_decimal_currencies_are_sent_in_whole_units() {
        for code in ZERO_DECIMAL {
            assert_eq!(stripe_exponent(currency(code)), 0, "{code}");
        }
        assert_eq!(major("JPY", 5000), Ok(dec!(5000)));
        assert_eq!(major("KRW", 12345), Ok(dec!(12345)));
        assert_eq!(major("VND", 250000), Ok(dec!(250000)));
        assert_eq!(major("CLP", 990), Ok(dec!(990)));
    }

    #[test]
    fn mga_is_zero_decimal_in_stripe_though_iso_gives_it_two() {
        assert_eq!(currency("MGA").minor_units(), 2);
        assert_eq!(major("MGA", 10000), Ok(dec!(10000)));
    }

    #[test]
    fn ugx_is_zero_decimal_in_stripe() {
        assert_eq!(major("UGX", 3700), Ok(dec!(3700)));
    }

    #[test]
    fn three_decimal_currencies_are_sent_in_thousandths() {
        for code in THREE_DECIMAL {
            assert_eq!(stripe_exponent(currency(code)), 3, "{code}");
        }
        assert_eq!(major("KWD", 5120), Ok(dec!(5.12)));
        assert_eq!(major("BHD", 1005), Ok(dec!(1.005)));
    }

    #[test]
    fn isk_is_sent_in_hundredths_that_end_in_00() {
        assert_eq!(currency("ISK").minor_units(), 0);
        assert_eq!(stripe_exponent(currency("ISK")), 2);
        assert_eq!(major("ISK", 10000), Ok(dec!(100)));
        assert_eq!(
            major("ISK", 10050),
            Err(AmountError::Fraction {
                amount: dec!(100.5),
                currency: currency("ISK")
            }),
            "a fraction of a krona is not an amount Stripe sends"
        );
    }

    #[test]
    fn huf_and_twd_charges_are_sent_in_hundredths() {
        assert_eq!(major("HUF", 150050), Ok(dec!(1500.5)));
        assert_eq!(major("TWD", 99900), Ok(dec!(999)));
    }

    #[test]
    fn amounts_beyond_the_ledger_bound_are_refused() {
        assert!(matches!(
            major("JPY", i64::MAX),
            Err(AmountError::TooLarge { .. })
        ));
        assert!(matches!(
            major("EUR", 100_000_000_001),
            Err(AmountError::TooLarge { .. })
        ));
        assert_eq!(major("EUR", 100_000_000_000), Ok(dec!(1000000000)));
    }
}
