//! Tests of the pure parts of the seed: the model and its COPY encoding, decoded back.

use std::collections::{HashMap, HashSet};

use core_store::bulk::CopyBuf;

use super::encode::{Encoder, Table};
use super::model::Model;
use super::text::is_slug;
use super::words::{self, DEPARTMENTS};

fn catalog() -> regions::Catalog {
    regions::Catalog::load_workspace().expect("the workspace regions load")
}

/// Every row of `table`, each a list of fields (`None` for NULL), decoded from binary COPY.
fn rows(model: &Model, table: Table) -> Vec<Vec<Option<Vec<u8>>>> {
    let mut buf = CopyBuf::new();
    let mut encoder = Encoder::new(model);
    for unit in 0..super::encode::units(model, table) {
        encoder.encode(table, &mut buf, unit);
    }
    buf.finish();
    decode(&buf.take())
}

fn decode(data: &[u8]) -> Vec<Vec<Option<Vec<u8>>>> {
    assert_eq!(&data[..11], b"PGCOPY\n\xff\r\n\0");
    let mut at = 19;
    let take = |at: &mut usize, n: usize| {
        let s = &data[*at..*at + n];
        *at += n;
        s
    };
    let mut out = Vec::new();
    loop {
        let fields = i16::from_be_bytes(take(&mut at, 2).try_into().expect("2 bytes"));
        if fields == -1 {
            assert_eq!(at, data.len(), "trailing bytes after the trailer");
            return out;
        }
        let mut row = Vec::new();
        for _ in 0..fields {
            let len = i32::from_be_bytes(take(&mut at, 4).try_into().expect("4 bytes"));
            row.push((len >= 0).then(|| take(&mut at, len as usize).to_vec()));
        }
        out.push(row);
    }
}

fn text(field: &Option<Vec<u8>>) -> &str {
    std::str::from_utf8(field.as_deref().expect("not null")).expect("utf-8")
}

fn json(field: &Option<Vec<u8>>) -> serde_json::Value {
    let bytes = field.as_deref().expect("not null");
    assert_eq!(bytes[0], 1, "jsonb version");
    serde_json::from_slice(&bytes[1..]).expect("valid JSON")
}

fn int8(field: &Option<Vec<u8>>) -> i64 {
    i64::from_be_bytes(field.as_deref().expect("not null").try_into().expect("8 bytes"))
}

#[test]
fn sku_count_is_exact() {
    let catalog = catalog();
    for skus in [0, 1, 2, 7, 299, 300, 1_000, 10_001] {
        let model = Model::build(&catalog, skus, 42);
        assert_eq!(model.variants.len() as u64, skus, "{skus}");
        assert!(model.products.iter().all(|p| (1..=5).contains(&(p.variants.end - p.variants.start))));
    }
    let model = Model::build(&catalog, 30_000, 42);
    let per_product = 30_000.0 / model.products.len() as f64;
    assert!((2.7..=3.1).contains(&per_product), "{per_product} variants per product");
}

#[test]
fn generation_is_deterministic() {
    let catalog = catalog();
    let encode = |seed| {
        let model = Model::build(&catalog, 300, seed);
        let mut all = Vec::new();
        for table in Table::ALL {
            all.push(rows(&model, table));
        }
        all.push(vec![vec![Some(model.categories.iter().flat_map(|c| c.id.into_bytes()).collect())]]);
        all
    };
    assert_eq!(encode(42), encode(42));
    assert_ne!(encode(42), encode(43));
}

#[test]
fn tree_has_three_levels_and_unique_codes() {
    let model = Model::build(&catalog(), 10, 42);
    let leaves = model.categories.iter().filter(|c| c.ancestors.len() == 3).count();
    assert!((150..=250).contains(&leaves), "{leaves} leaves");
    assert_eq!(model.leaves.len(), leaves);
    let codes: HashSet<&str> = model.categories.iter().map(|c| c.code.as_str()).collect();
    assert_eq!(codes.len(), model.categories.len());
    for c in &model.categories {
        assert!(is_slug(&c.code), "{}", c.code);
        assert!((1..=3).contains(&c.ancestors.len()));
        assert_eq!(c.ancestors[0], (model.categories.iter().position(|x| x.code == c.code).expect("self"), 0));
    }
    for (l, lang) in model.langs.iter().enumerate() {
        let slugs: HashSet<&str> = model.categories.iter().map(|c| c.slugs[l].as_str()).collect();
        assert_eq!(slugs.len(), model.categories.len(), "category slugs unique in {}", lang.tag);
        assert!(slugs.iter().all(|s| is_slug(s) && s.len() <= 120));
    }
    // Sizes and colours are keys of their attributes, unique within each.
    let mut seen = HashSet::new();
    for o in &model.options {
        assert!(seen.insert((o.attribute, o.value.as_str())), "{} {}", o.attribute, o.value);
        assert!(is_slug(&o.value), "{}", o.value);
        assert!(o.labels.iter().all(|l| !l.is_empty()));
    }
    assert_eq!(model.options.iter().filter(|o| o.attribute == "brand").count(), 150);
}

#[test]
fn every_leaf_allows_some_variants() {
    for dept in DEPARTMENTS {
        for mid in dept.mids {
            assert!((4..=6).contains(&mid.leaves.len()), "{}-{}", dept.code, mid.code);
            for leaf in mid.leaves {
                assert!(!leaf.axis.options.is_empty());
                assert!(leaf.axis.options.len() <= 64 && leaf.palette.len() <= 64);
                assert!(leaf.price.0 >= 1 && leaf.price.0 < leaf.price.1, "{}", leaf.code);
            }
        }
        assert!((4..=6).contains(&dept.mids.len()), "{}", dept.code);
    }
    assert_eq!(DEPARTMENTS.iter().map(|d| d.weight).sum::<u32>(), 100);
}

#[test]
fn slugs_are_valid_and_unique_per_language() {
    let model = Model::build(&catalog(), 3_000, 7);
    let rows = rows(&model, Table::Translations);
    let mut per_lang: HashMap<String, HashSet<String>> = HashMap::new();
    for row in &rows {
        let (lang, name, description, slug) = (text(&row[1]), text(&row[2]), text(&row[3]), text(&row[4]));
        assert!(is_slug(slug) && slug.len() <= 120, "{slug}");
        assert!(!name.is_empty() && description.contains(name), "{lang}: {name} / {description}");
        assert!(per_lang.entry(lang.to_string()).or_default().insert(slug.to_string()), "duplicate {lang} slug {slug}");
    }
    // Every product has copy in every language but the regional ones, and about a fifth in fr-CA.
    let products = model.products.len();
    for (lang, slugs) in &per_lang {
        if lang == "fr-CA" {
            let share = slugs.len() as f64 / products as f64;
            assert!((0.15..=0.25).contains(&share), "fr-CA share {share}");
        } else {
            assert_eq!(slugs.len(), products, "{lang}");
        }
    }
    assert_eq!(rows.len() as u64, model.counts.translations);
}

#[test]
fn names_are_localized() {
    let model = Model::build(&catalog(), 3_000, 42);
    let rows = rows(&model, Table::Translations);
    let names =
        |lang: &str| rows.iter().filter(|r| text(&r[1]) == lang).map(|r| text(&r[2]).to_string()).collect::<Vec<_>>();
    let (en, de, ja, zh) = (names("en"), names("de"), names("ja"), names("zh"));
    assert!(en.iter().zip(&de).filter(|(e, d)| e == d).count() < en.len() / 20, "German names are mostly not English");
    assert!(ja.iter().all(|n| !n.is_ascii()), "Japanese names use Japanese script");
    assert!(zh.iter().all(|n| !n.is_ascii()), "Chinese names use Chinese script");
    // Japanese and Chinese slugs are the English ones.
    let slugs =
        |lang: &str| rows.iter().filter(|r| text(&r[1]) == lang).map(|r| text(&r[4]).to_string()).collect::<Vec<_>>();
    assert_eq!(slugs("ja"), slugs("en"));
    assert_eq!(slugs("zh"), slugs("en"));
}

#[test]
fn facets_hold_product_and_variant_values() {
    let model = Model::build(&catalog(), 3_000, 42);
    let products = rows(&model, Table::Products);
    let variants = rows(&model, Table::Variants);
    let mut by_product: HashMap<Vec<u8>, Vec<serde_json::Value>> = HashMap::new();
    let mut skus = HashSet::new();
    for v in &variants {
        by_product.entry(v[1].clone().expect("product id")).or_default().push(json(&v[3]));
        assert!(skus.insert(text(&v[2]).to_string()), "duplicate sku {}", text(&v[2]));
    }
    for p in &products {
        let attributes = json(&p[4]);
        let facets = json(&p[5]);
        assert!(
            attributes["brand"].is_string()
                && attributes["weight_g"].is_u64()
                && attributes["eco_certified"].is_boolean()
        );
        assert_eq!(facets["brand"], serde_json::json!([attributes["brand"]]));
        assert_eq!(facets["eco_certified"], serde_json::json!([attributes["eco_certified"]]));
        if let Some(material) = attributes.get("material") {
            assert_eq!(facets["material"], serde_json::json!([material]));
        }
        let variants = &by_product[p[0].as_ref().expect("id")];
        let mut combos = HashSet::new();
        for v in variants {
            assert!(combos.insert(v.to_string()), "distinct variant attributes");
            for (key, value) in v.as_object().expect("object") {
                let values = facets[key].as_array().expect("facet array");
                assert!(values.contains(value), "{key}={value} in {facets}");
            }
        }
        for (key, values) in facets.as_object().expect("object") {
            let values = values.as_array().expect("array");
            let distinct: HashSet<String> = values.iter().map(|v| v.to_string()).collect();
            assert_eq!(distinct.len(), values.len(), "{key} distinct");
            let from_variants = matches!(key.as_str(), "color" | "size" | "format");
            if from_variants {
                assert!(values.iter().all(|x| variants.iter().any(|v| v[key] == *x)), "{key} only variant values");
            }
        }
        let status = text(&p[6]);
        assert_eq!(status == "published", p[7].is_some());
    }
}

#[test]
fn prices_and_listing_agree() {
    let model = Model::build(&catalog(), 3_000, 42);
    let prices = rows(&model, Table::Prices);
    assert_eq!(prices.len() as u64, model.counts.prices);
    let mut sale = 0;
    for row in &prices {
        let (market, currency, amount) = (text(&row[1]), text(&row[2]), int8(&row[3]));
        let m = catalog().market(market).expect("market").currency;
        assert_eq!(currency, m.code());
        assert!(amount > 0);
        if m.exponent() == 0 {
            assert_eq!(amount % 10, 0, "{market} {amount}");
        } else {
            assert!(matches!(amount % 100, 99 | 95 | 0), "{market} {amount}");
        }
        if row[4].is_some() {
            sale += 1;
            let was = int8(&row[4]);
            assert!(was > amount && was <= amount * 16 / 10 + 100, "{amount} → {was}");
        }
    }
    let share = f64::from(sale) / prices.len() as f64;
    assert!((0.10..=0.20).contains(&share), "{share} of prices on sale");

    let listing = rows(&model, Table::Listing);
    assert_eq!(listing.len() as u64, model.counts.listing);
    let published = model.products.iter().filter(|p| p.published_at.is_some()).count();
    let share = published as f64 / model.products.len() as f64;
    assert!((0.95..=0.995).contains(&share), "{share} published");
    let keys: HashSet<_> = listing.iter().map(|r| (r[0].clone(), r[1].clone(), r[2].clone())).collect();
    assert_eq!(keys.len(), listing.len(), "listing keys unique");
}

#[test]
fn reference_tables_decode() {
    let model = Model::build(&catalog(), 10, 42);
    for (table, data) in super::encode::reference_tables(&model) {
        let rows = decode(&data);
        assert!(!rows.is_empty(), "{table}");
    }
    assert_eq!(words::ATTRIBUTES.iter().filter(|a| a.filterable).count(), 6);
}
