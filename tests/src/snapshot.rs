//! JSON answers as snapshot text for `insta::assert_snapshot!`: serde_json's
//! own pretty printing, so numbers keep their exact digits (the workspace
//! reads JSON with `arbitrary_precision`, whose numbers insta's serializer
//! would show as `{"$serde_json::private::Number": …}` maps), with what
//! changes from run to run redacted: the ids and other values a test names,
//! and every timestamp (a string under a key ending in `_at`).
//!
//! The snapshots live in `tests/tests/api/snapshots/`; a changed answer fails
//! its test (under `CI=true` insta also refuses to write a missing one).

use serde_json::Value;

/// `value` pretty-printed, with each string equal to one of `known`'s values
/// replaced by its label (`("68f7…", "[ann]")`), and every string under a key
/// ending in `_at` by `[timestamp]`. A known value keeps its relations: every
/// place that held Ann's id shows `[ann]`.
pub fn redacted(value: &Value, known: &[(&str, &str)]) -> String {
    let mut value = value.clone();
    redact(&mut value, None, known);
    serde_json::to_string_pretty(&value).expect("a JSON value prints")
}

fn redact(value: &mut Value, key: Option<&str>, known: &[(&str, &str)]) {
    match value {
        Value::String(text) => {
            if let Some((_, label)) = known.iter().find(|(value, _)| value == text) {
                *text = (*label).to_string();
            } else if key.is_some_and(|key| key.ends_with("_at")) {
                *text = "[timestamp]".to_string();
            }
        }
        Value::Array(items) => {
            for item in items {
                redact(item, None, known);
            }
        }
        Value::Object(fields) => {
            for (key, field) in fields.iter_mut() {
                redact(field, Some(key), known);
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::redacted;

    #[test]
    fn known_values_and_timestamps_are_redacted_and_numbers_keep_their_digits() {
        let value: Value = serde_json::from_str(
            r#"{"id": "p1", "owner_id": "a1", "amount": 70.250, "created_at": "2026-12-01T10:00:00Z",
                "acquired_at": null, "items": [{"partner_id": "p1", "note": "p1 "}]}"#,
        )
        .unwrap();
        assert_eq!(
            redacted(&value, &[("p1", "[partner]")]),
            serde_json::to_string_pretty(&json!({
                "id": "[partner]",
                "owner_id": "a1",
                "amount": serde_json::from_str::<Value>("70.250").unwrap(),
                "created_at": "[timestamp]",
                "acquired_at": null,
                "items": [{"partner_id": "[partner]", "note": "p1 "}]
            }))
            .unwrap()
        );
        assert!(redacted(&value, &[]).contains("\"amount\": 70.250"));
    }
}
