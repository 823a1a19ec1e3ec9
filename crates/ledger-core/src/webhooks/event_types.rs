//! Which events an endpoint receives: a list of patterns, each an event type
//! (`commission.approved`), every type of one object (`commission.*`) or
//! every event (`*`), checked against the types the outbox emits.

use crate::validation::FieldError;

/// Every event type the outbox emits (the outbox contract).
pub const EVENT_TYPES: [&str; 13] = [
    "commission.created",
    "commission.approved",
    "commission.denied",
    "commission.reversed",
    "commission.paid",
    "payout.created",
    "payout.paid",
    "payout.failed",
    "partner.created",
    "partner.updated",
    "partner.approved",
    "partner.banned",
    "referral.created",
];

/// An endpoint's subscription: 1 to [`EventPatterns::MAX`] distinct patterns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventPatterns(Vec<String>);

impl EventPatterns {
    pub const MAX: usize = 20;

    /// Checks `patterns`; field paths are `events` and `events[i]`.
    pub fn check(patterns: Vec<String>, errors: &mut Vec<FieldError>) -> Self {
        if patterns.is_empty() || patterns.len() > Self::MAX {
            errors.push(FieldError::new(
                "events",
                format!("must list 1 to {} event types or patterns", Self::MAX),
            ));
        }
        for (i, pattern) in patterns.iter().enumerate() {
            if !is_pattern(pattern) {
                errors.push(FieldError::new(
                    format!("events[{i}]"),
                    format!(
                        "`{}` is not an event type; use one of {}, `<object>.*` or `*`",
                        pattern.chars().take(100).collect::<String>(),
                        EVENT_TYPES.join(", ")
                    ),
                ));
            } else if let Some(first) = patterns[..i].iter().position(|p| p == pattern) {
                errors.push(FieldError::new(
                    format!("events[{i}]"),
                    format!("repeats events[{first}]"),
                ));
            }
        }
        Self(patterns)
    }

    /// Patterns as stored, taken as they were checked when stored.
    pub fn stored(patterns: Vec<String>) -> Self {
        Self(patterns)
    }

    pub fn as_slice(&self) -> &[String] {
        &self.0
    }

    /// Whether an event of `event_type` is one of these.
    pub fn match_type(&self, event_type: &str) -> bool {
        self.0
            .iter()
            .any(|pattern| match pattern.strip_suffix(".*") {
                _ if pattern == "*" => true,
                Some(object) => event_type
                    .strip_prefix(object)
                    .is_some_and(|rest| rest.starts_with('.')),
                None => pattern == event_type,
            })
    }
}

fn is_pattern(pattern: &str) -> bool {
    pattern == "*"
        || EVENT_TYPES.contains(&pattern)
        || pattern.strip_suffix(".*").is_some_and(|object| {
            EVENT_TYPES
                .iter()
                .any(|t| t.split_once('.').is_some_and(|(o, _)| o == object))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn patterns(list: &[&str]) -> (EventPatterns, Vec<FieldError>) {
        let mut errors = Vec::new();
        let checked =
            EventPatterns::check(list.iter().map(|s| s.to_string()).collect(), &mut errors);
        (checked, errors)
    }

    #[test]
    fn an_object_wildcard_matches_that_objects_events_only() {
        let (commissions, errors) = patterns(&["commission.*"]);
        assert!(errors.is_empty());
        assert!(commissions.match_type("commission.created"));
        assert!(commissions.match_type("commission.paid"));
        assert!(!commissions.match_type("payout.paid"));
        assert!(!commissions.match_type("commissions.created"));
    }

    #[test]
    fn star_matches_everything_and_exact_types_only_themselves() {
        let (all, _) = patterns(&["*"]);
        assert!(EVENT_TYPES.iter().all(|t| all.match_type(t)));
        let (paid, _) = patterns(&["payout.paid", "partner.created"]);
        assert!(paid.match_type("payout.paid"));
        assert!(paid.match_type("partner.created"));
        assert!(!paid.match_type("payout.failed"));
    }

    #[test]
    fn unknown_types_repeats_and_empty_lists_are_refused_by_field() {
        let (_, errors) = patterns(&[]);
        assert_eq!(errors[0].field, "events");
        for bad in [
            "commission",
            "commission.*.*",
            "invoice.*",
            "commission.exploded",
            "*.*",
            "",
            "Commission.*",
        ] {
            let (_, errors) = patterns(&["*", bad]);
            assert_eq!(errors.len(), 1, "{bad}");
            assert_eq!(errors[0].field, "events[1]", "{bad}");
        }
        let (_, errors) = patterns(&["commission.*", "commission.*"]);
        assert_eq!(
            errors,
            vec![FieldError::new("events[1]", "repeats events[0]")]
        );
        let too_many: Vec<&str> = std::iter::repeat_n("*", EventPatterns::MAX + 1).collect();
        assert!(patterns(&too_many).1.iter().any(|e| e.field == "events"));
    }
}
