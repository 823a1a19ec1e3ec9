//! Reference exchange rates, and converting a sale into an account's base
//! currency with them.
//!
//! Rates come as publications: one per day, quoting currencies against the
//! publication's base (the European Central Bank quotes against EUR: one
//! euro buys 1.0812 USD). Every account of a deployment shares them. A sale
//! dated `d` converts at the latest publication dated `d` or up to
//! [`MAX_RATE_AGE_DAYS`] before it; older rates are never used, and no rate
//! is ever guessed. A cross rate (a USD sale in a GBP account) is derived
//! from the two published quotes of one publication, so it is exact as far
//! as a 28-digit decimal goes.

use std::collections::BTreeMap;

use chrono::{NaiveDate, TimeDelta};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::money::{Currency, MAX_AMOUNT};
use crate::validation::FieldError;

/// How many days before a sale the rates it converts at may be published.
pub const MAX_RATE_AGE_DAYS: i64 = 7;

/// The most quotes one publication may carry (the ECB publishes about 30).
pub const MAX_QUOTES: usize = 200;

/// The finest quote: ten decimals (the ECB publishes at most six significant digits).
const MAX_QUOTE_SCALE: u32 = 10;

/// The smallest quote accepted: a millionth.
const MIN_QUOTE: Decimal = Decimal::from_parts(1, 0, 0, false, 6);

/// One day's reference rates.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FxRates {
    /// The day the rates were published for.
    pub date: NaiveDate,
    /// The currency every quote is against.
    pub base: Currency,
    /// How many units of each currency one unit of `base` buys, exactly as published.
    #[serde(with = "quotes")]
    pub rates: BTreeMap<Currency, Decimal>,
}

impl FxRates {
    /// How many units of `currency` one unit of the base buys: 1 for the base itself.
    fn quote(&self, currency: Currency) -> Option<Decimal> {
        if currency == self.base {
            Some(Decimal::ONE)
        } else {
            self.rates.get(&currency).copied()
        }
    }

    /// How to convert an amount in `from` into `to` with these rates:
    /// `None` when either currency is not quoted.
    pub fn conversion(&self, from: Currency, to: Currency) -> Option<Conversion> {
        let rate = self.quote(from)?.checked_div(self.quote(to)?)?;
        Some(Conversion {
            from,
            to,
            rate,
            date: self.date,
        })
    }

    /// Whether these rates may price a sale dated `day`.
    pub fn in_force_on(&self, day: NaiveDate) -> bool {
        self.date <= day && day - self.date <= TimeDelta::days(MAX_RATE_AGE_DAYS)
    }
}

/// The days whose publication may be in force on `day`, newest first.
pub fn candidate_days(day: NaiveDate) -> impl Iterator<Item = NaiveDate> {
    (0..=MAX_RATE_AGE_DAYS).filter_map(move |back| day.checked_sub_signed(TimeDelta::days(back)))
}

/// Converting amounts from a sale's currency into the account's base
/// currency at one published rate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Conversion {
    pub from: Currency,
    pub to: Currency,
    /// How many units of `from` one unit of `to` buys.
    pub rate: Decimal,
    /// The publication the rate comes from.
    pub date: NaiveDate,
}

impl Conversion {
    /// `amount` of `from` in `to`, rounded once to `to`'s minor units, half
    /// away from zero. `None` when the result is not representable.
    pub fn convert(&self, amount: Decimal) -> Option<Decimal> {
        amount
            .checked_div(self.rate)
            .map(|converted| self.to.round(converted))
    }
}

/// The body of a rates upload: `fxRates` in `{"fxRates": {...}}`.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FxRatesDraft {
    /// The currency the rates quote against.
    #[schema(value_type = String, example = "EUR")]
    pub base: String,
    /// How many units of each currency one unit of `base` buys.
    #[schema(value_type = BTreeMap<String, f64>, example = json!({"USD": 1.0812, "JPY": 162.45}))]
    #[serde(with = "quotes_in")]
    pub rates: BTreeMap<String, Decimal>,
}

impl FxRatesDraft {
    /// The publication for `date` these rates make, or what is wrong with
    /// them. Field paths are relative to the draft.
    pub fn check(self, date: NaiveDate) -> Result<FxRates, Vec<FieldError>> {
        let mut errors = Vec::new();
        let base = Currency::parse(&self.base)
            .map_err(|e| errors.push(FieldError::new("base", e.message)))
            .ok();
        if self.rates.is_empty() {
            errors.push(FieldError::new("rates", "must quote at least one currency"));
        }
        if self.rates.len() > MAX_QUOTES {
            errors.push(FieldError::new(
                "rates",
                format!("must quote at most {MAX_QUOTES} currencies"),
            ));
        }
        let mut rates = BTreeMap::new();
        for (code, quote) in self.rates {
            let field = format!("rates.{code}");
            let Ok(currency) = Currency::parse(&code) else {
                errors.push(FieldError::new(
                    field,
                    "is not an ISO 4217 currency code in use",
                ));
                continue;
            };
            if Some(currency) == base {
                errors.push(FieldError::new(
                    field,
                    "is the base; quote other currencies",
                ));
            } else if quote < MIN_QUOTE || quote > MAX_AMOUNT {
                errors.push(FieldError::new(
                    field,
                    format!("must be between {MIN_QUOTE} and {MAX_AMOUNT}"),
                ));
            } else if quote.normalize().scale() > MAX_QUOTE_SCALE {
                errors.push(FieldError::new(
                    field,
                    format!("must have at most {MAX_QUOTE_SCALE} decimals"),
                ));
            } else {
                rates.insert(currency, quote.normalize());
            }
        }
        match base {
            Some(base) if errors.is_empty() => Ok(FxRates { date, base, rates }),
            _ => Err(errors),
        }
    }
}

/// Quotes as stored: exact decimal strings.
mod quotes {
    use std::collections::BTreeMap;
    use std::str::FromStr;

    use rust_decimal::Decimal;
    use serde::{Deserialize, Deserializer, Serialize, Serializer, de};

    use crate::money::Currency;

    pub fn serialize<S: Serializer>(
        rates: &BTreeMap<Currency, Decimal>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        let strings: BTreeMap<&str, String> = rates
            .iter()
            .map(|(currency, quote)| (currency.code(), quote.to_string()))
            .collect();
        strings.serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<BTreeMap<Currency, Decimal>, D::Error> {
        BTreeMap::<Currency, String>::deserialize(deserializer)?
            .into_iter()
            .map(|(currency, quote)| {
                Decimal::from_str(&quote)
                    .map(|quote| (currency, quote))
                    .map_err(de::Error::custom)
            })
            .collect()
    }
}

/// Quotes as a request sends them: exact JSON numbers.
mod quotes_in {
    use std::collections::BTreeMap;

    use rust_decimal::Decimal;
    use serde::{Deserialize, Deserializer};

    #[derive(Deserialize)]
    struct Quote(#[serde(with = "rust_decimal::serde::arbitrary_precision")] Decimal);

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<BTreeMap<String, Decimal>, D::Error> {
        Ok(BTreeMap::<String, Quote>::deserialize(deserializer)?
            .into_iter()
            .map(|(code, Quote(quote))| (code, quote))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn ecb(date: &str) -> FxRates {
        FxRates {
            date: day(date),
            base: Currency::EUR,
            rates: BTreeMap::from([
                (Currency::USD, dec!(1.0812)),
                (Currency::parse("JPY").unwrap(), dec!(162.45)),
            ]),
        }
    }

    #[test]
    fn a_sale_in_the_quoted_currency_converts_at_the_published_rate() {
        let conversion = ecb("2026-11-20")
            .conversion(Currency::USD, Currency::EUR)
            .unwrap();
        assert_eq!(conversion.rate, dec!(1.0812), "exactly as published");
        assert_eq!(conversion.date, day("2026-11-20"));
        assert_eq!(conversion.convert(dec!(299.90)), Some(dec!(277.38)));
        assert_eq!(conversion.convert(dec!(-299.90)), Some(dec!(-277.38)));
    }

    #[test]
    fn converting_into_a_quoted_currency_multiplies_and_rounds_to_its_minor_units() {
        let jpy = Currency::parse("JPY").unwrap();
        let conversion = ecb("2026-11-20").conversion(Currency::EUR, jpy).unwrap();
        assert_eq!(conversion.convert(dec!(10.01)), Some(dec!(1626)));
    }

    #[test]
    fn a_cross_rate_is_derived_from_the_two_quotes() {
        let jpy = Currency::parse("JPY").unwrap();
        let conversion = ecb("2026-11-20").conversion(jpy, Currency::USD).unwrap();
        assert_eq!(conversion.rate, dec!(162.45) / dec!(1.0812));
        // 16245 JPY is 100 EUR, which is 108.12 USD.
        assert_eq!(conversion.convert(dec!(16245)), Some(dec!(108.12)));
    }

    #[test]
    fn a_currency_without_a_quote_has_no_conversion() {
        let gbp = Currency::parse("GBP").unwrap();
        assert_eq!(ecb("2026-11-20").conversion(gbp, Currency::EUR), None);
        assert_eq!(ecb("2026-11-20").conversion(Currency::EUR, gbp), None);
    }

    #[test]
    fn rates_are_in_force_for_seven_days_from_their_date() {
        let rates = ecb("2026-11-20");
        assert!(rates.in_force_on(day("2026-11-20")));
        assert!(rates.in_force_on(day("2026-11-27")));
        assert!(!rates.in_force_on(day("2026-11-28")));
        assert!(
            !rates.in_force_on(day("2026-11-19")),
            "not before their date"
        );
        let days: Vec<_> = candidate_days(day("2026-11-27")).collect();
        assert_eq!(days.first(), Some(&day("2026-11-27")));
        assert_eq!(days.last(), Some(&day("2026-11-20")));
        assert_eq!(days.len(), 8);
    }

    #[test]
    fn quotes_are_stored_as_exact_strings() {
        let rates = ecb("2026-11-20");
        let json = serde_json::to_value(&rates).unwrap();
        assert_eq!(json["rates"]["USD"], "1.0812");
        let back: FxRates = serde_json::from_value(json).unwrap();
        assert_eq!(back, rates);
    }

    fn draft(json: serde_json::Value) -> FxRatesDraft {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn an_upload_becomes_a_publication() {
        let rates =
            draft(serde_json::json!({"base": "EUR", "rates": {"USD": 1.0812, "JPY": 162.45}}))
                .check(day("2026-11-20"))
                .unwrap();
        assert_eq!(rates, ecb("2026-11-20"));
    }

    #[test]
    fn an_upload_names_every_bad_quote() {
        let errors = draft(serde_json::json!({"base": "EUR", "rates": {
            "ZZZ": 1, "EUR": 1, "USD": 0, "JPY": 1e10, "GBP": 0.12345678901}}))
        .check(day("2026-11-20"))
        .unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "rates.EUR",
                "rates.GBP",
                "rates.JPY",
                "rates.USD",
                "rates.ZZZ"
            ]
        );
        let errors = draft(serde_json::json!({"base": "eur", "rates": {}}))
            .check(day("2026-11-20"))
            .unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["base", "rates"]);
    }
}
