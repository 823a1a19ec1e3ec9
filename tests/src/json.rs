//! The API's JSON as the tests read and write it: amounts compared as exact
//! decimal text whatever scale the server prints, amounts sent with exactly
//! the digits written, and objects' ids.

use serde_json::Value;

/// A JSON number as exact decimal text with trailing fractional zeros
/// dropped (`74.980` → `74.98`, `12.0` → `12`), so amounts compare exactly
/// whatever scale the server prints. Anything else shows up as itself.
pub fn num(value: &Value) -> String {
    match value {
        Value::Number(n) => {
            let text = n.to_string();
            if text.contains('.') && !text.contains(['e', 'E']) {
                text.trim_end_matches('0').trim_end_matches('.').to_string()
            } else {
                text
            }
        }
        other => format!("not a number: {other}"),
    }
}

/// A JSON number exactly as written, so `49.95` reaches the API with
/// exactly those digits (the workspace reads numbers with
/// `arbitrary_precision`, so `1e400` stays `1e400` on the wire).
pub fn exact(amount: &str) -> Value {
    serde_json::from_str(amount).expect("a JSON number")
}

/// An object's `id`.
pub fn id_of(object: &Value) -> String {
    object["id"].as_str().expect("id").to_string()
}
