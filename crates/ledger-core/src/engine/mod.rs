//! The rules engine: turns a partner group's (or campaign's) rules and the
//! facts about one charge into a commission fee. Pure and deterministic: the
//! same rule set and context always give the same `Evaluation`, with no I/O.
//!
//! A rule set travels as `RuleSpec`s (the API's and the store's JSON shape),
//! is validated once into a `RuleSet` by `RuleSet::parse`, and is then
//! evaluated as often as needed with `RuleSet::evaluate`.

mod compiled;
mod context;
mod evaluate;
mod params;
mod rule;
mod rule_set;

pub use compiled::Band;
pub use context::Context;
pub use evaluate::{AppliedRule, Evaluation, FiguresRead};
pub use rule::{RuleSpec, RuleType};
pub use rule_set::RuleSet;

#[cfg(test)]
mod tests;
