//! The merchandiser's taxonomy: categories (with their closure of ancestors and their
//! translations) and attributes (with their labels and options). Each function runs inside the
//! caller's SERIALIZABLE transaction (see [`crate::Store::transaction`]).

use std::collections::{BTreeMap, BTreeSet};

use core_domain::attributes::{self, AttrKind, AttributeDef};
use core_domain::catalog::{self, CatalogError};
use deadpool_postgres::GenericClient;
use uuid::Uuid;

use super::write::{Result, category_id, check_language, conflict};
use crate::Prepared;

#[derive(Clone, Debug)]
pub struct CategoryInput {
    pub code: String,
    /// Parent category code; `None` for a top-level category.
    pub parent: Option<String>,
    pub position: i32,
    /// (language, name, slug)
    pub translations: Vec<(String, String, String)>,
}

#[derive(Clone, Debug)]
pub struct AttributeInput {
    pub def: AttributeDef,
    pub position: i32,
    /// (language, label)
    pub labels: Vec<(String, String)>,
    /// Per option value: (language, label)
    pub option_labels: BTreeMap<String, Vec<(String, String)>>,
}

/// Creates a category under `parent` with its translations.
pub async fn create_category(
    tx: &impl GenericClient,
    regions: &regions::Catalog,
    input: &CategoryInput,
) -> Result<Uuid> {
    catalog::check_code("code", &input.code)?;
    let parent = match &input.parent {
        Some(code) => Some(category_id(tx, code).await?),
        None => None,
    };
    let id = Uuid::new_v4();
    tx.execute_cached(
        "INSERT INTO categories (id, code, parent_id, position) VALUES ($1, $2, $3, $4)",
        &[&id, &input.code, &parent, &input.position],
    )
    .await
    .map_err(|e| conflict(e, |_| Some(CatalogError::CodeTaken { code: input.code.clone() })))?;
    tx.execute_cached(
        "INSERT INTO category_ancestors (category_id, ancestor_id, depth) \
         SELECT $1::UUID, ancestor_id, depth + 1 FROM category_ancestors WHERE category_id = $2::UUID \
         UNION ALL SELECT $1::UUID, $1::UUID, 0",
        &[&id, &parent],
    )
    .await?;
    for (language, name, slug) in &input.translations {
        put_category_translation_by_id(tx, regions, id, language, name, slug).await?;
    }
    Ok(id)
}

/// Sets a category's name and slug in one language; answers the category's id.
pub async fn put_category_translation(
    tx: &impl GenericClient,
    regions: &regions::Catalog,
    code: &str,
    language: &str,
    name: &str,
    slug: &str,
) -> Result<Uuid> {
    let id = category_id(tx, code).await?;
    put_category_translation_by_id(tx, regions, id, language, name, slug).await?;
    Ok(id)
}

async fn put_category_translation_by_id(
    tx: &impl GenericClient,
    regions: &regions::Catalog,
    id: Uuid,
    language: &str,
    name: &str,
    slug: &str,
) -> Result<()> {
    let language = check_language(regions, "language", language)?;
    catalog::check_translation(&language, name, "")?;
    catalog::check_slug(&format!("translations.{language}.slug"), slug)?;
    tx.execute_cached(
        "INSERT INTO category_translations (category_id, language, name, slug) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (category_id, language) DO UPDATE SET name = excluded.name, slug = excluded.slug",
        &[&id, &language, &name, &slug],
    )
    .await
    .map_err(|e| conflict(e, |_| Some(CatalogError::SlugTaken { language: language.clone(), slug: slug.into() })))?;
    Ok(())
}

/// Defines a new attribute with its labels and options.
pub async fn create_attribute(
    tx: &impl GenericClient,
    regions: &regions::Catalog,
    input: &AttributeInput,
) -> Result<()> {
    let def = &input.def;
    let invalid = |field: &str, reason: &str| CatalogError::Invalid { field: field.into(), reason: reason.into() };
    if !attributes::valid_key(&def.code) {
        return Err(invalid("code", "a lower-case key of letters, digits, '_' and '-'").into());
    }
    if (def.kind == AttrKind::Enum) == def.options.is_empty() {
        return Err(invalid("options", "enum attributes need options; other kinds take none").into());
    }
    if def.filterable && def.kind == AttrKind::Number {
        return Err(invalid("filterable", "number attributes cannot be filtered on yet").into());
    }
    let unit = def.unit.as_deref();
    tx.execute_cached(
        "INSERT INTO attributes (code, kind, level, filterable, unit, position) VALUES ($1, $2, $3, $4, $5, $6)",
        &[&def.code, &def.kind.as_str(), &def.level.as_str(), &def.filterable, &unit, &input.position],
    )
    .await
    .map_err(|e| conflict(e, |_| Some(CatalogError::CodeTaken { code: def.code.clone() })))?;
    for (language, label) in &input.labels {
        let language = check_language(regions, "labels", language)?;
        tx.execute_cached(
            "INSERT INTO attribute_translations (attribute_code, language, label) VALUES ($1, $2, $3)",
            &[&def.code, &language, label],
        )
        .await?;
    }
    let mut seen = BTreeSet::new();
    for (position, value) in def.options.iter().enumerate() {
        if !attributes::valid_key(value) || !seen.insert(value) {
            return Err(invalid("options", &format!("`{value}` is not a unique lower-case key")).into());
        }
        tx.execute_cached(
            "INSERT INTO attribute_options (attribute_code, value, position) VALUES ($1, $2, $3)",
            &[&def.code, value, &(position as i32)],
        )
        .await?;
        for (language, label) in input.option_labels.get(value).into_iter().flatten() {
            let language = check_language(regions, "option_labels", language)?;
            tx.execute_cached(
                "INSERT INTO attribute_option_translations (attribute_code, value, language, label) VALUES ($1, $2, $3, $4)",
                &[&def.code, value, &language, label],
            )
            .await?;
        }
    }
    Ok(())
}
