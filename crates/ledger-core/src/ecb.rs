//! The European Central Bank's euro foreign exchange reference rates, read
//! from the XML the ECB publishes (`eurofxref-daily.xml`, and the history
//! files `eurofxref-hist-90d.xml` and `eurofxref-hist.xml`, which share its
//! shape): an outer `Cube` holding one `Cube time='YYYY-MM-DD'` per day,
//! each holding `Cube currency='USD' rate='1.0812'` per currency, quoted
//! against EUR. Rates are read as exact decimals, as published, and each
//! day passes the checks of an upload (`FxRatesDraft::check`), so the
//! table never holds rates from here that the API would have refused.
//!
//! `xmlparser` only tokenizes: it does not match end tags to start tags,
//! so that is done here. A document cut short (a dropped connection)
//! is then refused instead of read as the days before the cut.
//!
//! The scheduled fetch, the admin loader and `make run`'s snapshot all read
//! through [`parse`].

use std::collections::{BTreeMap, HashSet};
use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use xmlparser::{ElementEnd, StrSpan, Token, Tokenizer};

use crate::model::{FxRates, FxRatesDraft};
use crate::money::Currency;

/// The most digits a rate may have: up to 28, `Decimal` holds a decimal
/// exactly (it rounds what is longer).
const MAX_DIGITS: usize = 28;

/// How much of an offending value an error repeats.
const EXCERPT_CHARS: usize = 16;

/// Why a document is not ECB reference rates.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EcbError {
    #[error("not well-formed XML: {0}")]
    Xml(String),
    #[error("a Cube at byte {at} is neither a day (time) nor a rate (currency and rate)")]
    Cube { at: usize },
    #[error("a day's Cube at byte {at} has no valid time (YYYY-MM-DD)")]
    Day { at: usize },
    #[error("{day} is listed twice")]
    RepeatedDay { day: NaiveDate },
    #[error("a rate Cube at byte {at} is not inside a day's Cube")]
    RateOutsideDay { at: usize },
    #[error("a Cube at byte {at} is nested wrongly (a day in a day, or anything in a rate)")]
    Nested { at: usize },
    #[error("{day}: {currency:?} is not an ISO 4217 currency code in use")]
    Currency { day: NaiveDate, currency: String },
    #[error("{day}: the {currency} rate {rate:?} is not a plain decimal of at most 28 digits")]
    Quote {
        day: NaiveDate,
        currency: Currency,
        rate: String,
    },
    #[error("{day}: {currency} is quoted twice")]
    RepeatedQuote { day: NaiveDate, currency: Currency },
    #[error("{day}: {problems}")]
    Rates { day: NaiveDate, problems: String },
    #[error("the document holds no day of rates")]
    NoDay,
}

/// What a `Cube` element is, by its attributes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Cube {
    /// The outer one: no attributes.
    Plain,
    Day,
    Rate,
}

/// An element's qualified name: prefix and local name.
type Name<'a> = (&'a str, &'a str);

/// An element open at a point of the document.
struct Open<'a> {
    name: Name<'a>,
    cube: Option<Cube>,
}

/// A start tag being read, until it ends: the attributes a `Cube` is read by.
struct StartTag<'a> {
    name: Name<'a>,
    at: usize,
    time: Option<&'a str>,
    currency: Option<&'a str>,
    rate: Option<&'a str>,
}

impl<'a> StartTag<'a> {
    fn is_cube(&self) -> bool {
        self.name.1 == "Cube"
    }

    /// Takes in an unprefixed attribute; a repeated one is not well-formed XML.
    fn attribute(&mut self, name: &str, value: &'a str) -> Result<(), EcbError> {
        let slot = match name {
            "time" => &mut self.time,
            "currency" => &mut self.currency,
            "rate" => &mut self.rate,
            _ => return Ok(()),
        };
        if slot.replace(value).is_some() {
            return Err(EcbError::Xml(format!(
                "the tag at byte {} repeats its {name} attribute",
                self.at
            )));
        }
        Ok(())
    }
}

/// The day being read and its quotes so far.
struct Day {
    date: NaiveDate,
    quotes: BTreeMap<Currency, Decimal>,
}

/// The document read so far.
#[derive(Default)]
struct Reader<'a> {
    open: Vec<Open<'a>>,
    tag: Option<StartTag<'a>>,
    day: Option<Day>,
    seen: HashSet<NaiveDate>,
    days: Vec<FxRates>,
}

/// Every day of rates in `xml`, in the document's order.
pub fn parse(xml: &str) -> Result<Vec<FxRates>, EcbError> {
    let mut reader = Reader::default();
    for token in Tokenizer::from(xml) {
        reader.take(token.map_err(|e| EcbError::Xml(e.to_string()))?)?;
    }
    reader.finish()
}

impl<'a> Reader<'a> {
    fn take(&mut self, token: Token<'a>) -> Result<(), EcbError> {
        match token {
            Token::ElementStart {
                prefix,
                local,
                span,
            } => {
                self.tag = Some(StartTag {
                    name: (prefix.as_str(), local.as_str()),
                    at: span.start(),
                    time: None,
                    currency: None,
                    rate: None,
                });
            }
            Token::Attribute {
                prefix,
                local,
                value,
                ..
            } if prefix.is_empty() => {
                if let Some(tag) = self.tag.as_mut() {
                    tag.attribute(local.as_str(), value.as_str())?;
                }
            }
            Token::ElementEnd { end, span } => self.end(end, span)?,
            _ => {}
        }
        Ok(())
    }

    /// A start tag's end (`>` or `/>`), or an end tag.
    fn end(&mut self, end: ElementEnd<'a>, span: StrSpan<'a>) -> Result<(), EcbError> {
        match end {
            ElementEnd::Open | ElementEnd::Empty => {
                if let Some(tag) = self.tag.take() {
                    let name = tag.name;
                    let cube = self.start(tag)?;
                    if end == ElementEnd::Open {
                        self.open.push(Open { name, cube });
                    } else if cube == Some(Cube::Day) {
                        self.close_day()?;
                    }
                }
            }
            ElementEnd::Close(prefix, local) => match self.open.pop() {
                Some(open) if open.name == (prefix.as_str(), local.as_str()) => {
                    if open.cube == Some(Cube::Day) {
                        self.close_day()?;
                    }
                }
                _ => {
                    return Err(EcbError::Xml(format!(
                        "the end tag at byte {} does not close the element open there",
                        span.start()
                    )));
                }
            },
        }
        Ok(())
    }

    /// Takes in a complete start tag: a day opens, a rate joins its day.
    fn start(&mut self, tag: StartTag<'a>) -> Result<Option<Cube>, EcbError> {
        if !tag.is_cube() {
            return Ok(None);
        }
        let at = tag.at;
        let within = self.open.iter().rev().find_map(|open| open.cube);
        match (tag.time, tag.currency, tag.rate, within) {
            (Some(_), None, None, Some(Cube::Day | Cube::Rate))
            | (None, None, None, Some(Cube::Day | Cube::Rate))
            | (None, Some(_), Some(_), Some(Cube::Rate)) => Err(EcbError::Nested { at }),
            (None, None, None, _) => Ok(Some(Cube::Plain)),
            (Some(time), None, None, _) => {
                self.open_day(time, at)?;
                Ok(Some(Cube::Day))
            }
            (None, Some(currency), Some(rate), Some(Cube::Day)) => {
                self.quote(currency, rate, at)?;
                Ok(Some(Cube::Rate))
            }
            (None, Some(_), Some(_), _) => Err(EcbError::RateOutsideDay { at }),
            _ => Err(EcbError::Cube { at }),
        }
    }

    fn open_day(&mut self, time: &str, at: usize) -> Result<(), EcbError> {
        let date = NaiveDate::parse_from_str(time, "%Y-%m-%d")
            .ok()
            .filter(|date| date.format("%Y-%m-%d").to_string() == time)
            .ok_or(EcbError::Day { at })?;
        if !self.seen.insert(date) {
            return Err(EcbError::RepeatedDay { day: date });
        }
        self.day = Some(Day {
            date,
            quotes: BTreeMap::new(),
        });
        Ok(())
    }

    fn quote(&mut self, code: &str, rate: &str, at: usize) -> Result<(), EcbError> {
        let Some(day) = self.day.as_mut() else {
            return Err(EcbError::RateOutsideDay { at });
        };
        let currency = Currency::parse(code).map_err(|_| EcbError::Currency {
            day: day.date,
            currency: excerpt(code),
        })?;
        let quote = exact_decimal(rate).ok_or_else(|| EcbError::Quote {
            day: day.date,
            currency,
            rate: excerpt(rate),
        })?;
        if day.quotes.insert(currency, quote).is_some() {
            return Err(EcbError::RepeatedQuote {
                day: day.date,
                currency,
            });
        }
        Ok(())
    }

    /// Ends the day being read: its quotes must make a publication an
    /// upload could make (at least one, positive, in range, EUR not quoted).
    fn close_day(&mut self) -> Result<(), EcbError> {
        if let Some(Day { date, quotes }) = self.day.take() {
            let draft = FxRatesDraft {
                base: Currency::EUR.code().to_string(),
                rates: quotes
                    .into_iter()
                    .map(|(currency, quote)| (currency.code().to_string(), quote))
                    .collect(),
            };
            let rates = draft.check(date).map_err(|errors| EcbError::Rates {
                day: date,
                problems: errors
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; "),
            })?;
            self.days.push(rates);
        }
        Ok(())
    }

    fn finish(self) -> Result<Vec<FxRates>, EcbError> {
        if !self.open.is_empty() {
            return Err(EcbError::Xml(
                "the document ends before its elements do".to_string(),
            ));
        }
        if self.days.is_empty() {
            return Err(EcbError::NoDay);
        }
        Ok(self.days)
    }
}

/// A rate as the ECB writes it (`1.0812`, `162.45`), read exactly: digits,
/// optionally a point and more digits. `Decimal::from_str` alone would also
/// take signs and `_`, and round away digits past its precision.
fn exact_decimal(text: &str) -> Option<Decimal> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, "0"));
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    if !(digits(whole) && digits(fraction) && whole.len() + fraction.len() <= MAX_DIGITS) {
        return None;
    }
    Decimal::from_str(text).ok()
}

/// The start of a value, for an error message that stays short however
/// long the value.
fn excerpt(text: &str) -> String {
    text.chars().take(EXCERPT_CHARS).collect()
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
        let one = |rate: &str| {
            wrap(&format!(
                "<Cube time='2026-11-20'><Cube currency='USD' rate='{rate}'/></Cube>"
            ))
        };
        let huge = "9".repeat(100_000);
        let cases = [
            ("<Envelope><Cube>".to_string(), "ends before"),
            (
                "<Envelope><Cube><Cube time='2026-11-20'><Cube currency='USD' rate='1'/></Cube>"
                    .to_string(),
                "ends before",
            ),
            (
                "<Envelope><Cube><Cube time='2026-11-20'><Cube currency='USD' rate='1'/></Cube></Cube></Wrong>"
                    .to_string(),
                "does not close",
            ),
            (one("1.08").replacen("<Cube>", "<Cube", 1), "not well-formed"),
            (
                wrap("<Cube time='2026-11-20'><Cube currency='USD' rate='1' rate='2'/></Cube>"),
                "repeats its rate",
            ),
            (
                wrap("<Cube time='2026-13-01'><Cube currency='USD' rate='1'/></Cube>"),
                "no valid time",
            ),
            (
                wrap("<Cube time=' 2026-11-20'><Cube currency='USD' rate='1'/></Cube>"),
                "no valid time",
            ),
            (
                wrap("<Cube><Cube currency='USD' rate='1'/></Cube>"),
                "not inside a day",
            ),
            (
                "<Envelope><Cube currency='USD' rate='1'/></Envelope>".to_string(),
                "not inside a day",
            ),
            (
                wrap("<Cube time='2026-11-20'><Cube currency='USD'/></Cube>"),
                "neither a day",
            ),
            (
                wrap("<Cube time='2026-11-20' currency='USD' rate='1'></Cube>"),
                "neither a day",
            ),
            (
                wrap(
                    "<Cube time='2026-11-20'><Cube time='2026-11-19'><Cube currency='USD' rate='1'/></Cube></Cube>",
                ),
                "nested wrongly",
            ),
            (
                wrap(
                    "<Cube time='2026-11-20'><Cube currency='USD' rate='1'><Cube currency='JPY' rate='2'/></Cube></Cube>",
                ),
                "nested wrongly",
            ),
            (
                wrap("<Cube time='2026-11-20'><Cube currency='ZZZ' rate='1'/></Cube>"),
                "not an ISO 4217",
            ),
            (
                wrap("<Cube time='2026-11-20'><Cube currency='usd' rate='1'/></Cube>"),
                "not an ISO 4217",
            ),
            (one("-1"), "not a plain decimal"),
            (one("+1.08"), "not a plain decimal"),
            (one("1e400"), "not a plain decimal"),
            (one("1_000"), "not a plain decimal"),
            (one(".5"), "not a plain decimal"),
            (one("1.08 "), "not a plain decimal"),
            (one("1.000000000000000000000000000001"), "not a plain decimal"),
            (one(&huge), "not a plain decimal"),
            (one("0"), "must be between"),
            (one("0.0000001"), "must be between"),
            (one("1.00000000001"), "at most 10 decimals"),
            (
                wrap("<Cube time='2026-11-20'><Cube currency='EUR' rate='1'/></Cube>"),
                "is the base",
            ),
            (
                wrap(
                    "<Cube time='2026-11-20'><Cube currency='USD' rate='1'/><Cube currency='USD' rate='2'/></Cube>",
                ),
                "quoted twice",
            ),
            (wrap("<Cube time='2026-11-20'></Cube>"), "at least one"),
            (wrap("<Cube time='2026-11-20'/>"), "at least one"),
            (
                wrap(
                    "<Cube time='2026-11-20'><Cube currency='USD' rate='1'/></Cube><Cube time='2026-11-20'><Cube currency='USD' rate='1'/></Cube>",
                ),
                "listed twice",
            ),
            (wrap(""), "no day"),
            (String::new(), "no day"),
        ];
        for (xml, expected) in cases {
            let error = parse(&xml).expect_err(expected).to_string();
            assert!(error.contains(expected), "{expected}: {error}");
            assert!(error.len() < 200, "{expected}: a short message, {error}");
        }
    }
}
