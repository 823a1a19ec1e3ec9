//! Partner groups: a named, validated rule set that partners are priced by.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::ToSchema;

use super::change::replace_optional;
use super::id::Id;
use crate::engine::{RuleSet, RuleSpec};
use crate::validation::{self, FieldError};

const MAX_NAME: usize = 200;
const MAX_TEXT: usize = 2000;

/// A partner group as the domain sees it. Whether it is the account's default
/// is a fact about the account (`Account::default_group_id`), not the group.
#[derive(Clone, Debug)]
pub struct PartnerGroup {
    pub id: Id,
    pub name: String,
    pub description: Option<String>,
    pub external_id: Option<String>,
    pub tags: Option<String>,
    pub rules: RuleSet,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Optimistic-locking counter, bumped by every update.
    pub version: u64,
}

/// The body of a create: `partnerGroup` in `{"partnerGroup": {...}}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupDraft {
    /// Partner group display name.
    pub name: String,
    /// Rules array. Must include exactly one recurring fallback rule.
    pub rules: Vec<RuleSpec>,
    /// Optional group description.
    pub description: Option<String>,
    /// Optional external identifier.
    pub external_id: Option<String>,
    /// Comma-separated tags.
    pub tags: Option<String>,
    /// Mark this group as default for new partners. The account's first group is the default regardless.
    #[serde(default)]
    pub default: bool,
}

/// The body of an update: every field optional; rules are replaced only when given.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupChanges {
    /// Updated group name.
    pub name: Option<String>,
    /// Updated description.
    pub description: Option<String>,
    /// Updated external identifier.
    pub external_id: Option<String>,
    /// Updated comma-separated tags.
    pub tags: Option<String>,
    /// `true` makes this the account's default group. The default cannot be unset directly: make another group the default instead.
    pub default: Option<bool>,
    /// Updated rules array; if provided, must include exactly one recurring fallback rule.
    pub rules: Option<Vec<RuleSpec>>,
}

impl PartnerGroup {
    /// Validates a draft into a new group. Field paths are relative to the draft.
    pub fn create(draft: GroupDraft, now: DateTime<Utc>) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let name = validation::name("name", &draft.name, MAX_NAME, &mut errors);
        let rules = checked_rules(draft.rules, &mut errors);
        check_texts(
            &draft.description,
            &draft.external_id,
            &draft.tags,
            &mut errors,
        );
        match rules {
            Some(rules) if errors.is_empty() => Ok(Self {
                id: Id::generate(now),
                name,
                description: draft.description,
                external_id: draft.external_id,
                tags: draft.tags,
                rules,
                created_at: now,
                updated_at: now,
                version: 0,
            }),
            _ => Err(errors),
        }
    }

    /// Applies a partial update. Nothing changes unless every given field is valid.
    pub fn apply(
        &mut self,
        changes: GroupChanges,
        now: DateTime<Utc>,
    ) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        let name = changes
            .name
            .as_deref()
            .map(|n| validation::name("name", n, MAX_NAME, &mut errors));
        let rules = changes.rules.map(|r| checked_rules(r, &mut errors));
        check_texts(
            &changes.description,
            &changes.external_id,
            &changes.tags,
            &mut errors,
        );
        if !errors.is_empty() {
            return Err(errors);
        }
        if let Some(name) = name {
            self.name = name;
        }
        if let Some(Some(rules)) = rules {
            self.rules = rules;
        }
        replace_optional(&mut self.description, changes.description);
        replace_optional(&mut self.external_id, changes.external_id);
        replace_optional(&mut self.tags, changes.tags);
        self.updated_at = now;
        self.version += 1;
        Ok(())
    }
}

fn checked_rules(specs: Vec<RuleSpec>, errors: &mut Vec<FieldError>) -> Option<RuleSet> {
    RuleSet::parse(specs)
        .map_err(|e| errors.extend(validation::under(e, "rules")))
        .ok()
}

fn check_texts(
    description: &Option<String>,
    external_id: &Option<String>,
    tags: &Option<String>,
    errors: &mut Vec<FieldError>,
) {
    for (field, value) in [
        ("description", description),
        ("external_id", external_id),
        ("tags", tags),
    ] {
        if value.as_ref().is_some_and(|v| v.chars().count() > MAX_TEXT) {
            errors.push(FieldError::new(
                field,
                format!("must be at most {MAX_TEXT} characters"),
            ));
        }
    }
}
