//! The catalog metadata snapshot: the category tree and attribute definitions with all their
//! translations. Small (hundreds of rows), read on almost every request, changed rarely: the
//! core keeps one in memory and reloads it periodically and after its own writes.

use std::collections::BTreeMap;

use core_domain::attributes::{AttrKind, AttrLevel, AttributeDef};
use core_domain::locale;
use regions::LanguageTag;
use uuid::Uuid;

use crate::StoreError;

/// A translated name (and slug, for categories).
#[derive(Clone, Debug)]
pub struct Translation {
    pub language: String,
    pub name: String,
    pub slug: String,
}

#[derive(Clone, Debug)]
pub struct Category {
    pub id: Uuid,
    pub code: String,
    pub parent_id: Option<Uuid>,
    pub position: i32,
    pub translations: Vec<Translation>,
}

#[derive(Clone, Debug)]
pub struct Attribute {
    pub def: AttributeDef,
    pub position: i32,
    /// Label per language.
    pub labels: Vec<(String, String)>,
    /// Label per language of each enum option.
    pub option_labels: BTreeMap<String, Vec<(String, String)>>,
}

/// The snapshot.
#[derive(Clone, Debug, Default)]
pub struct Meta {
    categories: BTreeMap<Uuid, Category>,
    by_code: BTreeMap<String, Uuid>,
    /// Children of each category (and of the root, under `None`), in position order.
    children: BTreeMap<Option<Uuid>, Vec<Uuid>>,
    attributes: BTreeMap<String, Attribute>,
    defs: BTreeMap<String, AttributeDef>,
}

impl Meta {
    pub async fn load(client: &tokio_postgres::Client) -> Result<Self, StoreError> {
        let (cats, cat_tr, attrs, attr_tr, opts, opt_tr) = futures::try_join!(
            client.query("SELECT id, code, parent_id, position FROM categories", &[]),
            client.query("SELECT category_id, language, name, slug FROM category_translations", &[]),
            client.query("SELECT code, kind, level, filterable, unit, position FROM attributes", &[]),
            client.query("SELECT attribute_code, language, label FROM attribute_translations", &[]),
            client.query(
                "SELECT attribute_code, value FROM attribute_options ORDER BY attribute_code, position, value",
                &[]
            ),
            client.query("SELECT attribute_code, value, language, label FROM attribute_option_translations", &[]),
        )?;
        let mut meta = Meta::default();
        for row in cats {
            let c = Category {
                id: row.get(0),
                code: row.get(1),
                parent_id: row.get(2),
                position: row.get(3),
                translations: Vec::new(),
            };
            meta.by_code.insert(c.code.clone(), c.id);
            meta.categories.insert(c.id, c);
        }
        for row in cat_tr {
            let id: Uuid = row.get(0);
            if let Some(c) = meta.categories.get_mut(&id) {
                c.translations.push(Translation { language: row.get(1), name: row.get(2), slug: row.get(3) });
            }
        }
        let mut children: BTreeMap<Option<Uuid>, Vec<(i32, String, Uuid)>> = BTreeMap::new();
        for c in meta.categories.values() {
            children.entry(c.parent_id).or_default().push((c.position, c.code.clone(), c.id));
        }
        meta.children = children
            .into_iter()
            .map(|(k, mut v)| {
                v.sort();
                (k, v.into_iter().map(|(_, _, id)| id).collect())
            })
            .collect();

        for row in attrs {
            let code: String = row.get(0);
            let kind: String = row.get(1);
            let level: String = row.get(2);
            let def = AttributeDef {
                code: code.clone(),
                kind: AttrKind::parse(&kind)
                    .ok_or_else(|| StoreError::Schema(format!("attribute {code}: kind {kind}")))?,
                level: AttrLevel::parse(&level)
                    .ok_or_else(|| StoreError::Schema(format!("attribute {code}: level {level}")))?,
                filterable: row.get(3),
                unit: row.get(4),
                options: Vec::new(),
            };
            meta.attributes.insert(
                code,
                Attribute { def, position: row.get(5), labels: Vec::new(), option_labels: BTreeMap::new() },
            );
        }
        for row in attr_tr {
            let code: String = row.get(0);
            if let Some(a) = meta.attributes.get_mut(&code) {
                a.labels.push((row.get(1), row.get(2)));
            }
        }
        for row in opts {
            let code: String = row.get(0);
            if let Some(a) = meta.attributes.get_mut(&code) {
                a.def.options.push(row.get(1));
            }
        }
        for row in opt_tr {
            let code: String = row.get(0);
            if let Some(a) = meta.attributes.get_mut(&code) {
                a.option_labels.entry(row.get(1)).or_default().push((row.get(2), row.get(3)));
            }
        }
        meta.defs = meta.attributes.iter().map(|(k, a)| (k.clone(), a.def.clone())).collect();
        Ok(meta)
    }

    pub fn category(&self, id: Uuid) -> Option<&Category> {
        self.categories.get(&id)
    }

    pub fn category_by_code(&self, code: &str) -> Option<&Category> {
        self.by_code.get(code).and_then(|id| self.categories.get(id))
    }

    /// A category by its slug in one of `languages` (a listing URL in the shopper's language).
    pub fn category_by_slug(&self, slug: &str, languages: &[LanguageTag]) -> Option<&Category> {
        self.categories.values().find(|c| {
            c.translations.iter().any(|t| t.slug == slug && languages.iter().any(|l| l.as_str() == t.language))
        })
    }

    /// Children of a category, or the top-level categories for `None`, in display order.
    pub fn children(&self, parent: Option<Uuid>) -> impl Iterator<Item = &Category> {
        self.children.get(&parent).into_iter().flatten().filter_map(|id| self.categories.get(id))
    }

    /// The category and its ancestors, root first.
    pub fn breadcrumbs(&self, id: Uuid) -> Vec<&Category> {
        let mut out = Vec::new();
        let mut next = self.categories.get(&id);
        while let Some(c) = next {
            if out.len() > 32 {
                break; // a cycle would be a bug; never loop forever
            }
            out.push(c);
            next = c.parent_id.and_then(|p| self.categories.get(&p));
        }
        out.reverse();
        out
    }

    pub fn attribute(&self, code: &str) -> Option<&Attribute> {
        self.attributes.get(code)
    }

    /// Attributes in display order.
    pub fn attributes(&self) -> impl Iterator<Item = &Attribute> {
        let mut v: Vec<_> = self.attributes.values().collect();
        v.sort_by_key(|a| (a.position, a.def.code.clone()));
        v.into_iter()
    }

    pub fn attribute_defs(&self) -> &BTreeMap<String, AttributeDef> {
        &self.defs
    }

    pub fn category_count(&self) -> usize {
        self.categories.len()
    }
}

/// Metadata (category names, attribute labels) missing along a shopper's chain falls back to
/// English, then to any language, so that navigation never shows bare codes when some name
/// exists. Product content has no such last resort: publishing requires a name along every
/// chain instead.
fn last_resort<'a, T>(chain: &[LanguageTag], items: &'a [T], language: impl Fn(&T) -> &str) -> Option<&'a T> {
    locale::pick(chain, items.iter().map(|t| (language(t), t)))
        .map(|(_, t)| t)
        .or_else(|| items.iter().find(|t| language(t) == "en"))
        .or_else(|| items.first())
}

impl Category {
    /// Name and slug along the fallback chain (then English, then any language).
    pub fn localized(&self, chain: &[LanguageTag]) -> Option<&Translation> {
        last_resort(chain, &self.translations, |t| t.language.as_str())
    }
}

impl Attribute {
    /// The label along the chain (then English, then any language, then the code).
    pub fn label(&self, chain: &[LanguageTag]) -> &str {
        last_resort(chain, &self.labels, |(l, _)| l.as_str()).map_or(self.def.code.as_str(), |(_, t)| t.as_str())
    }

    /// An enum option's label along the chain (then English, then any, then the value).
    pub fn option_label<'a>(&'a self, value: &'a str, chain: &[LanguageTag]) -> &'a str {
        self.option_labels
            .get(value)
            .and_then(|labels| last_resort(chain, labels, |(l, _)| l.as_str()))
            .map_or(value, |(_, t)| t.as_str())
    }

    /// A stored value as the shopper reads it: an enum option's label, a number with its unit,
    /// yes or no in the chain's first language.
    pub fn display(&self, value: &serde_json::Value, chain: &[LanguageTag]) -> String {
        use serde_json::Value;
        match value {
            Value::String(s) if self.def.kind == core_domain::attributes::AttrKind::Enum => {
                self.option_label(s, chain).to_string()
            }
            Value::String(s) => s.clone(),
            Value::Bool(b) => {
                let language = chain.first().map_or("en", |l| l.as_str());
                core_domain::attributes::yes_no(language, *b).to_string()
            }
            Value::Number(n) => match &self.def.unit {
                Some(unit) => format!("{n} {unit}"),
                None => n.to_string(),
            },
            other => other.to_string(),
        }
    }
}
