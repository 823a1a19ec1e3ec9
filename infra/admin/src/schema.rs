//! Reads the table definition out of `template.yaml` and creates that table.
//!
//! The template is the one place the schema is written; local runs and every
//! test table are created from it, so they cannot drift from what deploys.

use std::path::Path;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, StreamSpecification, StreamViewType,
};
use serde::Deserialize;

/// `Resources.Table.Properties`, the parts that shape the table.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TableSchema {
    pub billing_mode: String,
    pub attribute_definitions: Vec<Attribute>,
    pub key_schema: Vec<KeyElement>,
    #[serde(default)]
    pub global_secondary_indexes: Vec<Index>,
    #[serde(default)]
    pub stream_specification: Option<Stream>,
}

/// `StreamSpecification`: the table's change stream (the webhook dispatcher's feed).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Stream {
    pub stream_view_type: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Attribute {
    pub attribute_name: String,
    pub attribute_type: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyElement {
    pub attribute_name: String,
    pub key_type: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Index {
    pub index_name: String,
    pub key_schema: Vec<KeyElement>,
    pub projection: IndexProjection,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct IndexProjection {
    pub projection_type: String,
    #[serde(default)]
    pub non_key_attributes: Option<Vec<String>>,
}

impl TableSchema {
    /// Parses the `Table` resource of a SAM template. CloudFormation's `!Ref`
    /// style tags elsewhere in the file parse as tagged values and are ignored.
    pub fn from_template(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let template: serde_yaml::Value =
            serde_yaml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        let properties = template
            .get("Resources")
            .and_then(|r| r.get("Table"))
            .and_then(|t| t.get("Properties"))
            .ok_or_else(|| format!("{}: no Resources.Table.Properties", path.display()))?;
        serde_yaml::from_value(properties.clone())
            .map_err(|e| format!("{}: Table: {e}", path.display()))
    }

    /// Creates `table` with this schema.
    pub async fn create(&self, client: &Client, table: &str) -> Result<(), String> {
        let key_schema = |elements: &[KeyElement]| -> Result<Vec<KeySchemaElement>, String> {
            elements
                .iter()
                .map(|k| {
                    KeySchemaElement::builder()
                        .attribute_name(&k.attribute_name)
                        .key_type(KeyType::from(k.key_type.as_str()))
                        .build()
                        .map_err(|e| e.to_string())
                })
                .collect()
        };
        let attributes = self
            .attribute_definitions
            .iter()
            .map(|a| {
                AttributeDefinition::builder()
                    .attribute_name(&a.attribute_name)
                    .attribute_type(ScalarAttributeType::from(a.attribute_type.as_str()))
                    .build()
                    .map_err(|e| e.to_string())
            })
            .collect::<Result<Vec<_>, _>>()?;
        let indexes = self
            .global_secondary_indexes
            .iter()
            .map(|i| {
                GlobalSecondaryIndex::builder()
                    .index_name(&i.index_name)
                    .set_key_schema(Some(key_schema(&i.key_schema)?))
                    .projection(
                        Projection::builder()
                            .projection_type(ProjectionType::from(
                                i.projection.projection_type.as_str(),
                            ))
                            .set_non_key_attributes(i.projection.non_key_attributes.clone())
                            .build(),
                    )
                    .build()
                    .map_err(|e| e.to_string())
            })
            .collect::<Result<Vec<_>, String>>()?;
        client
            .create_table()
            .table_name(table)
            .billing_mode(BillingMode::from(self.billing_mode.as_str()))
            .set_attribute_definitions(Some(attributes))
            .set_key_schema(Some(key_schema(&self.key_schema)?))
            .set_global_secondary_indexes((!indexes.is_empty()).then_some(indexes))
            .set_stream_specification(
                self.stream_specification
                    .as_ref()
                    .map(|stream| {
                        StreamSpecification::builder()
                            .stream_enabled(true)
                            .stream_view_type(StreamViewType::from(
                                stream.stream_view_type.as_str(),
                            ))
                            .build()
                            .map_err(|e| e.to_string())
                    })
                    .transpose()?,
            )
            .send()
            .await
            .map_err(|e| aws_sdk_dynamodb::error::DisplayErrorContext(e).to_string())?;
        Ok(())
    }
}
