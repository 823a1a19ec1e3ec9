//! Money: ISO 4217 currencies and the one rounding rule every amount obeys.
//!
//! Amounts are `rust_decimal::Decimal` in major units (`299.9` is 299.90 EUR).
//! A currency knows its minor-unit exponent, so it can round a result half away
//! from zero (SPEC §1). (Stripe's exponents differ: see `stripe::amounts`.)

use std::fmt;
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::{PartialSchema, ToSchema};

use crate::validation::FieldError;

const INVALID_CODE: &str = "must be an ISO 4217 code such as EUR";

/// The largest amount, in major units, that any one input may carry (a
/// sale, a commission, a refund, a rule's amount or threshold, the minimum
/// payout). A billion keeps every sum the ledger can form far inside
/// `Decimal`'s 28 digits: a partner would need 10^19 sales of this size to
/// overflow a lifetime total, and `amount × amount` (a refund's share of a
/// sale) stays below 10^24 even at four decimals.
pub const MAX_AMOUNT: Decimal = Decimal::from_parts(1_000_000_000, 0, 0, false, 0);

/// Whether `amount` lies within ±[`MAX_AMOUNT`].
pub fn in_bounds(amount: Decimal) -> bool {
    amount.abs() <= MAX_AMOUNT
}

/// An ISO 4217 currency code: three uppercase ASCII letters. Codes order
/// alphabetically.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Currency([u8; 3]);

impl Currency {
    pub const EUR: Currency = Currency(*b"EUR");
    pub const USD: Currency = Currency(*b"USD");

    /// Accepts exactly three uppercase ASCII letters. Lowercase is refused
    /// rather than fixed up, so a stored code always reads back as it was sent.
    pub fn parse(code: &str) -> Result<Currency, FieldError> {
        match <[u8; 3]>::try_from(code.as_bytes()) {
            Ok(bytes) if bytes.iter().all(u8::is_ascii_uppercase) => Ok(Currency(bytes)),
            _ => Err(FieldError::new("currency", INVALID_CODE)),
        }
    }

    pub fn code(&self) -> &str {
        // `parse` and the constants only ever hold ASCII letters.
        std::str::from_utf8(&self.0).expect("currency codes are ASCII")
    }

    /// The number of decimal places of the currency's minor unit: the ISO 4217
    /// exceptions are listed, every other currency has cents.
    pub fn minor_units(&self) -> u32 {
        match &self.0 {
            b"BIF" | b"CLP" | b"DJF" | b"GNF" | b"ISK" | b"JPY" | b"KMF" | b"KRW" | b"PYG"
            | b"RWF" | b"UGX" | b"UYI" | b"VND" | b"VUV" | b"XAF" | b"XOF" | b"XPF" => 0,
            b"BHD" | b"IQD" | b"JOD" | b"KWD" | b"LYD" | b"OMR" | b"TND" => 3,
            b"CLF" | b"UYW" => 4,
            _ => 2,
        }
    }

    /// Whether `amount` has no more decimals than the minor unit allows
    /// (trailing zeros aside): 10.50 fits EUR, 10.5 does not fit JPY.
    pub fn fits(&self, amount: Decimal) -> bool {
        amount.normalize().scale() <= self.minor_units()
    }

    /// Rounds to the minor unit, half away from zero: 74.975 EUR → 74.98.
    pub fn round(&self, amount: Decimal) -> Decimal {
        amount.round_dp_with_strategy(self.minor_units(), RoundingStrategy::MidpointAwayFromZero)
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Currency {
    type Err = FieldError;

    fn from_str(code: &str) -> Result<Self, Self::Err> {
        Currency::parse(code)
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(CurrencyVisitor)
    }
}

struct CurrencyVisitor;

impl Visitor<'_> for CurrencyVisitor {
    type Value = Currency;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an ISO 4217 currency code such as EUR")
    }

    fn visit_str<E: de::Error>(self, code: &str) -> Result<Currency, E> {
        Currency::parse(code).map_err(|e| E::custom(format!("{code:?} {}", e.message)))
    }
}

impl PartialSchema for Currency {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some("^[A-Z]{3}$"))
            .description(Some("ISO 4217 currency code."))
            .examples(["EUR"])
            .into()
    }
}

impl ToSchema for Currency {}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn rounds_half_away_from_zero_to_minor_units() {
        let cases = [
            (Currency::EUR, dec!(74.975), dec!(74.98)),
            (Currency::EUR, dec!(-74.975), dec!(-74.98)),
            (Currency::EUR, dec!(74.974), dec!(74.97)),
            (Currency::USD, dec!(0.005), dec!(0.01)),
            (Currency::parse("JPY").unwrap(), dec!(1234.5), dec!(1235)),
            (Currency::parse("JPY").unwrap(), dec!(1234.4), dec!(1234)),
            (Currency::parse("KWD").unwrap(), dec!(1.23450), dec!(1.235)),
            (Currency::parse("KWD").unwrap(), dec!(1.2344), dec!(1.234)),
            (Currency::parse("CLF").unwrap(), dec!(1.00005), dec!(1.0001)),
        ];
        for (currency, amount, expected) in cases {
            assert_eq!(currency.round(amount), expected, "{currency} {amount}");
        }
    }

    #[test]
    fn amounts_are_bounded_by_a_billion_either_way() {
        assert_eq!(MAX_AMOUNT.to_string(), "1000000000");
        assert!(in_bounds(dec!(1000000000)) && in_bounds(dec!(-1000000000)));
        assert!(!in_bounds(dec!(1000000000.01)) && !in_bounds(dec!(-1000000001)));
        assert!(!in_bounds(Decimal::MAX));
    }

    #[test]
    fn knows_minor_unit_exponents() {
        let exponent = |code: &str| Currency::parse(code).unwrap().minor_units();
        assert_eq!(exponent("EUR"), 2);
        assert_eq!(exponent("USD"), 2);
        assert_eq!(exponent("JPY"), 0);
        assert_eq!(exponent("KRW"), 0);
        assert_eq!(exponent("KWD"), 3);
        assert_eq!(exponent("UYW"), 4);
    }

    #[test]
    fn amounts_fit_a_currency_up_to_its_minor_unit() {
        let jpy = Currency::parse("JPY").unwrap();
        assert!(Currency::EUR.fits(dec!(10.50)));
        assert!(Currency::EUR.fits(dec!(10.500)), "trailing zeros aside");
        assert!(!Currency::EUR.fits(dec!(10.505)));
        assert!(jpy.fits(dec!(50)) && jpy.fits(dec!(50.0)));
        assert!(!jpy.fits(dec!(50.5)));
    }

    #[test]
    fn parses_only_three_uppercase_letters() {
        assert_eq!(Currency::parse("EUR"), Ok(Currency::EUR));
        assert_eq!("USD".parse::<Currency>(), Ok(Currency::USD));
        for bad in ["eur", "Eur", "EU", "EURO", "", "E1R", "ÉUR"] {
            assert_eq!(
                Currency::parse(bad),
                Err(FieldError::new("currency", INVALID_CODE)),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn serializes_as_the_code() {
        assert_eq!(serde_json::to_string(&Currency::EUR).unwrap(), r#""EUR""#);
        assert_eq!(Currency::USD.to_string(), "USD");
        let parsed: Currency = serde_json::from_str(r#""JPY""#).unwrap();
        assert_eq!(parsed.code(), "JPY");
        let error = serde_json::from_str::<Currency>(r#""eur""#).unwrap_err();
        assert!(error.to_string().contains(INVALID_CODE), "{error}");
        assert!(serde_json::from_str::<Currency>("12").is_err());
    }

    #[test]
    fn schema_is_a_patterned_string() {
        let schema = serde_json::to_value(Currency::schema()).unwrap();
        assert_eq!(schema["type"], "string");
        assert_eq!(schema["pattern"], "^[A-Z]{3}$");
        assert_eq!(schema["examples"][0], "EUR");
    }
}
