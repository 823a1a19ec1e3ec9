//! Money: ISO 4217 currencies and the one rounding rule every amount obeys.
//!
//! Amounts are `rust_decimal::Decimal` in major units (`299.9` is 299.90 EUR).
//! A currency is one of ISO 4217's codes in use and knows its minor-unit
//! exponent, so it can round a result half away from zero (SPEC §1).
//! (Stripe's exponents differ: see `stripe::amounts`.)

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
const UNKNOWN_CODE: &str = "is not an ISO 4217 currency code in use";

/// ISO 4217's currencies in use (list one, 2025), with the number of
/// decimals of each one's minor unit, sorted by code. Codes without a minor
/// unit (precious metals, SDR, test and "no currency" codes) and withdrawn
/// ones (HRK, ANG, SLL, CUC, ZWL, ...) are left out: money needs a minor unit.
const ISO_4217: [([u8; 3], u32); 165] = [
    (*b"AED", 2),
    (*b"AFN", 2),
    (*b"ALL", 2),
    (*b"AMD", 2),
    (*b"AOA", 2),
    (*b"ARS", 2),
    (*b"AUD", 2),
    (*b"AWG", 2),
    (*b"AZN", 2),
    (*b"BAM", 2),
    (*b"BBD", 2),
    (*b"BDT", 2),
    (*b"BGN", 2),
    (*b"BHD", 3),
    (*b"BIF", 0),
    (*b"BMD", 2),
    (*b"BND", 2),
    (*b"BOB", 2),
    (*b"BOV", 2),
    (*b"BRL", 2),
    (*b"BSD", 2),
    (*b"BTN", 2),
    (*b"BWP", 2),
    (*b"BYN", 2),
    (*b"BZD", 2),
    (*b"CAD", 2),
    (*b"CDF", 2),
    (*b"CHE", 2),
    (*b"CHF", 2),
    (*b"CHW", 2),
    (*b"CLF", 4),
    (*b"CLP", 0),
    (*b"CNY", 2),
    (*b"COP", 2),
    (*b"COU", 2),
    (*b"CRC", 2),
    (*b"CUP", 2),
    (*b"CVE", 2),
    (*b"CZK", 2),
    (*b"DJF", 0),
    (*b"DKK", 2),
    (*b"DOP", 2),
    (*b"DZD", 2),
    (*b"EGP", 2),
    (*b"ERN", 2),
    (*b"ETB", 2),
    (*b"EUR", 2),
    (*b"FJD", 2),
    (*b"FKP", 2),
    (*b"GBP", 2),
    (*b"GEL", 2),
    (*b"GHS", 2),
    (*b"GIP", 2),
    (*b"GMD", 2),
    (*b"GNF", 0),
    (*b"GTQ", 2),
    (*b"GYD", 2),
    (*b"HKD", 2),
    (*b"HNL", 2),
    (*b"HTG", 2),
    (*b"HUF", 2),
    (*b"IDR", 2),
    (*b"ILS", 2),
    (*b"INR", 2),
    (*b"IQD", 3),
    (*b"IRR", 2),
    (*b"ISK", 0),
    (*b"JMD", 2),
    (*b"JOD", 3),
    (*b"JPY", 0),
    (*b"KES", 2),
    (*b"KGS", 2),
    (*b"KHR", 2),
    (*b"KMF", 0),
    (*b"KPW", 2),
    (*b"KRW", 0),
    (*b"KWD", 3),
    (*b"KYD", 2),
    (*b"KZT", 2),
    (*b"LAK", 2),
    (*b"LBP", 2),
    (*b"LKR", 2),
    (*b"LRD", 2),
    (*b"LSL", 2),
    (*b"LYD", 3),
    (*b"MAD", 2),
    (*b"MDL", 2),
    (*b"MGA", 2),
    (*b"MKD", 2),
    (*b"MMK", 2),
    (*b"MNT", 2),
    (*b"MOP", 2),
    (*b"MRU", 2),
    (*b"MUR", 2),
    (*b"MVR", 2),
    (*b"MWK", 2),
    (*b"MXN", 2),
    (*b"MXV", 2),
    (*b"MYR", 2),
    (*b"MZN", 2),
    (*b"NAD", 2),
    (*b"NGN", 2),
    (*b"NIO", 2),
    (*b"NOK", 2),
    (*b"NPR", 2),
    (*b"NZD", 2),
    (*b"OMR", 3),
    (*b"PAB", 2),
    (*b"PEN", 2),
    (*b"PGK", 2),
    (*b"PHP", 2),
    (*b"PKR", 2),
    (*b"PLN", 2),
    (*b"PYG", 0),
    (*b"QAR", 2),
    (*b"RON", 2),
    (*b"RSD", 2),
    (*b"RUB", 2),
    (*b"RWF", 0),
    (*b"SAR", 2),
    (*b"SBD", 2),
    (*b"SCR", 2),
    (*b"SDG", 2),
    (*b"SEK", 2),
    (*b"SGD", 2),
    (*b"SHP", 2),
    (*b"SLE", 2),
    (*b"SOS", 2),
    (*b"SRD", 2),
    (*b"SSP", 2),
    (*b"STN", 2),
    (*b"SVC", 2),
    (*b"SYP", 2),
    (*b"SZL", 2),
    (*b"THB", 2),
    (*b"TJS", 2),
    (*b"TMT", 2),
    (*b"TND", 3),
    (*b"TOP", 2),
    (*b"TRY", 2),
    (*b"TTD", 2),
    (*b"TWD", 2),
    (*b"TZS", 2),
    (*b"UAH", 2),
    (*b"UGX", 0),
    (*b"USD", 2),
    (*b"USN", 2),
    (*b"UYI", 0),
    (*b"UYU", 2),
    (*b"UYW", 4),
    (*b"UZS", 2),
    (*b"VED", 2),
    (*b"VES", 2),
    (*b"VND", 0),
    (*b"VUV", 0),
    (*b"WST", 2),
    (*b"XAF", 0),
    (*b"XCD", 2),
    (*b"XCG", 2),
    (*b"XOF", 0),
    (*b"XPF", 0),
    (*b"YER", 2),
    (*b"ZAR", 2),
    (*b"ZMW", 2),
    (*b"ZWG", 2),
];

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

    /// Accepts an ISO 4217 code in use, as three uppercase ASCII letters.
    /// Lowercase is refused rather than fixed up, so a stored code always
    /// reads back as it was sent.
    pub fn parse(code: &str) -> Result<Currency, FieldError> {
        match <[u8; 3]>::try_from(code.as_bytes()) {
            Ok(bytes) if bytes.iter().all(u8::is_ascii_uppercase) => {
                if Self::entry(&bytes).is_some() {
                    Ok(Currency(bytes))
                } else {
                    Err(FieldError::new("currency", UNKNOWN_CODE))
                }
            }
            _ => Err(FieldError::new("currency", INVALID_CODE)),
        }
    }

    fn entry(code: &[u8; 3]) -> Option<u32> {
        ISO_4217
            .binary_search_by(|(listed, _)| listed.cmp(code))
            .ok()
            .map(|index| ISO_4217[index].1)
    }

    pub fn code(&self) -> &str {
        // `parse` and the constants only ever hold ASCII letters.
        std::str::from_utf8(&self.0).expect("currency codes are ASCII")
    }

    /// The number of decimal places of the currency's minor unit, as ISO 4217 lists it.
    pub fn minor_units(&self) -> u32 {
        Self::entry(&self.0).unwrap_or(2)
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
    fn parses_only_codes_in_use() {
        for unknown in [
            "ZZZ", "XXX", "XAU", "XDR", "XTS", "HRK", "ANG", "SLL", "CUC", "ZWL",
        ] {
            assert_eq!(
                Currency::parse(unknown),
                Err(FieldError::new("currency", UNKNOWN_CODE)),
                "{unknown}"
            );
        }
        for code in ["XCG", "ZWG", "SLE", "VES", "BOV", "CHE", "USN"] {
            assert!(Currency::parse(code).is_ok(), "{code}");
        }
    }

    #[test]
    fn the_table_is_sorted_and_every_code_reads_back() {
        assert!(ISO_4217.windows(2).all(|pair| pair[0].0 < pair[1].0));
        for (code, exponent) in ISO_4217 {
            let currency = Currency::parse(std::str::from_utf8(&code).unwrap()).unwrap();
            assert_eq!(currency.minor_units(), exponent);
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
