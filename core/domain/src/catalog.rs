//! Catalog rules: identifiers, translations, and when a product may be published.

use std::collections::BTreeSet;

use regions::LanguageTag;

/// Why a catalog request was refused. Each variant has a stable code the API returns.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CatalogError {
    #[error("unknown attribute `{code}`")]
    UnknownAttribute { code: String },
    #[error("attribute `{code}`: {reason}")]
    InvalidAttributeValue { code: String, reason: String },
    #[error("unknown category `{code}`")]
    UnknownCategory { code: String },
    #[error("unknown market `{market}`")]
    UnknownMarket { market: String },
    #[error("`{field}` is invalid: {reason}")]
    Invalid { field: String, reason: String },
    #[error("slug `{slug}` is already used in language `{language}`")]
    SlugTaken { language: String, slug: String },
    #[error("SKU `{sku}` already exists")]
    SkuTaken { sku: String },
    #[error("code `{code}` already exists")]
    CodeTaken { code: String },
    #[error("the product has no variant")]
    NoVariant,
    #[error("the product is sold in no market")]
    NoMarket,
    #[error("no name for market `{market}` in language `{language}` (or its fallbacks)")]
    MissingTranslation { market: String, language: String },
    #[error("price currency `{given}` differs from market `{market}` currency `{expected}`")]
    CurrencyMismatch { market: String, expected: String, given: String },
    #[error("compare-at price must be greater than the price")]
    CompareAtNotAbove,
    #[error("amount must be between 0 and {max} minor units")]
    AmountOutOfRange { max: i64 },
    #[error("variant attributes {combination} repeat another variant of the product")]
    DuplicateVariant { combination: String },
    #[error("unknown warehouse `{warehouse}`")]
    UnknownWarehouse { warehouse: String },
}

impl CatalogError {
    /// The stable error code clients can rely on.
    pub fn code(&self) -> &'static str {
        match self {
            Self::UnknownAttribute { .. } => "unknown_attribute",
            Self::InvalidAttributeValue { .. } => "invalid_attribute_value",
            Self::UnknownCategory { .. } => "unknown_category",
            Self::UnknownMarket { .. } => "unknown_market",
            Self::Invalid { .. } => "validation_failed",
            Self::SlugTaken { .. } => "slug_taken",
            Self::SkuTaken { .. } => "sku_taken",
            Self::CodeTaken { .. } => "code_taken",
            Self::NoVariant => "no_variant",
            Self::NoMarket => "no_market",
            Self::MissingTranslation { .. } => "missing_translation",
            Self::CurrencyMismatch { .. } => "currency_mismatch",
            Self::CompareAtNotAbove => "invalid_compare_at",
            Self::AmountOutOfRange { .. } => "amount_out_of_range",
            Self::DuplicateVariant { .. } => "duplicate_variant",
            Self::UnknownWarehouse { .. } => "unknown_warehouse",
        }
    }

    /// Whether the request conflicts with existing data (409) rather than being invalid (422).
    pub fn is_conflict(&self) -> bool {
        matches!(self, Self::SlugTaken { .. } | Self::SkuTaken { .. } | Self::CodeTaken { .. })
    }

    fn invalid(field: &str, reason: impl Into<String>) -> Self {
        Self::Invalid { field: field.into(), reason: reason.into() }
    }
}

/// Largest price accepted, in minor units (10^15: a quadrillion cents, far above any price,
/// and far below i64 overflow when summed over order lines).
pub const MAX_AMOUNT_MINOR: i64 = 1_000_000_000_000_000;

/// Slugs: lower-case ASCII letters, digits and single hyphens, 1 to 120 characters.
pub fn check_slug(field: &str, slug: &str) -> Result<(), CatalogError> {
    let ok = (1..=120).contains(&slug.len())
        && slug
            .split('-')
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
    if ok {
        Ok(())
    } else {
        Err(CatalogError::invalid(field, "a slug is 1-120 lower-case letters, digits and single hyphens"))
    }
}

/// Merchandiser codes (product codes, SKUs, category codes): 1 to 64 printable ASCII
/// characters without spaces or slashes.
pub fn check_code(field: &str, code: &str) -> Result<(), CatalogError> {
    let ok = (1..=64).contains(&code.len())
        && code.bytes().all(|b| b.is_ascii_graphic() && b != b'/' && b != b'?' && b != b'#' && b != b'%');
    if ok {
        Ok(())
    } else {
        Err(CatalogError::invalid(field, "1-64 printable ASCII characters, no spaces, '/', '?', '#' or '%'"))
    }
}

/// Translated names: 1 to 200 characters, not blank. Descriptions: up to 10,000 characters.
pub fn check_translation(language: &str, name: &str, description: &str) -> Result<(), CatalogError> {
    if name.trim().is_empty() || name.chars().count() > 200 {
        return Err(CatalogError::invalid(&format!("translations.{language}.name"), "1-200 characters, not blank"));
    }
    if description.chars().count() > 10_000 {
        return Err(CatalogError::invalid(
            &format!("translations.{language}.description"),
            "at most 10,000 characters",
        ));
    }
    Ok(())
}

/// Tax categories are keys (`standard`, `reduced`, `zero`); the tax engine maps them to rates.
pub fn check_tax_category(category: &str) -> Result<(), CatalogError> {
    if crate::attributes::valid_key(category) {
        Ok(())
    } else {
        Err(CatalogError::invalid("tax_category", "a lower-case key such as `standard`"))
    }
}

/// A price as a merchandiser sets it, checked.
pub fn check_price(amount_minor: i64, compare_at_minor: Option<i64>) -> Result<(), CatalogError> {
    let in_range = |a: i64| (0..=MAX_AMOUNT_MINOR).contains(&a);
    if !in_range(amount_minor) || compare_at_minor.is_some_and(|c| !in_range(c)) {
        return Err(CatalogError::AmountOutOfRange { max: MAX_AMOUNT_MINOR });
    }
    if compare_at_minor.is_some_and(|c| c <= amount_minor) {
        return Err(CatalogError::CompareAtNotAbove);
    }
    Ok(())
}

/// Draft products are invisible to shoppers; published ones show in every market they are
/// sold in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProductStatus {
    Draft,
    Published,
}

impl ProductStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Published => "published",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "draft" => Some(Self::Draft),
            "published" => Some(Self::Published),
            _ => None,
        }
    }
}

/// A product may be published when it has a variant, is sold somewhere, and shoppers of every
/// market it is sold in find a name in every language the market offers (through the
/// fallback chain).
pub fn check_publishable(
    regions: &regions::Catalog,
    markets: &[String],
    named_languages: &BTreeSet<String>,
    variant_count: usize,
) -> Result<(), CatalogError> {
    if variant_count == 0 {
        return Err(CatalogError::NoVariant);
    }
    if markets.is_empty() {
        return Err(CatalogError::NoMarket);
    }
    for id in markets {
        let market = regions.market(id).ok_or_else(|| CatalogError::UnknownMarket { market: id.clone() })?;
        for language in &market.languages {
            let chain: &[LanguageTag] = market.fallback_chain(language).unwrap_or_default();
            if !chain.iter().any(|l| named_languages.contains(l.as_str())) {
                return Err(CatalogError::MissingTranslation { market: id.clone(), language: language.to_string() });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        for ok in ["a", "classic-cotton-t-shirt-p000123", "42"] {
            assert!(check_slug("slug", ok).is_ok(), "{ok}");
        }
        for bad in ["", "-a", "a-", "a--b", "Caps", "été", "a b", "a/b", &"x".repeat(121)] {
            assert!(check_slug("slug", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn prices() {
        assert!(check_price(0, None).is_ok());
        assert!(check_price(1999, Some(2499)).is_ok());
        assert_eq!(check_price(1999, Some(1999)), Err(CatalogError::CompareAtNotAbove));
        assert!(matches!(check_price(-1, None), Err(CatalogError::AmountOutOfRange { .. })));
        assert!(matches!(check_price(MAX_AMOUNT_MINOR + 1, None), Err(CatalogError::AmountOutOfRange { .. })));
    }

    #[test]
    fn publishing_needs_names_through_the_chain() {
        let regions = regions::Catalog::load_workspace().unwrap();
        let langs = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
        let markets = vec!["ca".to_string()];
        // Canada offers en and fr-CA; fr-CA falls back to fr.
        assert!(check_publishable(&regions, &markets, &langs(&["en", "fr"]), 1).is_ok());
        // fr-CA → fr → en: English alone covers both.
        assert!(check_publishable(&regions, &markets, &langs(&["en"]), 1).is_ok());
        let jp = vec!["jp".to_string()];
        assert_eq!(
            check_publishable(&regions, &jp, &langs(&["en"]), 1),
            Err(CatalogError::MissingTranslation { market: "jp".into(), language: "ja".into() })
        );
        assert_eq!(check_publishable(&regions, &jp, &langs(&["ja", "en"]), 0), Err(CatalogError::NoVariant));
        assert_eq!(check_publishable(&regions, &[], &langs(&["en"]), 1), Err(CatalogError::NoMarket));
    }
}
