//! A webhook endpoint: where an account's events are delivered, which of
//! them, whether deliveries are on, and the secret they are signed with.
//!
//! A URL must be HTTPS with a host name or a public IP literal, no
//! credentials and no fragment; a local run also allows
//! `http://127.0.0.1[:port]`. Host names are judged again when a delivery
//! connects, on every address they resolve to (see [`super::address`]).

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use url::{Host, Url};
use utoipa::ToSchema;

use super::address::{Destinations, is_public};
use super::event_types::EventPatterns;
use super::signature::SigningSecret;
use crate::model::Id;
use crate::validation::{FieldError, max_chars};

/// A registered endpoint, as stored.
#[derive(Clone, Debug)]
pub struct WebhookEndpoint {
    pub id: Id,
    pub url: String,
    pub events: EventPatterns,
    pub description: Option<String>,
    pub enabled: bool,
    /// Why deliveries stopped on their own, if they did (cleared when the
    /// endpoint is enabled again).
    pub disabled_reason: Option<String>,
    pub secret: SigningSecret,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: u64,
}

/// The body of a create.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookEndpointDraft {
    /// Where deliveries are POSTed: `https://`, at most 2048 characters, not
    /// an address in a private, loopback or link-local network.
    #[schema(
        example = "https://example.com/webhooks/partner-ledger",
        max_length = 2048
    )]
    pub url: String,
    /// Event types (`commission.approved`), every type of one object
    /// (`commission.*`) or every event (`*`); 1 to 20, distinct.
    #[schema(example = json!(["commission.*"]), min_items = 1, max_items = 20)]
    pub events: Vec<String>,
    /// A note for people, at most 500 characters.
    #[schema(example = "Accounting sync", max_length = 500)]
    #[serde(default)]
    pub description: Option<String>,
}

/// The body of an update: only the given fields change.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookEndpointChanges {
    #[schema(example = "https://example.com/webhooks/v2", max_length = 2048)]
    #[serde(default)]
    pub url: Option<String>,
    #[schema(example = json!(["commission.*", "payout.paid"]), min_items = 1, max_items = 20)]
    #[serde(default)]
    pub events: Option<Vec<String>>,
    /// `false` stops deliveries; `true` resumes them (also after the
    /// endpoint was disabled for failing).
    #[serde(default)]
    pub enabled: Option<bool>,
    #[schema(max_length = 500)]
    #[serde(default)]
    pub description: Option<String>,
}

const MAX_URL: usize = 2048;
const MAX_DESCRIPTION: usize = 500;

impl WebhookEndpoint {
    /// The most endpoints an account registers (as Stripe allows): each
    /// event fans out to every one, so the count bounds a dispatch's work.
    pub const MAX_PER_ACCOUNT: u64 = 16;

    /// A new, enabled endpoint with a fresh secret.
    pub fn create(
        draft: WebhookEndpointDraft,
        destinations: Destinations,
        now: DateTime<Utc>,
    ) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let url = check_url("url", &draft.url, destinations, &mut errors);
        let events = EventPatterns::check(draft.events, &mut errors);
        max_chars(
            "description",
            draft.description.as_deref(),
            MAX_DESCRIPTION,
            &mut errors,
        );
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Self {
            id: Id::generate(now),
            url,
            events,
            description: draft.description,
            enabled: true,
            disabled_reason: None,
            secret: SigningSecret::generate(),
            created_at: now,
            updated_at: now,
            version: 1,
        })
    }

    /// Applies `changes`; nothing changes if any is invalid.
    pub fn apply(
        &mut self,
        changes: WebhookEndpointChanges,
        destinations: Destinations,
        now: DateTime<Utc>,
    ) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        let url = changes
            .url
            .map(|url| check_url("url", &url, destinations, &mut errors));
        let events = changes
            .events
            .map(|events| EventPatterns::check(events, &mut errors));
        max_chars(
            "description",
            changes.description.as_deref(),
            MAX_DESCRIPTION,
            &mut errors,
        );
        if !errors.is_empty() {
            return Err(errors);
        }
        if let Some(url) = url {
            self.url = url;
        }
        if let Some(events) = events {
            self.events = events;
        }
        if let Some(description) = changes.description {
            self.description = Some(description);
        }
        if let Some(enabled) = changes.enabled {
            self.enabled = enabled;
            if enabled {
                self.disabled_reason = None;
            }
        }
        self.touch(now);
        Ok(())
    }

    /// Replaces the signing secret; deliveries from now on use the new one.
    pub fn rotate_secret(&mut self, now: DateTime<Utc>) {
        self.secret = SigningSecret::generate();
        self.touch(now);
    }

    /// Whether an event of `event_type` is delivered here now.
    pub fn receives(&self, event_type: &str) -> bool {
        self.enabled && self.events.match_type(event_type)
    }

    fn touch(&mut self, now: DateTime<Utc>) {
        self.updated_at = now;
        self.version += 1;
    }
}

/// Checks an endpoint URL; returns it as given (trimmed).
pub fn check_url(
    field: &str,
    text: &str,
    destinations: Destinations,
    errors: &mut Vec<FieldError>,
) -> String {
    let text = text.trim();
    let mut refuse = |message: &str| errors.push(FieldError::new(field, message));
    if text.chars().count() > MAX_URL {
        refuse("must be at most 2048 characters");
        return text.to_string();
    }
    let Ok(url) = Url::parse(text) else {
        refuse("must be an absolute URL such as https://example.com/webhooks");
        return text.to_string();
    };
    if !url.username().is_empty() || url.password().is_some() {
        refuse("must not carry credentials");
    }
    if url.fragment().is_some() {
        refuse("must not have a fragment");
    }
    let local = destinations == Destinations::AlsoLocalHttp
        && url.host() == Some(Host::Ipv4(std::net::Ipv4Addr::LOCALHOST));
    match url.scheme() {
        "https" => {}
        "http" if local => {}
        "http" if destinations == Destinations::AlsoLocalHttp => {
            refuse("must use https (plain http only to 127.0.0.1 in a local run)")
        }
        _ => refuse("must use https"),
    }
    match url.host() {
        None => refuse("must name a host"),
        Some(Host::Ipv4(ip)) if !local && !is_public(IpAddr::V4(ip)) => {
            refuse("must not be a private, loopback, link-local or reserved address")
        }
        Some(Host::Ipv6(ip)) if !is_public(IpAddr::V6(ip)) => {
            refuse("must not be a private, loopback, link-local or reserved address")
        }
        Some(Host::Domain(name)) if is_internal_name(name) => refuse("must not name a local host"),
        Some(_) => {}
    }
    text.to_string()
}

/// Names that resolve inside the deployment by convention, refused before
/// any lookup (the delivery-time check on resolved addresses catches the rest).
fn is_internal_name(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost"
        || !name.contains('.')
        || [".localhost", ".local", ".internal", ".localdomain"]
            .iter()
            .any(|suffix| name.ends_with(suffix))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(url: &str, destinations: Destinations) -> Vec<FieldError> {
        let mut errors = Vec::new();
        check_url("url", url, destinations, &mut errors);
        errors
    }

    #[test]
    fn public_https_urls_are_accepted() {
        for url in [
            "https://example.com/hooks",
            "https://hooks.example.com:8443/a?b=c",
            "https://8.8.8.8/hook",
            "https://[2606:4700:4700::1111]/hook",
        ] {
            assert_eq!(refused(url, Destinations::PublicHttpsOnly), vec![], "{url}");
        }
    }

    #[test]
    fn internal_hosts_plain_http_and_odd_urls_are_refused() {
        for url in [
            "http://example.com/hook",
            "ftp://example.com/hook",
            "https://127.0.0.1/hook",
            "https://10.0.0.8/hook",
            "https://169.254.169.254/latest/meta-data",
            "https://100.64.1.1/",
            "https://0.0.0.0/",
            "https://[::1]/",
            "https://[::ffff:127.0.0.1]/",
            "https://[::ffff:a9fe:a9fe]/",
            "https://[fd00::1]/",
            "https://[fe80::1]/",
            "https://0x7f000001/",
            "https://2130706433/",
            "https://localhost/hook",
            "https://metadata.google.internal/",
            "https://printer.local/",
            "https://intranet/",
            "https://user:pass@example.com/",
            "https://example.com/#frag",
            "example.com/hook",
            "",
        ] {
            let errors = refused(url, Destinations::PublicHttpsOnly);
            assert!(!errors.is_empty(), "{url}");
            assert!(errors.iter().all(|e| e.field == "url"), "{url}");
        }
    }

    #[test]
    fn a_local_run_allows_plain_http_to_ipv4_loopback_only() {
        let local = Destinations::AlsoLocalHttp;
        assert_eq!(refused("http://127.0.0.1:8123/hook", local), vec![]);
        assert_eq!(refused("https://127.0.0.1/hook", local), vec![]);
        assert!(!refused("http://localhost:8123/", local).is_empty());
        assert!(!refused("http://10.0.0.1/", local).is_empty());
        assert!(!refused("http://example.com/", local).is_empty());
        assert!(!refused("http://127.0.0.1:8123/", Destinations::PublicHttpsOnly).is_empty());
    }

    #[test]
    fn an_update_with_one_bad_field_changes_nothing() {
        let draft = WebhookEndpointDraft {
            url: "https://example.com/a".into(),
            events: vec!["*".into()],
            description: None,
        };
        let mut endpoint =
            WebhookEndpoint::create(draft, Destinations::PublicHttpsOnly, Utc::now()).unwrap();
        let before = (endpoint.url.clone(), endpoint.version);
        let bad = WebhookEndpointChanges {
            url: Some("https://example.com/b".into()),
            events: Some(vec!["nope".into()]),
            ..Default::default()
        };
        let errors = endpoint
            .apply(bad, Destinations::PublicHttpsOnly, Utc::now())
            .unwrap_err();
        assert_eq!(errors[0].field, "events[0]");
        assert_eq!((endpoint.url.clone(), endpoint.version), before);
    }

    #[test]
    fn a_disabled_endpoint_receives_nothing_until_enabled_again() {
        let draft = WebhookEndpointDraft {
            url: "https://example.com/a".into(),
            events: vec!["commission.*".into()],
            description: None,
        };
        let mut endpoint =
            WebhookEndpoint::create(draft, Destinations::PublicHttpsOnly, Utc::now()).unwrap();
        assert!(endpoint.receives("commission.paid"));
        assert!(!endpoint.receives("payout.paid"));
        endpoint.enabled = false;
        endpoint.disabled_reason = Some("failing".into());
        assert!(!endpoint.receives("commission.paid"));
        let enable = WebhookEndpointChanges {
            enabled: Some(true),
            ..Default::default()
        };
        endpoint
            .apply(enable, Destinations::PublicHttpsOnly, Utc::now())
            .unwrap();
        assert!(endpoint.receives("commission.paid"));
        assert_eq!(endpoint.disabled_reason, None);
    }
}
