//! Cache tags: what a cacheable answer shows, and what a catalog write changes, named alike so
//! that the edges purge exactly the answers a write made obsolete (as a CDN's surrogate keys or
//! cache tags).
//!
//! Core sends an answer's tags in the [`HEADER`] response header (space-separated, as Fastly's
//! `Surrogate-Key`); the edge indexes the answer under each and strips the header. Every
//! catalog write records, in its own transaction, the tags it affects in the change feed; the
//! edges purge the answers held under any of them. A write that changes everything (an attribute
//! definition, a catalog promotion on every product of every market) records no tags: the edges
//! then purge everything.
//!
//! The tags:
//! - `p:<product id>`: the product's pages (by id and by slug, in every market and language)
//!   and the listing pages that list it;
//! - `c:<category id>`: what names the category: the product pages whose breadcrumbs name it (a
//!   product's page carries its category and every ancestor) and the category's listing pages;
//! - `l:<category id>`: the category's listing pages, for the changes of what they list (a
//!   product published, moved, or priced in or out of a market);
//! - `m:<market>`: every catalog answer of the market (its price list, a promotion on all its
//!   products);
//! - `categories`: the category trees; `markets`: the market list.

use std::collections::BTreeSet;
use std::fmt;

use uuid::Uuid;

use crate::promotions::{Promotion, PromotionKind, Target};

/// The response header carrying an answer's tags, from core to the edge (never to shoppers).
pub const HEADER: &str = "surrogate-key";

/// One cache tag.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tag {
    Product(Uuid),
    Category(Uuid),
    Listing(Uuid),
    Market(String),
    Categories,
    Markets,
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Product(id) => write!(f, "p:{id}"),
            Self::Category(id) => write!(f, "c:{id}"),
            Self::Listing(id) => write!(f, "l:{id}"),
            Self::Market(id) => write!(f, "m:{id}"),
            Self::Categories => f.write_str("categories"),
            Self::Markets => f.write_str("markets"),
        }
    }
}

/// Tags as the header's value: sorted, each once, separated by spaces.
pub fn header_value<'a>(tags: impl IntoIterator<Item = &'a Tag>) -> String {
    let tags: BTreeSet<&Tag> = tags.into_iter().collect();
    tags.iter().map(ToString::to_string).collect::<Vec<_>>().join(" ")
}

/// The tags of a product's page in `market`: the product, every category of its breadcrumbs
/// (its own and its ancestors) and the market.
pub fn product_page(product: Uuid, breadcrumbs: &[Uuid], market: &str) -> Vec<Tag> {
    let mut tags = vec![Tag::Product(product), Tag::Market(market.to_string())];
    tags.extend(breadcrumbs.iter().copied().map(Tag::Category));
    tags
}

/// The tags of a listing page of `category` in `market` showing `products`.
pub fn listing_page(category: Uuid, products: &[Uuid], market: &str) -> Vec<Tag> {
    let mut tags = vec![Tag::Category(category), Tag::Listing(category), Tag::Market(market.to_string())];
    tags.extend(products.iter().copied().map(Tag::Product));
    tags
}

/// The tags of the category tree of `market`.
pub fn category_tree(market: &str) -> Vec<Tag> {
    vec![Tag::Categories, Tag::Market(market.to_string())]
}

/// What a write changed, for the edges: the answers under any of the tags, or everything.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Purge {
    Tags(BTreeSet<Tag>),
    Everything,
}

impl Purge {
    pub fn tags(tags: impl IntoIterator<Item = Tag>) -> Self {
        Self::Tags(tags.into_iter().collect())
    }

    /// Nothing cached changes.
    pub fn nothing() -> Self {
        Self::Tags(BTreeSet::new())
    }

    pub fn merge(self, other: Self) -> Self {
        match (self, other) {
            (Self::Tags(mut a), Self::Tags(b)) => {
                a.extend(b);
                Self::Tags(a)
            }
            _ => Self::Everything,
        }
    }

    pub fn is_nothing(&self) -> bool {
        matches!(self, Self::Tags(tags) if tags.is_empty())
    }

    /// The tags as the change feed keeps them; `None`: everything.
    pub fn to_strings(&self) -> Option<Vec<String>> {
        match self {
            Self::Tags(tags) => Some(tags.iter().map(ToString::to_string).collect()),
            Self::Everything => None,
        }
    }
}

/// What a change of `promotion` (as it was or as it is) changes in the catalog: a catalog
/// promotion shown without a coupon changes the pages of its targets (products, categories, or
/// every product of its markets); any other promotion shows only in carts, which are never
/// cached.
pub fn promotion(promotion: &Promotion) -> Purge {
    let PromotionKind::Catalog { target, .. } = &promotion.kind else { return Purge::nothing() };
    if promotion.requires_coupon {
        return Purge::nothing();
    }
    match target {
        Target::Products(ids) => Purge::tags(ids.iter().copied().map(Tag::Product)),
        Target::Categories(ids) => Purge::tags(ids.iter().copied().map(Tag::Category)),
        Target::All if promotion.markets.is_empty() => Purge::Everything,
        Target::All => Purge::tags(promotion.markets.iter().cloned().map(Tag::Market)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::promotions::Discount;

    fn catalog(target: Target, markets: &[&str], requires_coupon: bool) -> Promotion {
        Promotion {
            id: Uuid::nil(),
            name: "p".into(),
            priority: 0,
            exclusive: false,
            kind: PromotionKind::Catalog { target, discount: Discount::Amount(100) },
            markets: markets.iter().map(ToString::to_string).collect(),
            starts_at: None,
            ends_at: None,
            requires_coupon,
        }
    }

    #[test]
    fn tags_are_written_once_each_in_order() {
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let tags = product_page(b, &[a, a], "fr");
        assert_eq!(
            header_value(&tags),
            format!("p:{b} c:{a} m:fr"),
            "sorted by kind then value, the repeated category once"
        );
        assert_eq!(header_value(&category_tree("de")), "m:de categories");
        assert_eq!(header_value(&listing_page(a, &[b], "fr")), format!("p:{b} c:{a} l:{a} m:fr"));
    }

    #[test]
    fn a_promotion_changes_the_pages_of_its_targets_only_when_the_catalog_shows_it() {
        let (p, c) = (Uuid::from_u128(7), Uuid::from_u128(8));
        let one = catalog(Target::Products([p].into()), &["fr"], false);
        assert_eq!(promotion(&one), Purge::tags([Tag::Product(p)]));
        let category = catalog(Target::Categories([c].into()), &[], false);
        assert_eq!(promotion(&category), Purge::tags([Tag::Category(c)]));
        let market = catalog(Target::All, &["fr", "be"], false);
        assert_eq!(promotion(&market), Purge::tags([Tag::Market("be".into()), Tag::Market("fr".into())]));
        assert_eq!(promotion(&catalog(Target::All, &[], false)), Purge::Everything);
        assert!(promotion(&catalog(Target::All, &[], true)).is_nothing(), "a coupon's price shows in carts only");
        let order = Promotion { kind: PromotionKind::FreeShipping { min_subtotal: 0 }, ..one.clone() };
        assert!(promotion(&order).is_nothing());
        assert_eq!(promotion(&one).merge(promotion(&order)), Purge::tags([Tag::Product(p)]));
        assert_eq!(promotion(&one).merge(Purge::Everything), Purge::Everything);
        assert_eq!(promotion(&one).to_strings(), Some(vec![format!("p:{p}")]));
    }
}
