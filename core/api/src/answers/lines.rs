//! What a cart, quote or order line shows of its variant, in the shopper's language: the
//! product's name and the variant's options.

use core_app::catalog::LineLabels;
use core_store::commerce::orders::LineLabel;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// One of a variant's distinguishing attributes, as the shopper reads it
/// (`{"name": "Colour", "value": "Red"}`).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct VariantOptionDto {
    name: String,
    value: String,
}

/// A line's product name and variant options.
pub(crate) struct Label {
    pub name: String,
    pub options: Vec<VariantOptionDto>,
}

impl Label {
    /// The label of `variant` (its SKU as the name when the catalog has none: a variant since
    /// deleted, or an order placed before names were kept).
    pub fn of(labels: &LineLabels, variant: Uuid, sku: &str) -> Self {
        Self::from_stored(labels.get(&variant).map(|(_, label)| label.clone()), sku)
    }

    pub fn from_stored(label: Option<LineLabel>, sku: &str) -> Self {
        match label {
            Some(l) => Self {
                name: l.name,
                options: l.options.into_iter().map(|o| VariantOptionDto { name: o.name, value: o.value }).collect(),
            },
            None => Self { name: sku.to_string(), options: Vec::new() },
        }
    }
}
