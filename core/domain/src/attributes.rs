//! Typed attributes: definitions, value checking, and the facet values listings filter on.

use std::collections::BTreeMap;

use crate::catalog::CatalogError;

/// The value type of an attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttrKind {
    /// Free text (not translatable; use an enum for values shoppers filter on).
    Text,
    /// One of a fixed list of options, each with a label per language.
    Enum,
    /// A measurement (weight, screen size). Never money: prices live in price lists.
    Number,
    Boolean,
}

impl AttrKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Enum => "enum",
            Self::Number => "number",
            Self::Boolean => "boolean",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "text" => Self::Text,
            "enum" => Self::Enum,
            "number" => Self::Number,
            "boolean" => Self::Boolean,
            _ => return None,
        })
    }
}

/// Whether products or their variants carry the attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttrLevel {
    Product,
    Variant,
}

impl AttrLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Product => "product",
            Self::Variant => "variant",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "product" => Self::Product,
            "variant" => Self::Variant,
            _ => return None,
        })
    }
}

/// An attribute definition.
#[derive(Clone, Debug, PartialEq)]
pub struct AttributeDef {
    pub code: String,
    pub kind: AttrKind,
    pub level: AttrLevel,
    pub filterable: bool,
    pub unit: Option<String>,
    /// Allowed values of an enum attribute, in display order.
    pub options: Vec<String>,
}

/// A value as it arrives (from JSON or a query string), before checking against its definition.
#[derive(Clone, Debug, PartialEq)]
pub enum RawValue {
    String(String),
    Number(f64),
    Bool(bool),
}

/// A checked attribute value.
#[derive(Clone, Debug, PartialEq)]
pub enum AttrValue {
    Text(String),
    Enum(String),
    Number(f64),
    Boolean(bool),
}

/// Attribute codes and enum option values: lower-case ASCII keys.
pub fn valid_key(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.as_bytes()[0].is_ascii_lowercase()
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

impl AttributeDef {
    /// Checks a value against this definition.
    pub fn check(&self, raw: &RawValue) -> Result<AttrValue, CatalogError> {
        let bad = |expected: &str| CatalogError::InvalidAttributeValue {
            code: self.code.clone(),
            reason: format!("expected {expected}"),
        };
        match (self.kind, raw) {
            (AttrKind::Text, RawValue::String(s)) if !s.trim().is_empty() && s.chars().count() <= 500 => {
                Ok(AttrValue::Text(s.clone()))
            }
            (AttrKind::Text, _) => Err(bad("a non-empty string of at most 500 characters")),
            (AttrKind::Enum, RawValue::String(s)) if self.options.iter().any(|o| o == s) => {
                Ok(AttrValue::Enum(s.clone()))
            }
            (AttrKind::Enum, _) => Err(bad(&format!("one of: {}", self.options.join(", ")))),
            (AttrKind::Number, RawValue::Number(n)) if n.is_finite() => Ok(AttrValue::Number(*n)),
            (AttrKind::Number, _) => Err(bad("a finite number")),
            (AttrKind::Boolean, RawValue::Bool(b)) => Ok(AttrValue::Boolean(*b)),
            (AttrKind::Boolean, _) => Err(bad("true or false")),
        }
    }
}

/// Checks a set of values for one level (product or variant) against the definitions.
pub fn check_values(
    defs: &BTreeMap<String, AttributeDef>,
    level: AttrLevel,
    values: &BTreeMap<String, RawValue>,
) -> Result<BTreeMap<String, AttrValue>, CatalogError> {
    values
        .iter()
        .map(|(code, raw)| {
            let def = defs.get(code).ok_or_else(|| CatalogError::UnknownAttribute { code: code.clone() })?;
            if def.level != level {
                return Err(CatalogError::InvalidAttributeValue {
                    code: code.clone(),
                    reason: format!("is a {}-level attribute", def.level.as_str()),
                });
            }
            Ok((code.clone(), def.check(raw)?))
        })
        .collect()
}

/// The key of a filterable value in listing rows and filters: `code=value` (`color=red`,
/// `eco_certified=true`). Numbers are not filterable.
pub fn facet_key(code: &str, value: &AttrValue) -> String {
    match value {
        AttrValue::Text(s) | AttrValue::Enum(s) => format!("{code}={s}"),
        AttrValue::Boolean(b) => format!("{code}={b}"),
        AttrValue::Number(n) => format!("{code}={n}"),
    }
}

/// The values a listing filters on: every filterable value of the product and of its variants,
/// distinct, per attribute code, in first-seen order.
pub fn facets<'a>(
    defs: &BTreeMap<String, AttributeDef>,
    product: &'a BTreeMap<String, AttrValue>,
    variants: impl IntoIterator<Item = &'a BTreeMap<String, AttrValue>>,
) -> BTreeMap<String, Vec<AttrValue>> {
    let mut out: BTreeMap<String, Vec<AttrValue>> = BTreeMap::new();
    for values in std::iter::once(product).chain(variants) {
        for (code, value) in values {
            if !defs.get(code).is_some_and(|d| d.filterable) {
                continue;
            }
            let slot = out.entry(code.clone()).or_default();
            if !slot.contains(value) {
                slot.push(value.clone());
            }
        }
    }
    out
}

/// How a boolean attribute reads in `language` (a BCP 47 tag; its base language decides):
/// "oui"/"non" in French, "ja"/"nein" in German…; English for a language not listed here.
pub fn yes_no(language: &str, value: bool) -> &'static str {
    let base = language.split(['-', '_']).next().unwrap_or_default().to_ascii_lowercase();
    let (yes, no) = match base.as_str() {
        "fr" => ("oui", "non"),
        "de" => ("ja", "nein"),
        "es" => ("sí", "no"),
        "it" => ("sì", "no"),
        "pt" => ("sim", "não"),
        "nl" => ("ja", "nee"),
        "ja" => ("はい", "いいえ"),
        "zh" => ("是", "否"),
        _ => ("yes", "no"),
    };
    if value { yes } else { no }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defs() -> BTreeMap<String, AttributeDef> {
        let def = |code: &str, kind, level, filterable, options: &[&str]| {
            (
                code.to_string(),
                AttributeDef {
                    code: code.into(),
                    kind,
                    level,
                    filterable,
                    unit: None,
                    options: options.iter().map(|s| s.to_string()).collect(),
                },
            )
        };
        BTreeMap::from([
            def("brand", AttrKind::Enum, AttrLevel::Product, true, &["acme", "zenith"]),
            def("weight_g", AttrKind::Number, AttrLevel::Product, false, &[]),
            def("color", AttrKind::Enum, AttrLevel::Variant, true, &["red", "blue"]),
            def("eco", AttrKind::Boolean, AttrLevel::Product, true, &[]),
        ])
    }

    #[test]
    fn booleans_read_in_the_shopper_s_language() {
        assert_eq!((yes_no("fr", true), yes_no("fr-CA", false)), ("oui", "non"));
        assert_eq!((yes_no("de", false), yes_no("ja", true), yes_no("en-GB", false)), ("nein", "はい", "no"));
        assert_eq!(yes_no("sv", true), "yes");
    }

    fn check(code: &str, raw: RawValue, ok: bool) {
        let d = defs();
        let values = BTreeMap::from([(code.to_string(), raw.clone())]);
        let level = d.get(code).map_or(AttrLevel::Product, |d| d.level);
        assert_eq!(check_values(&d, level, &values).is_ok(), ok, "{code} = {raw:?}");
    }

    #[test]
    fn values_are_typed() {
        check("brand", RawValue::String("acme".into()), true);
        check("brand", RawValue::String("nope".into()), false);
        check("weight_g", RawValue::Number(350.0), true);
        check("weight_g", RawValue::String("350".into()), false);
        check("weight_g", RawValue::Number(f64::NAN), false);
        check("eco", RawValue::Bool(true), true);
        check("eco", RawValue::String("true".into()), false);
        check("unknown", RawValue::Bool(true), false);
        let wrong_level = BTreeMap::from([("color".to_string(), RawValue::String("red".into()))]);
        assert!(check_values(&defs(), AttrLevel::Product, &wrong_level).is_err());
    }

    #[test]
    fn facets_merge_variant_values() {
        let d = defs();
        let product = BTreeMap::from([
            ("brand".to_string(), AttrValue::Enum("acme".into())),
            ("weight_g".to_string(), AttrValue::Number(1.0)),
        ]);
        let v1 = BTreeMap::from([("color".to_string(), AttrValue::Enum("red".into()))]);
        let v2 = BTreeMap::from([("color".to_string(), AttrValue::Enum("blue".into()))]);
        let v3 = v1.clone();
        let f = facets(&d, &product, [&v1, &v2, &v3]);
        assert_eq!(f.len(), 2, "weight_g is not filterable");
        assert_eq!(f["color"], vec![AttrValue::Enum("red".into()), AttrValue::Enum("blue".into())]);
    }
}
