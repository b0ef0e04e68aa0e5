//! Rows of the model encoded in PostgreSQL's binary COPY format (the store's [`CopyBuf`]),
//! written straight into the buffer that is sent (no per-value boxing, no per-row
//! allocation). Each row's fields come in the column order [`CatalogTable`] documents.

use std::fmt::Write as _;

use bytes::Bytes;
use core_store::bulk::{CatalogTable, CopyBuf};

use super::model::{EPOCH, Model, Product, Variant};
use super::text;
use super::words::{self, Lang};

/// The tables loaded per product, in [`Encoder::encode`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Table {
    Products,
    Translations,
    Markets,
    Variants,
    Prices,
    Listing,
    Stock,
}

impl Table {
    pub(crate) const ALL: [Table; 7] = [
        Table::Products,
        Table::Translations,
        Table::Markets,
        Table::Variants,
        Table::Prices,
        Table::Listing,
        Table::Stock,
    ];

    /// The store's table.
    pub(crate) fn catalog(self) -> CatalogTable {
        match self {
            Table::Products => CatalogTable::Products,
            Table::Translations => CatalogTable::ProductTranslations,
            Table::Markets => CatalogTable::ProductMarkets,
            Table::Variants => CatalogTable::Variants,
            Table::Prices => CatalogTable::Prices,
            Table::Listing => CatalogTable::Listing,
            Table::Stock => CatalogTable::Stock,
        }
    }

    /// The product table that is `table`, if it is one.
    pub(crate) fn of(table: CatalogTable) -> Option<Table> {
        Table::ALL.into_iter().find(|t| t.catalog() == table)
    }
}

/// Encodes rows of the model, reusing its scratch strings.
#[derive(Debug)]
pub(crate) struct Encoder<'m> {
    model: &'m Model,
    code: String,
    name: String,
    english: String,
    description: String,
    slug: String,
    /// Facet keys (`color=red`) of the product whose listing rows are being written.
    keys: Vec<String>,
}

impl<'m> Encoder<'m> {
    pub(crate) fn new(model: &'m Model) -> Self {
        Self {
            model,
            code: String::new(),
            name: String::new(),
            english: String::new(),
            description: String::new(),
            slug: String::new(),
            keys: Vec::new(),
        }
    }

    /// The listing's facet keys of `p`: the same values as its `facets` column, as
    /// `code=value` (see `core_domain::attributes::facet_key`).
    fn facet_keys(&mut self, p: &Product) {
        let m = self.model;
        let leaf = m.leaf(p).leaf;
        self.keys.clear();
        self.keys.push(format!("brand={}", m.brands[usize::from(p.brand)].key));
        if let Some(material) = m.material(p) {
            self.keys.push(format!("material={}", material.key));
        }
        self.keys.push(format!("eco_certified={}", p.eco));
        let (mut colors, mut options) = (0u64, 0u64);
        for v in m.variants(p) {
            if let Some(c) = v.color {
                colors |= 1 << c;
            }
            options |= 1 << v.option;
        }
        for (i, c) in leaf.palette.iter().enumerate() {
            if colors & (1 << i) != 0 {
                self.keys.push(format!("color={}", c.key));
            }
        }
        for (i, o) in leaf.axis.options.iter().enumerate() {
            if options & (1 << i) != 0 {
                self.keys.push(format!("{}={}", leaf.axis.attr, o.key));
            }
        }
    }

    /// Writes the rows of load unit `unit` of `table` (see [`units`]); returns how many.
    pub(crate) fn encode(&mut self, table: Table, out: &mut CopyBuf, unit: usize) -> u64 {
        let m = self.model;
        match table {
            Table::Products | Table::Translations | Table::Markets => {
                let index = m.order.products[unit] as usize;
                self.set_code(index);
                let p = &m.products[index];
                match table {
                    Table::Products => self.product(out, p),
                    Table::Translations => self.translations(out, p),
                    _ => self.markets(out, p),
                }
            }
            Table::Stock => {
                let index = m.order.variants[unit] as usize;
                self.stock(out, index)
            }
            Table::Variants | Table::Prices => {
                let index = m.order.variants[unit] as usize;
                let v = &m.variants[index];
                let p = &m.products[v.product as usize];
                if table == Table::Variants {
                    self.set_code(v.product as usize);
                    self.variant(out, p, v, index - p.variants.start as usize)
                } else {
                    self.prices(out, p, v)
                }
            }
            Table::Listing => {
                let categories = m.order.categories.len();
                let market = (unit / categories) as u16;
                let category = m.order.categories[unit % categories] as usize;
                self.listing(out, market, category)
            }
        }
    }

    /// The variant's stock in the stocking warehouse of each region (see [`Model::on_hand`]).
    fn stock(&mut self, out: &mut CopyBuf, index: usize) -> u64 {
        let m = self.model;
        let v = &m.variants[index];
        for (w, warehouse) in m.warehouses.iter().enumerate() {
            out.row(5);
            out.text(&warehouse.id);
            out.uuid(&v.id);
            out.text(&warehouse.region);
            out.int8(m.on_hand(index, w));
            out.int8(0);
        }
        m.warehouses.len() as u64
    }

    fn set_code(&mut self, product: usize) {
        self.code.clear();
        // Writing to a String cannot fail.
        let _ = write!(self.code, "P{:06}", product + 1);
    }

    fn product(&mut self, out: &mut CopyBuf, p: &Product) -> u64 {
        let m = self.model;
        let info = m.leaf(p);
        let leaf = info.leaf;
        let brand = &m.brands[usize::from(p.brand)].key;
        let material = m.material(p);
        out.row(10);
        out.uuid(&p.id);
        out.text(&self.code);
        out.uuid(&m.categories[info.category].id);
        out.text(info.tax.as_str());
        out.jsonb(|j| {
            j.str("brand", brand);
            if let Some(material) = material {
                j.str("material", material.key);
            }
            j.number("weight_g", p.weight_g);
            j.boolean("eco_certified", p.eco);
            j.end();
        });
        // Distinct colours and sizes of the variants, in palette and axis order.
        let (mut colors, mut options) = (0u64, 0u64);
        for v in m.variants(p) {
            if let Some(c) = v.color {
                colors |= 1 << c;
            }
            options |= 1 << v.option;
        }
        out.jsonb(|j| {
            j.array("brand", [brand.as_str()]);
            if let Some(material) = material {
                j.array("material", [material.key]);
            }
            j.bool_array("eco_certified", p.eco);
            if !leaf.palette.is_empty() {
                j.array(
                    "color",
                    leaf.palette.iter().enumerate().filter(|(i, _)| colors & (1 << i) != 0).map(|(_, c)| c.key),
                );
            }
            j.array(
                leaf.axis.attr,
                leaf.axis.options.iter().enumerate().filter(|(i, _)| options & (1 << i) != 0).map(|(_, o)| o.key),
            );
            j.end();
        });
        match p.published_at {
            Some(at) => {
                out.text("published");
                out.timestamp(at);
            }
            None => {
                out.text("draft");
                out.null();
            }
        }
        out.timestamp(p.created_at);
        out.timestamp(EPOCH);
        1
    }

    fn translations(&mut self, out: &mut CopyBuf, p: &Product) -> u64 {
        let m = self.model;
        let parts = m.name_parts(p);
        let brand = &m.brands[usize::from(p.brand)].name;
        self.english.clear();
        text::product_name(&mut self.english, Lang::En, &parts);
        let mut rows = 0;
        for lang in &m.langs {
            if lang.regional && !p.regional {
                continue;
            }
            let words = lang.words as usize;
            self.name.clear();
            text::product_name(&mut self.name, lang.words, &parts);
            self.description.clear();
            text::fill(&mut self.description, words::INTROS[words][usize::from(p.intro)], &self.name, brand);
            if !matches!(lang.words, Lang::Ja | Lang::Zh) {
                self.description.push(' ');
            }
            let blurbs = if lang.fr_ca { &words::BLURBS_FR_CA } else { &words::BLURBS[words] };
            self.description.push_str(blurbs[usize::from(p.blurb)]);
            self.slug.clear();
            let source = if matches!(lang.words, Lang::Ja | Lang::Zh) { &self.english } else { &self.name };
            text::slugify(&mut self.slug, source, 100);
            if !self.slug.is_empty() {
                self.slug.push('-');
            }
            self.slug.extend(self.code.chars().map(|c| c.to_ascii_lowercase()));

            out.row(5);
            out.uuid(&p.id);
            out.text(&lang.tag);
            out.text(&self.name);
            out.text(&self.description);
            out.text(&self.slug);
            rows += 1;
        }
        rows
    }

    fn markets(&mut self, out: &mut CopyBuf, p: &Product) -> u64 {
        let m = self.model;
        for sold in m.sold(p) {
            out.row(2);
            out.uuid(&p.id);
            out.text(&m.markets[usize::from(sold.market)].id);
        }
        m.sold(p).len() as u64
    }

    fn variant(&mut self, out: &mut CopyBuf, p: &Product, v: &Variant, position: usize) -> u64 {
        let leaf = self.model.leaf(p).leaf;
        let color = v.color.map(|c| leaf.palette[usize::from(c)].key);
        let option = leaf.axis.options[usize::from(v.option)].key;
        self.slug.clear();
        self.slug.push_str(&self.code);
        for part in color.into_iter().chain([option]) {
            self.slug.push('-');
            self.slug.extend(part.chars().map(|c| c.to_ascii_uppercase()));
        }
        out.row(7);
        out.uuid(&v.id);
        out.uuid(&p.id);
        out.text(&self.slug);
        out.jsonb(|j| {
            if let Some(color) = color {
                j.str("color", color);
            }
            j.str(leaf.axis.attr, option);
            j.end();
        });
        out.int4(position as i32);
        out.timestamp(p.created_at);
        // A unit ships at the product's weight.
        out.int8(i64::from(p.weight_g));
        1
    }

    fn prices(&mut self, out: &mut CopyBuf, p: &Product, v: &Variant) -> u64 {
        let m = self.model;
        for &sold in m.sold(p) {
            let market = &m.markets[usize::from(sold.market)];
            let (amount, was) = m.price(p, v, sold);
            out.row(6);
            out.uuid(&v.id);
            out.text(&market.id);
            out.text(market.pricing.code);
            out.int8(amount);
            match was {
                Some(was) => out.int8(was),
                None => out.null(),
            }
            out.timestamp(EPOCH);
        }
        m.sold(p).len() as u64
    }

    /// The listing rows of one market and category: its published products sold there.
    fn listing(&mut self, out: &mut CopyBuf, market: u16, category: usize) -> u64 {
        let m = self.model;
        let market_id = &m.markets[usize::from(market)].id;
        let category_id = &m.categories[category].id;
        let mut rows = 0;
        for &index in &m.order.members[category] {
            let p = &m.products[index as usize];
            let (Some(published_at), Some(&sold)) = (p.published_at, m.sold(p).iter().find(|s| s.market == market))
            else {
                continue;
            };
            let Some(from) = m.lowest_price(p, sold) else { continue };
            self.facet_keys(p);
            out.row(6);
            out.text(market_id);
            out.uuid(category_id);
            out.uuid(&p.id);
            out.timestamp(published_at);
            out.int8(from);
            out.text_array(&self.keys);
            rows += 1;
        }
        rows
    }
}

/// How many load units `table` has: products, variants, or (market, category) pairs.
pub(crate) fn units(m: &Model, table: Table) -> usize {
    match table {
        Table::Products | Table::Translations | Table::Markets => m.products.len(),
        Table::Variants | Table::Prices | Table::Stock => m.variants.len(),
        Table::Listing => m.order.listing_units(m.markets.len()),
    }
}

/// The reference tables (categories and attributes), each as one complete COPY stream.
pub(crate) fn reference_tables(m: &Model) -> Vec<(CatalogTable, Bytes)> {
    let mut out = Vec::new();
    let mut table = |table: CatalogTable, f: &dyn Fn(&mut CopyBuf)| {
        let mut buf = CopyBuf::new();
        f(&mut buf);
        buf.finish();
        out.push((table, buf.take()));
    };
    table(CatalogTable::Categories, &|b| {
        for c in &m.categories {
            b.row(5);
            b.uuid(&c.id);
            b.text(&c.code);
            match c.parent {
                Some(parent) => b.uuid(&m.categories[parent].id),
                None => b.null(),
            }
            b.int4(c.position);
            // Two years before the catalog's epoch.
            b.timestamp(EPOCH - 730 * 86_400 * 1_000_000);
        }
    });
    table(CatalogTable::CategoryAncestors, &|b| {
        for c in &m.categories {
            for &(ancestor, depth) in &c.ancestors {
                b.row(3);
                b.uuid(&c.id);
                b.uuid(&m.categories[ancestor].id);
                b.int4(depth);
            }
        }
    });
    table(CatalogTable::CategoryTranslations, &|b| {
        for c in &m.categories {
            for (l, lang) in m.langs.iter().enumerate() {
                b.row(4);
                b.uuid(&c.id);
                b.text(&lang.tag);
                b.text(c.name[lang.words as usize]);
                b.text(&c.slugs[l]);
            }
        }
    });
    table(CatalogTable::Attributes, &|b| {
        for (position, a) in words::ATTRIBUTES.iter().enumerate() {
            b.row(6);
            b.text(a.code);
            b.text(a.kind);
            b.text(a.level);
            b.boolean(a.filterable);
            match a.unit {
                Some(unit) => b.text(unit),
                None => b.null(),
            }
            b.int4(position as i32);
        }
    });
    table(CatalogTable::AttributeTranslations, &|b| {
        for a in words::ATTRIBUTES {
            for lang in &m.langs {
                b.row(3);
                b.text(a.code);
                b.text(&lang.tag);
                b.text(a.label[lang.words as usize]);
            }
        }
    });
    table(CatalogTable::AttributeOptions, &|b| {
        for o in &m.options {
            b.row(3);
            b.text(o.attribute);
            b.text(&o.value);
            b.int4(o.position);
        }
    });
    table(CatalogTable::AttributeOptionTranslations, &|b| {
        for o in &m.options {
            for (lang, label) in m.langs.iter().zip(&o.labels) {
                b.row(4);
                b.text(o.attribute);
                b.text(&o.value);
                b.text(&lang.tag);
                b.text(label);
            }
        }
    });
    out
}
