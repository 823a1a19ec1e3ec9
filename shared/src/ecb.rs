//! The European Central Bank's euro foreign exchange reference rates, read
//! from the XML the ECB publishes (`eurofxref-daily.xml`, and the history
//! files `eurofxref-hist-90d.xml` and `eurofxref-hist.xml`, which share its
//! shape): an outer `Cube` holding one `Cube time='YYYY-MM-DD'` per day,
//! each holding `Cube currency='USD' rate='1.0812'` per currency, quoted
//! against EUR. Rates are read as exact decimals, as published.
//!
//! The scheduled fetch, the admin loader and `make run`'s snapshot all read
//! through [`parse`].

use std::collections::{BTreeMap, HashSet};
use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use xmlparser::{ElementEnd, Token, Tokenizer};

use crate::model::FxRates;
use crate::money::Currency;

/// Why a document is not ECB reference rates.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EcbError {
    #[error("not well-formed XML: {0}")]
    Xml(String),
    #[error("a day's Cube at byte {at} has no valid time (YYYY-MM-DD)")]
    Day { at: usize },
    #[error("{day} is listed twice")]
    RepeatedDay { day: NaiveDate },
    #[error("a rate Cube at byte {at} is not inside a day's Cube")]
    RateOutsideDay { at: usize },
    #[error("a rate Cube at byte {at} needs a currency and a rate")]
    Rate { at: usize },
    #[error("{day}: {currency:?} is not an ISO 4217 currency code in use")]
    Currency { day: NaiveDate, currency: String },
    #[error("{day}: the {currency} rate {rate:?} is not a positive decimal")]
    Quote {
        day: NaiveDate,
        currency: Currency,
        rate: String,
    },
    #[error("{day} quotes no currency")]
    EmptyDay { day: NaiveDate },
    #[error("the document holds no day of rates")]
    NoDay,
}

/// What the `Cube` elements open at a point of the document are.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Cube {
    /// The outer one, or any without attributes.
    Plain,
    Day,
    Rate,
}

/// The `Cube` being read, until its start tag ends.
#[derive(Default)]
struct OpenTag {
    at: usize,
    time: Option<String>,
    currency: Option<String>,
    rate: Option<String>,
}

/// Every day of rates in `xml`, in the document's order.
pub fn parse(xml: &str) -> Result<Vec<FxRates>, EcbError> {
    let mut days = Vec::new();
    let mut seen = HashSet::new();
    let mut open: Vec<Cube> = Vec::new();
    let mut tag: Option<OpenTag> = None;
    let mut day: Option<(NaiveDate, BTreeMap<Currency, Decimal>)> = None;
    for token in Tokenizer::from(xml) {
        let token = token.map_err(|e| EcbError::Xml(e.to_string()))?;
        match token {
            Token::ElementStart { local, span, .. } if local.as_str() == "Cube" => {
                tag = Some(OpenTag {
                    at: span.start(),
                    ..OpenTag::default()
                });
            }
            Token::ElementStart { .. } => tag = None,
            Token::Attribute { local, value, .. } => {
                if let Some(tag) = tag.as_mut() {
                    let value = Some(value.as_str().to_string());
                    match local.as_str() {
                        "time" => tag.time = value,
                        "currency" => tag.currency = value,
                        "rate" => tag.rate = value,
                        _ => {}
                    }
                }
            }
            Token::ElementEnd { end, .. } => match end {
                ElementEnd::Open | ElementEnd::Empty => {
                    let Some(started) = tag.take() else {
                        continue;
                    };
                    let kind = start(started, &mut day, &mut seen)?;
                    if end == ElementEnd::Open {
                        open.push(kind);
                    } else if kind == Cube::Day {
                        close_day(&mut day, &mut days)?;
                    }
                }
                ElementEnd::Close(_, local) if local.as_str() == "Cube" => {
                    if open.pop() == Some(Cube::Day) {
                        close_day(&mut day, &mut days)?;
                    }
                }
                ElementEnd::Close(..) => {}
            },
            _ => {}
        }
    }
    if days.is_empty() {
        return Err(EcbError::NoDay);
    }
    Ok(days)
}

/// Takes in the start tag of a `Cube`: a day opens, a rate joins its day.
fn start(
    tag: OpenTag,
    day: &mut Option<(NaiveDate, BTreeMap<Currency, Decimal>)>,
    seen: &mut HashSet<NaiveDate>,
) -> Result<Cube, EcbError> {
    if let Some(time) = tag.time {
        let date = NaiveDate::parse_from_str(&time, "%Y-%m-%d")
            .map_err(|_| EcbError::Day { at: tag.at })?;
        if day.is_some() {
            return Err(EcbError::Day { at: tag.at });
        }
        if !seen.insert(date) {
            return Err(EcbError::RepeatedDay { day: date });
        }
        *day = Some((date, BTreeMap::new()));
        return Ok(Cube::Day);
    }
    if tag.currency.is_none() && tag.rate.is_none() {
        return Ok(Cube::Plain);
    }
    let Some((date, rates)) = day.as_mut() else {
        return Err(EcbError::RateOutsideDay { at: tag.at });
    };
    let (Some(code), Some(rate)) = (tag.currency, tag.rate) else {
        return Err(EcbError::Rate { at: tag.at });
    };
    let currency = Currency::parse(&code).map_err(|_| EcbError::Currency {
        day: *date,
        currency: code,
    })?;
    let quote = Decimal::from_str(&rate)
        .ok()
        .filter(|q| *q > Decimal::ZERO)
        .ok_or(EcbError::Quote {
            day: *date,
            currency,
            rate,
        })?;
    rates.insert(currency, quote.normalize());
    Ok(Cube::Rate)
}

fn close_day(
    day: &mut Option<(NaiveDate, BTreeMap<Currency, Decimal>)>,
    days: &mut Vec<FxRates>,
) -> Result<(), EcbError> {
    if let Some((date, rates)) = day.take() {
        if rates.is_empty() {
            return Err(EcbError::EmptyDay { day: date });
        }
        days.push(FxRates {
            date,
            base: Currency::EUR,
            rates,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    const DAILY: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01" xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
	<gesmes:subject>Reference rates</gesmes:subject>
	<gesmes:Sender>
		<gesmes:name>European Central Bank</gesmes:name>
	</gesmes:Sender>
	<Cube>
		<Cube time='2026-11-20'>
			<Cube currency='USD' rate='1.0812'/>
			<Cube currency='JPY' rate='162.45'/>
			<Cube currency="GBP" rate="0.85120"/>
		</Cube>
		<Cube time='2026-11-19'>
			<Cube currency='USD' rate='1.0790'/>
		</Cube>
	</Cube>
</gesmes:Envelope>"#;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn reads_every_day_with_its_exact_rates_against_eur() {
        let days = parse(DAILY).unwrap();
        assert_eq!(days.len(), 2);
        assert_eq!(days[0].date, day("2026-11-20"));
        assert_eq!(days[0].base, Currency::EUR);
        assert_eq!(days[0].rates[&Currency::USD], dec!(1.0812));
        assert_eq!(
            days[0].rates[&Currency::parse("JPY").unwrap()],
            dec!(162.45)
        );
        assert_eq!(
            days[0].rates[&Currency::parse("GBP").unwrap()].to_string(),
            "0.8512",
            "either quote style; trailing zeros dropped"
        );
        assert_eq!(days[1].date, day("2026-11-19"));
        assert_eq!(days[1].rates.len(), 1);
    }

    #[test]
    fn refuses_what_is_not_reference_rates() {
        let wrap = |cubes: &str| format!("<Envelope><Cube>{cubes}</Cube></Envelope>");
        let cases = [
            ("<Envelope><Cube>".to_string(), "unclosed"),
            (
                wrap("<Cube time='2026-13-01'><Cube currency='USD' rate='1'/></Cube>"),
                "bad day",
            ),
            (
                wrap("<Cube><Cube currency='USD' rate='1'/></Cube>"),
                "rate outside a day",
            ),
            (
                wrap("<Cube time='2026-11-20'><Cube currency='USD'/></Cube>"),
                "no rate",
            ),
            (
                wrap("<Cube time='2026-11-20'><Cube currency='ZZZ' rate='1'/></Cube>"),
                "unknown code",
            ),
            (
                wrap("<Cube time='2026-11-20'><Cube currency='USD' rate='-1'/></Cube>"),
                "negative",
            ),
            (
                wrap("<Cube time='2026-11-20'><Cube currency='USD' rate='1e400'/></Cube>"),
                "not a decimal",
            ),
            (
                wrap("<Cube time='2026-11-20'><Cube currency='USD' rate='0'/></Cube>"),
                "zero",
            ),
            (wrap("<Cube time='2026-11-20'></Cube>"), "empty day"),
            (
                wrap(
                    "<Cube time='2026-11-20'><Cube currency='USD' rate='1'/></Cube><Cube time='2026-11-20'><Cube currency='USD' rate='1'/></Cube>",
                ),
                "repeated day",
            ),
            (
                wrap(
                    "<Cube time='2026-11-20'><Cube time='2026-11-19'><Cube currency='USD' rate='1'/></Cube></Cube>",
                ),
                "nested days",
            ),
            (wrap(""), "no day"),
            (
                wrap(&format!(
                    "<Cube time='2026-11-20'><Cube currency='USD' rate='{}'/></Cube>",
                    "9".repeat(100_000)
                )),
                "huge rate",
            ),
        ];
        for (xml, case) in cases {
            assert!(parse(&xml).is_err(), "{case}: {:?}", parse(&xml));
        }
    }
}
