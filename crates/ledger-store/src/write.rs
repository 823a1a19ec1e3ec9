//! Conditional writes, built as transaction items so every change can join a
//! `TransactWriteItems` with the writes it must happen together with.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, Delete, Put, TransactWriteItem, Update,
};

use super::{Item, Key, Store, StoreError};

/// A condition expression with its `:value` and `#name` placeholders (a
/// name placeholder stands for an attribute named by a reserved word).
#[derive(Clone, Debug)]
pub struct Condition {
    expression: String,
    values: HashMap<String, AttributeValue>,
    names: HashMap<String, String>,
}

/// A condition taken apart for a request builder.
pub(super) struct ConditionParts {
    pub expression: String,
    pub values: HashMap<String, AttributeValue>,
    pub names: HashMap<String, String>,
}

impl Condition {
    pub fn new(expression: impl Into<String>) -> Self {
        Self {
            expression: expression.into(),
            values: HashMap::new(),
            names: HashMap::new(),
        }
    }

    /// The item must not exist: creation never overwrites.
    pub fn absent() -> Self {
        Self::new("attribute_not_exists(pk)")
    }

    /// The item must exist.
    pub fn present() -> Self {
        Self::new("attribute_exists(pk)")
    }

    /// The item must still be at `version` (optimistic locking).
    pub fn at_version(version: u64) -> Self {
        Self::new("version = :expected_version")
            .value(":expected_version", AttributeValue::N(version.to_string()))
    }

    pub fn value(mut self, name: &str, value: AttributeValue) -> Self {
        self.values.insert(name.to_string(), value);
        self
    }

    /// Names the attribute `#placeholder` stands for.
    pub fn name(mut self, placeholder: &str, attribute: &str) -> Self {
        self.names
            .insert(placeholder.to_string(), attribute.to_string());
        self
    }

    /// Both conditions must hold.
    pub fn and(mut self, other: Condition) -> Self {
        self.expression = format!("({}) AND ({})", self.expression, other.expression);
        self.values.extend(other.values);
        self.names.extend(other.names);
        self
    }

    /// Either condition must hold.
    pub fn or(mut self, other: Condition) -> Self {
        self.expression = format!("({}) OR ({})", self.expression, other.expression);
        self.values.extend(other.values);
        self.names.extend(other.names);
        self
    }

    pub(super) fn into_parts(self) -> ConditionParts {
        ConditionParts {
            expression: self.expression,
            values: self.values,
            names: self.names,
        }
    }
}

/// What an update does to an item's attributes.
#[derive(Clone, Debug, Default)]
pub struct Changes {
    /// Attributes set to these values.
    pub set: Item,
    /// Attributes set to another attribute's value: (target, source).
    pub copy: Vec<(&'static str, &'static str)>,
    /// Attributes set to another attribute's value, or to a value when the
    /// item has no such attribute: (target, source, value).
    pub copy_or: Vec<(&'static str, &'static str, AttributeValue)>,
    /// Attributes removed.
    pub remove: Vec<&'static str>,
}

impl Changes {
    pub fn set(fields: Item) -> Self {
        Self {
            set: fields,
            ..Self::default()
        }
    }
}

fn built<T, E: std::fmt::Display>(result: Result<T, E>) -> Result<T, StoreError> {
    result.map_err(|e| StoreError::Dynamo(format!("invalid request: {e}")))
}

impl Store {
    pub fn put(&self, item: Item, condition: Condition) -> Result<TransactWriteItem, StoreError> {
        let put = Put::builder()
            .table_name(self.table())
            .set_item(Some(item))
            .condition_expression(condition.expression)
            .set_expression_attribute_names(non_empty(condition.names))
            .set_expression_attribute_values(non_empty(condition.values));
        Ok(TransactWriteItem::builder()
            .put(built(put.build())?)
            .build())
    }

    /// `SET`/`REMOVE`/`ADD` on one item; `values` and the condition's values share one namespace.
    pub fn update(
        &self,
        key: &Key,
        expression: &str,
        values: impl IntoIterator<Item = (&'static str, AttributeValue)>,
        condition: Condition,
    ) -> Result<TransactWriteItem, StoreError> {
        let mut all = condition.values;
        all.extend(values.into_iter().map(|(k, v)| (k.to_string(), v)));
        let update = Update::builder()
            .table_name(self.table())
            .set_key(Some(key.item_key()))
            .update_expression(expression)
            .condition_expression(condition.expression)
            .set_expression_attribute_names(non_empty(condition.names))
            .set_expression_attribute_values(non_empty(all));
        Ok(TransactWriteItem::builder()
            .update(built(update.build())?)
            .build())
    }

    /// `SET`/`ADD` on one item whatever it holds, creating it when absent.
    pub fn upsert(
        &self,
        key: &Key,
        expression: &str,
        values: impl IntoIterator<Item = (&'static str, AttributeValue)>,
    ) -> Result<TransactWriteItem, StoreError> {
        let values = values
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        let update = Update::builder()
            .table_name(self.table())
            .set_key(Some(key.item_key()))
            .update_expression(expression)
            .set_expression_attribute_values(non_empty(values));
        Ok(TransactWriteItem::builder()
            .update(built(update.build())?)
            .build())
    }

    /// Sets `fields` (attribute name → value) on an existing item and leaves
    /// every other attribute alone, counters included.
    pub fn assign(
        &self,
        key: &Key,
        fields: Item,
        condition: Condition,
    ) -> Result<TransactWriteItem, StoreError> {
        self.change(key, Changes::set(fields), condition)
    }

    /// Applies `changes` to an existing item; attributes they do not name
    /// are left alone.
    pub fn change(
        &self,
        key: &Key,
        changes: Changes,
        condition: Condition,
    ) -> Result<TransactWriteItem, StoreError> {
        let mut names = condition.names;
        let mut values = condition.values;
        let mut name = |attribute: &str| {
            let placeholder = format!("#a{}", names.len());
            names.insert(placeholder.clone(), attribute.to_string());
            placeholder
        };
        let mut sets = Vec::new();
        for (attribute, value) in changes.set {
            if attribute == "pk" || attribute == "sk" {
                continue;
            }
            let placeholder = name(&attribute);
            let value_name = format!(":set{}", sets.len());
            sets.push(format!("{placeholder} = {value_name}"));
            values.insert(value_name, value);
        }
        for (target, source) in changes.copy {
            sets.push(format!("{} = {}", name(target), name(source)));
        }
        for (index, (target, source, value)) in changes.copy_or.into_iter().enumerate() {
            let value_name = format!(":or{index}");
            sets.push(format!(
                "{} = if_not_exists({}, {value_name})",
                name(target),
                name(source)
            ));
            values.insert(value_name, value);
        }
        let removes: Vec<String> = changes.remove.iter().map(|a| name(a)).collect();
        let mut expression = Vec::new();
        if !sets.is_empty() {
            expression.push(format!("SET {}", sets.join(", ")));
        }
        if !removes.is_empty() {
            expression.push(format!("REMOVE {}", removes.join(", ")));
        }
        let update = Update::builder()
            .table_name(self.table())
            .set_key(Some(key.item_key()))
            .update_expression(expression.join(" "))
            .condition_expression(condition.expression)
            .set_expression_attribute_names(non_empty(names))
            .set_expression_attribute_values(non_empty(values));
        Ok(TransactWriteItem::builder()
            .update(built(update.build())?)
            .build())
    }

    /// Adds `delta` to the counter item at `key`, creating it at zero if absent.
    pub fn increment(&self, key: &Key, delta: i64) -> Result<TransactWriteItem, StoreError> {
        let update = Update::builder()
            .table_name(self.table())
            .set_key(Some(key.item_key()))
            .update_expression("SET entity = :entity ADD n :delta")
            .expression_attribute_values(":entity", AttributeValue::S("tally".into()))
            .expression_attribute_values(":delta", AttributeValue::N(delta.to_string()));
        Ok(TransactWriteItem::builder()
            .update(built(update.build())?)
            .build())
    }

    pub fn delete(&self, key: &Key, condition: Condition) -> Result<TransactWriteItem, StoreError> {
        let delete = Delete::builder()
            .table_name(self.table())
            .set_key(Some(key.item_key()))
            .condition_expression(condition.expression)
            .set_expression_attribute_names(non_empty(condition.names))
            .set_expression_attribute_values(non_empty(condition.values));
        Ok(TransactWriteItem::builder()
            .delete(built(delete.build())?)
            .build())
    }

    pub fn check(&self, key: &Key, condition: Condition) -> Result<TransactWriteItem, StoreError> {
        let check = ConditionCheck::builder()
            .table_name(self.table())
            .set_key(Some(key.item_key()))
            .condition_expression(condition.expression)
            .set_expression_attribute_names(non_empty(condition.names))
            .set_expression_attribute_values(non_empty(condition.values));
        Ok(TransactWriteItem::builder()
            .condition_check(built(check.build())?)
            .build())
    }
}

fn non_empty<V>(values: HashMap<String, V>) -> Option<HashMap<String, V>> {
    (!values.is_empty()).then_some(values)
}
