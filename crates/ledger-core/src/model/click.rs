//! Clicks on partners' referral links: what a click records, the rule that
//! tells a bot's visit from a person's, where a followed link leads, the
//! attribution cookie, and the day ranges per-day click counts are listed
//! over.
//!
//! Attribution is last click within the window: each followed link sets the
//! `pl_ref` cookie to its own click, replacing the one before, and a
//! referral created with that click's id goes to its partner while the
//! click's window (its campaign's `cookie_duration`, as it was when the
//! link was followed) still covers the signup.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::id::Id;
use super::partner::{self, Link, Partner};
use crate::validation::FieldError;

/// The attribution cookie a followed link sets; it holds the click's id.
pub const COOKIE: &str = "pl_ref";
/// The query parameter the click's id is added to the destination as.
pub const CLICK_PARAMETER: &str = "pl_click";
/// The most days one per-day list covers.
pub const MAX_DAYS: i64 = 366;
/// The days a per-day list covers when it is not told.
pub const DEFAULT_DAYS: i64 = 30;
/// A click keeps at most this much of the visitor's user agent.
pub const MAX_USER_AGENT: usize = 256;

/// One counted click: a person followed (or the merchant's site reported)
/// a partner's link.
#[derive(Clone, Debug, PartialEq)]
pub struct Click {
    pub id: Id,
    pub partner_id: Id,
    /// The partner's campaign when the link was followed, if it had one.
    pub campaign_id: Option<Id>,
    /// The link code followed, as the partner's link spells it.
    pub code: String,
    pub at: DateTime<Utc>,
    /// Where the attribution window ends: `at` plus the campaign's
    /// `cookie_duration` days.
    pub expires_at: DateTime<Utc>,
    /// SHA-256 of the account and the visitor's IP address, never the
    /// address itself.
    pub ip_hash: Option<String>,
    /// The visitor's user agent, cut to [`MAX_USER_AGENT`] characters.
    pub user_agent: Option<String>,
    /// The page the merchant's site reported the click on.
    pub landing_url: Option<String>,
}

/// What a click is recorded from: the visit as the request showed it.
#[derive(Clone, Copy, Debug, Default)]
pub struct Visit<'a> {
    pub user_agent: Option<&'a str>,
    pub ip: Option<&'a str>,
    /// A `HEAD` request.
    pub head: bool,
    /// The `Purpose` header.
    pub purpose: Option<&'a str>,
    /// The `Sec-Purpose` header.
    pub sec_purpose: Option<&'a str>,
}

/// Why a visit is not counted as a click (it is still redirected).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BotSign {
    /// No `User-Agent`, or an empty one.
    NoUserAgent,
    /// The user agent holds this marker (compared ignoring case).
    Marker(&'static str),
    /// A browser fetching ahead of the person (`Purpose` or `Sec-Purpose`
    /// naming `prefetch` or `prerender`).
    Prefetch,
    /// A `HEAD` request: something checking the link, not following it.
    Head,
}

/// User-agent markers of crawlers, link previewers, monitors and scripted
/// clients. `curl` is not one: people test their links with it (the
/// README's examples do), and it is counted.
pub const BOT_MARKERS: [&str; 22] = [
    "bot",
    "crawl",
    "spider",
    "slurp",
    "facebookexternalhit",
    "preview",
    "headless",
    "wget",
    "python-requests",
    "python-urllib",
    "aiohttp",
    "go-http-client",
    "java/",
    "okhttp",
    "libwww-perl",
    "scrapy",
    "httpclient",
    "node-fetch",
    "axios/",
    "lighthouse",
    "pingdom",
    "whatsapp",
];

impl Visit<'_> {
    /// The documented bot rule: a visit is not counted when it is a `HEAD`,
    /// a prefetch, has no user agent, or its user agent holds one of
    /// [`BOT_MARKERS`].
    pub fn bot_sign(&self) -> Option<BotSign> {
        if self.head {
            return Some(BotSign::Head);
        }
        let fetching_ahead = |header: Option<&str>| {
            header.is_some_and(|value| {
                value.split([';', ',']).any(|token| {
                    let token = token.trim();
                    token.eq_ignore_ascii_case("prefetch")
                        || token.eq_ignore_ascii_case("prerender")
                })
            })
        };
        if fetching_ahead(self.purpose) || fetching_ahead(self.sec_purpose) {
            return Some(BotSign::Prefetch);
        }
        let agent = self.user_agent.map(str::trim).unwrap_or_default();
        if agent.is_empty() {
            return Some(BotSign::NoUserAgent);
        }
        let agent = agent.to_ascii_lowercase();
        BOT_MARKERS
            .into_iter()
            .find(|marker| agent.contains(marker))
            .map(BotSign::Marker)
    }
}

/// The body of `POST /clicks.json`: `click` in `{"click": {...}}`, sent by
/// the merchant's site when a visitor arrives with a partner's code.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClickDraft {
    /// The partner's link code (ignoring case).
    #[schema(example = "ann")]
    pub code: String,
    /// The page the visitor landed on: an http or https URL of at most 2000 characters.
    #[schema(example = "https://example.com/pricing?via=ann")]
    pub landing_url: Option<String>,
    /// The visitor's user agent; defaults to the request's `User-Agent`.
    pub user_agent: Option<String>,
    /// The visitor's IP address (hashed before it is stored); defaults to the request's.
    pub ip: Option<String>,
}

impl ClickDraft {
    /// Validates everything that needs no stored data; field paths are
    /// relative to the draft.
    pub fn check(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        partner::check_code("code", &self.code, &mut errors);
        if let Some(url) = &self.landing_url
            && !partner::is_web_url(url)
        {
            errors.push(FieldError::new(
                "landing_url",
                "must be an http or https URL of at most 2000 characters",
            ));
        }
        if let Some(ip) = &self.ip
            && ip.parse::<std::net::IpAddr>().is_err()
        {
            errors.push(FieldError::new("ip", "must be an IPv4 or IPv6 address"));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

/// Where a followed link leads: the link's own URL, else the campaign's
/// website; `None` when neither is set.
pub fn target<'a>(link: &'a Link, website_url: Option<&'a str>) -> Option<&'a str> {
    link.url.as_deref().or(website_url)
}

/// `target` with the click's id added as the `pl_click` query parameter (no
/// click, no parameter); `None` when `target` is not a URL.
pub fn destination(target: &str, click: Option<&Id>) -> Option<String> {
    let mut url = url::Url::parse(target).ok()?;
    if let Some(click) = click {
        url.query_pairs_mut()
            .append_pair(CLICK_PARAMETER, click.as_str());
    }
    Some(url.into())
}

/// The `Set-Cookie` value that makes `click` the visitor's last click, for
/// as long as its window lasts. `Secure` unless `insecure` (a local,
/// plain-HTTP `make run`); `Domain` when one is configured. Not `HttpOnly`:
/// the merchant's tracking script reads it.
pub fn cookie(click: &Click, domain: Option<&str>, insecure: bool) -> String {
    let max_age = (click.expires_at - click.at).num_seconds().max(0);
    let mut cookie = format!(
        "{COOKIE}={}; Max-Age={max_age}; Path=/; SameSite=Lax",
        click.id
    );
    if let Some(domain) = domain {
        cookie.push_str("; Domain=");
        cookie.push_str(domain);
    }
    if !insecure {
        cookie.push_str("; Secure");
    }
    cookie
}

/// The link of `partner` with `code` (ignoring case), if it still has one.
pub fn link<'a>(partner: &'a Partner, code: &str) -> Option<&'a Link> {
    partner
        .links
        .iter()
        .find(|link| link.code.eq_ignore_ascii_case(code))
}

impl Click {
    /// A click on `partner`'s `link` at `now`, its window `cookie_days`
    /// long. The IP address is hashed with the account's id, so the same
    /// visitor hashes differently in each account.
    pub fn new(
        account: &Id,
        partner: &Partner,
        link: &Link,
        cookie_days: u32,
        visit: &Visit<'_>,
        landing_url: Option<String>,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            id: Id::generate(now),
            partner_id: partner.id.clone(),
            campaign_id: partner.campaign_id.clone(),
            code: link.code.clone(),
            at: now,
            expires_at: now + Duration::days(i64::from(cookie_days)),
            ip_hash: visit.ip.map(|ip| ip_hash(account, ip)),
            user_agent: visit
                .user_agent
                .map(|agent| agent.chars().take(MAX_USER_AGENT).collect()),
            landing_url,
        }
    }

    /// Whether a signup at `moment` falls inside the click's window.
    pub fn covers(&self, moment: DateTime<Utc>) -> bool {
        self.at <= moment && moment < self.expires_at
    }
}

fn ip_hash(account: &Id, ip: &str) -> String {
    let digest = Sha256::new()
        .chain_update(account.as_str())
        .chain_update(b"\n")
        .chain_update(ip.trim())
        .finalize();
    hex::encode(digest)
}

/// One day's count of a partner's clicks (UTC days).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct ClickDay {
    #[schema(value_type = String, example = "2026-02-01")]
    pub date: NaiveDate,
    pub clicks: u64,
}

/// The days a per-day list covers, both ends included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DayRange {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl DayRange {
    /// `from..=to`, by default the [`DEFAULT_DAYS`] days up to `today` (or
    /// up to `to`, or from `from`); at most [`MAX_DAYS`] days.
    pub fn new(
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        today: NaiveDate,
    ) -> Result<Self, FieldError> {
        let span = Duration::days(DEFAULT_DAYS - 1);
        let (from, to) = match (from, to) {
            (Some(from), Some(to)) => (from, to),
            (Some(from), None) => (from, from.checked_add_signed(span).unwrap_or(from)),
            (None, Some(to)) => (to.checked_sub_signed(span).unwrap_or(to), to),
            (None, None) => (today - span, today),
        };
        if to < from {
            return Err(FieldError::new("to", "must not be before from"));
        }
        if (to - from).num_days() >= MAX_DAYS {
            return Err(FieldError::new(
                "from",
                format!("a list covers at most {MAX_DAYS} days"),
            ));
        }
        Ok(Self { from, to })
    }

    /// Every day of the range, in order.
    pub fn days(&self) -> impl Iterator<Item = NaiveDate> + use<> {
        let (from, to) = (self.from, self.to);
        from.iter_days().take_while(move |day| *day <= to)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::PartnerStats;

    const BROWSER: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Version/17.5 Safari/605.1.15";

    fn visit(agent: Option<&str>) -> Visit<'_> {
        Visit {
            user_agent: agent,
            ..Visit::default()
        }
    }

    fn partner(links: Vec<Link>) -> Partner {
        let now = Utc::now();
        Partner {
            id: Id::generate(now),
            email: "ann@example.com".into(),
            first_name: None,
            last_name: None,
            payout_email: None,
            group_id: Id::generate(now),
            campaign_id: Some(Id::generate(now)),
            parent_partner_id: None,
            links,
            promo_codes: vec![],
            approved: true,
            banned: false,
            details: None,
            stats: PartnerStats::default(),
            created_at: now,
            updated_at: now,
            version: 0,
        }
    }

    fn link(url: Option<&str>) -> Link {
        Link {
            url: url.map(Into::into),
            code: "Ann".into(),
        }
    }

    #[test]
    fn a_browser_and_curl_are_counted() {
        assert_eq!(visit(Some(BROWSER)).bot_sign(), None);
        assert_eq!(visit(Some("curl/8.5.0")).bot_sign(), None);
    }

    #[test]
    fn every_rule_of_the_bot_rule_holds() {
        assert_eq!(visit(None).bot_sign(), Some(BotSign::NoUserAgent));
        assert_eq!(visit(Some("  ")).bot_sign(), Some(BotSign::NoUserAgent));
        for (agent, marker) in [
            ("Googlebot/2.1 (+http://www.google.com/bot.html)", "bot"),
            ("Mozilla/5.0 (compatible; YandexSpider/3.0)", "spider"),
            ("facebookexternalhit/1.1", "facebookexternalhit"),
            ("Mozilla/5.0 HeadlessChrome/120.0", "headless"),
            ("Wget/1.21", "wget"),
            ("python-requests/2.31", "python-requests"),
            ("WhatsApp/2.23.20", "whatsapp"),
            ("Mozilla/5.0 (compatible; Yahoo! Slurp)", "slurp"),
        ] {
            assert_eq!(
                visit(Some(agent)).bot_sign(),
                Some(BotSign::Marker(marker)),
                "{agent}"
            );
        }
        let head = Visit {
            head: true,
            ..visit(Some(BROWSER))
        };
        assert_eq!(head.bot_sign(), Some(BotSign::Head));
        for (purpose, sec_purpose) in [
            (Some("prefetch"), None),
            (None, Some("prefetch;prerender")),
            (None, Some("Prefetch")),
        ] {
            let prefetch = Visit {
                purpose,
                sec_purpose,
                ..visit(Some(BROWSER))
            };
            assert_eq!(prefetch.bot_sign(), Some(BotSign::Prefetch));
        }
        let other_purpose = Visit {
            purpose: Some("navigate"),
            ..visit(Some(BROWSER))
        };
        assert_eq!(other_purpose.bot_sign(), None);
    }

    #[test]
    fn a_click_lasts_its_campaigns_cookie_days_and_keeps_no_raw_address() {
        let account = Id::generate(Utc::now());
        let partner = partner(vec![link(Some("https://example.com/"))]);
        let agent = "x".repeat(1000);
        let seen = Visit {
            user_agent: Some(&agent),
            ip: Some("203.0.113.7"),
            ..Visit::default()
        };
        let now = Utc::now();
        let click = Click::new(&account, &partner, &partner.links[0], 30, &seen, None, now);
        assert_eq!(click.expires_at - click.at, Duration::days(30));
        assert_eq!(click.code, "Ann");
        assert_eq!(click.campaign_id, partner.campaign_id);
        let hash = click.ip_hash.clone().unwrap();
        assert_eq!(hash.len(), 64);
        assert!(!hash.contains("203.0.113.7"));
        let other = Click::new(
            &Id::generate(now),
            &partner,
            &partner.links[0],
            30,
            &seen,
            None,
            now,
        );
        assert_ne!(other.ip_hash, click.ip_hash, "salted with the account");
        assert_eq!(
            click.user_agent.as_deref().unwrap().chars().count(),
            MAX_USER_AGENT
        );
        assert!(click.covers(now));
        assert!(click.covers(now + Duration::days(30) - Duration::seconds(1)));
        assert!(!click.covers(now + Duration::days(30)));
        assert!(!click.covers(now - Duration::seconds(1)));
    }

    #[test]
    fn the_link_leads_to_its_url_else_the_campaign_website_with_the_click_id() {
        assert_eq!(
            target(
                &link(Some("https://a.example/x")),
                Some("https://b.example")
            ),
            Some("https://a.example/x")
        );
        assert_eq!(
            target(&link(None), Some("https://b.example")),
            Some("https://b.example")
        );
        assert_eq!(target(&link(None), None), None);
        let id = Id::parse("68f767210000000000000001").unwrap();
        assert_eq!(
            destination("https://a.example/x?via=ann", Some(&id)).unwrap(),
            "https://a.example/x?via=ann&pl_click=68f767210000000000000001"
        );
        assert_eq!(
            destination("https://a.example", None).unwrap(),
            "https://a.example/"
        );
        assert_eq!(destination("not a url", Some(&id)), None);
    }

    #[test]
    fn the_cookie_is_readable_by_script_secure_and_lasts_the_window() {
        let partner = partner(vec![link(None)]);
        let now = Utc::now();
        let click = Click::new(
            &Id::generate(now),
            &partner,
            &partner.links[0],
            7,
            &Visit::default(),
            None,
            now,
        );
        assert_eq!(
            cookie(&click, None, false),
            format!(
                "pl_ref={}; Max-Age=604800; Path=/; SameSite=Lax; Secure",
                click.id
            )
        );
        assert_eq!(
            cookie(&click, Some("example.com"), true),
            format!(
                "pl_ref={}; Max-Age=604800; Path=/; SameSite=Lax; Domain=example.com",
                click.id
            )
        );
    }

    #[test]
    fn a_link_is_found_by_its_code_in_any_case() {
        let partner = partner(vec![link(None)]);
        assert!(super::link(&partner, "ANN").is_some());
        assert!(super::link(&partner, "bob").is_none());
    }

    #[test]
    fn a_day_range_defaults_to_thirty_days_and_is_bounded() {
        let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let today = day("2026-03-31");
        let range = DayRange::new(None, None, today).unwrap();
        assert_eq!((range.from, range.to), (day("2026-03-02"), today));
        assert_eq!(range.days().count(), 30);
        let year = DayRange::new(Some(day("2024-01-01")), Some(day("2024-12-31")), today).unwrap();
        assert_eq!(year.days().count(), 366);
        let too_long = DayRange::new(Some(day("2024-01-01")), Some(day("2025-01-01")), today);
        assert_eq!(too_long.unwrap_err().field, "from");
        let backwards = DayRange::new(Some(day("2026-02-02")), Some(day("2026-02-01")), today);
        assert_eq!(backwards.unwrap_err().field, "to");
        let from_only = DayRange::new(Some(day("2026-01-01")), None, today).unwrap();
        assert_eq!(from_only.to, day("2026-01-30"));
    }

    #[test]
    fn a_click_draft_names_each_bad_field() {
        let draft = ClickDraft {
            code: "x".repeat(65),
            landing_url: Some("ftp://example.com".into()),
            user_agent: None,
            ip: Some("999.1.1.1".into()),
        };
        let fields: Vec<String> = draft
            .check()
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["code", "landing_url", "ip"]);
    }
}
