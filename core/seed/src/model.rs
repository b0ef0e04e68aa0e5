//! The deterministic model of a synthetic catalog: every row the seed writes, kept compact
//! (indexes into the word lists, no strings per product) and derived from one ChaCha8 seed.
//! The text of each row is composed when it is encoded for COPY.

use std::collections::HashSet;
use std::ops::Range;

use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use uuid::Uuid;

use super::price::{Ending, Pricing};
use super::text::{self, NameParts};
use super::words::{self, Adj, Dept, Lang, Leaf, Material, Mid, Tax, Tr};

/// 2026-01-01T00:00:00Z: the fixed "now" of the catalog, so that reseeding is identical.
const EPOCH_UNIX: i64 = 1_767_225_600;
/// 2000-01-01T00:00:00Z, the origin of PostgreSQL's binary timestamps.
const PG_EPOCH_UNIX: i64 = 946_684_800;
/// [`EPOCH_UNIX`] as a PostgreSQL binary timestamp (microseconds since 2000-01-01).
pub(crate) const EPOCH: i64 = (EPOCH_UNIX - PG_EPOCH_UNIX) * 1_000_000;
const SECOND: i64 = 1_000_000;
const DAY: i64 = 86_400 * SECOND;

/// Products have 1 to 5 variants, 3 on average: weights of 1, 2, 3, 4 and 5.
const VARIANT_WEIGHTS: [u32; 5] = [15, 20, 30, 20, 15];
/// Percent of products in each market.
const ASSORTMENT_PCT: u32 = 85;
/// Percent of a product's markets where it is on sale (prices with a compare-at price).
const SALE_PCT: u32 = 15;
/// Percent of products published; the others are drafts.
const PUBLISHED_PCT: u32 = 98;
/// One product in this many has copy in regional languages (fr-CA).
const REGIONAL_ONE_IN: u32 = 5;

/// A category of the tree.
#[derive(Debug)]
pub(crate) struct Category {
    pub id: Uuid,
    /// `fashion`, `fashion-men`, `fashion-men-t-shirts`.
    pub code: String,
    pub parent: Option<usize>,
    /// Order among siblings.
    pub position: i32,
    pub name: &'static Tr,
    /// One slug per language of [`Model::langs`].
    pub slugs: Vec<String>,
    /// Ancestors-or-self as (category index, depth), self first.
    pub ancestors: Vec<(usize, i32)>,
}

/// A leaf category and what its products are made of.
#[derive(Debug)]
pub(crate) struct LeafInfo {
    pub category: usize,
    pub dept: &'static Dept,
    pub leaf: &'static Leaf,
    pub tax: Tax,
    pub adjectives: &'static [Adj],
    pub materials: &'static [Material],
    pub weight_g: (u32, u32),
    /// Department index, to pick brands.
    pub dept_index: usize,
}

impl LeafInfo {
    /// Distinct variants the leaf allows (colours × sizes).
    fn combinations(&self) -> usize {
        self.leaf.palette.len().max(1) * self.leaf.axis.options.len()
    }
}

/// A language rows are written in.
#[derive(Debug)]
pub(crate) struct LangPlan {
    /// The tag as stored (`fr-CA`).
    pub tag: String,
    /// The word list used.
    pub words: Lang,
    /// A regional variant of another language in the set (`fr-CA` of `fr`): only some products
    /// have copy in it, the others fall back.
    pub regional: bool,
    /// Canadian French: its own description sentences.
    pub fr_ca: bool,
}

#[derive(Debug)]
pub(crate) struct MarketPlan {
    pub id: String,
    pub pricing: Pricing,
}

#[derive(Debug)]
pub(crate) struct Brand {
    /// Option value: lower-case ASCII (`nord-co`).
    pub key: String,
    /// Label in every language (`Nord & Co`).
    pub name: String,
}

/// An option of an enum attribute, with its label per language (of [`Model::langs`]).
#[derive(Debug)]
pub(crate) struct AttributeOption {
    pub attribute: &'static str,
    pub value: String,
    /// Order among the attribute's options.
    pub position: i32,
    pub labels: Vec<String>,
}

#[derive(Debug)]
pub(crate) struct Product {
    pub id: Uuid,
    pub leaf: u16,
    pub brand: u16,
    /// Index into the leaf's adjectives.
    pub adj: u8,
    /// Index into the leaf's materials.
    pub material: Option<u8>,
    pub model: Option<(char, u16)>,
    pub weight_g: u32,
    pub eco: bool,
    /// `None` for drafts.
    pub published_at: Option<i64>,
    pub created_at: i64,
    /// Has copy in regional languages.
    pub regional: bool,
    /// Which first and second description sentence.
    pub intro: u8,
    pub blurb: u8,
    pub ending: Ending,
    pub variants: Range<u32>,
    pub sold: Range<u32>,
}

#[derive(Debug)]
pub(crate) struct Variant {
    pub id: Uuid,
    /// Index of its product.
    pub product: u32,
    /// Index into the leaf's palette, if the leaf has colours.
    pub color: Option<u8>,
    /// Index into the leaf's axis options.
    pub option: u8,
    pub base_usd_cents: u64,
}

/// A warehouse stock is seeded in.
#[derive(Debug, Clone)]
pub(crate) struct StockingWarehouse {
    pub id: String,
    pub region: String,
}

/// The first warehouse (lowest priority, then id) of each region, in region order.
fn stocking_warehouses(catalog: &regions::Catalog) -> Vec<StockingWarehouse> {
    catalog
        .regions()
        .filter_map(|r| {
            r.warehouses
                .iter()
                .min_by(|a, b| (a.priority, &a.id).cmp(&(b.priority, &b.id)))
                .map(|w| StockingWarehouse { id: w.id.clone(), region: r.id.clone() })
        })
        .collect()
}

/// A product sold in a market.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sold {
    pub market: u16,
    /// Percent markup of the compare-at price; 0 when not on sale.
    pub sale_pct: u8,
}

/// Row counts per table.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Counts {
    pub translations: u64,
    pub sold: u64,
    pub prices: u64,
    pub listing: u64,
}

#[derive(Debug)]
pub(crate) struct Model {
    pub categories: Vec<Category>,
    pub leaves: Vec<LeafInfo>,
    pub langs: Vec<LangPlan>,
    pub markets: Vec<MarketPlan>,
    pub brands: Vec<Brand>,
    pub options: Vec<AttributeOption>,
    pub products: Vec<Product>,
    pub variants: Vec<Variant>,
    pub sold: Vec<Sold>,
    /// Where stock is seeded: the first warehouse (by priority) of each region.
    pub warehouses: Vec<StockingWarehouse>,
    pub counts: Counts,
    /// The order rows are loaded in, so that each table's primary key (and the foreign keys it
    /// checks) is walked in key order rather than at random: products and variants by id, and
    /// listing rows by market, category and product.
    pub order: LoadOrder,
}

#[derive(Debug, Default)]
pub(crate) struct LoadOrder {
    /// Product indexes by product id.
    pub products: Vec<u32>,
    /// Variant indexes by variant id.
    pub variants: Vec<u32>,
    /// Listing rows come in units of one market and category: market-major, categories by id.
    pub categories: Vec<u32>,
    /// Per category, the published products under it (its own and its descendants'), by id.
    pub members: Vec<Vec<u32>>,
}

impl LoadOrder {
    /// Units of listing rows: (market, category) pairs.
    pub(crate) fn listing_units(&self, markets: usize) -> usize {
        markets * self.categories.len()
    }
}

fn rng(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}

fn uuid(rng: &mut ChaCha8Rng) -> Uuid {
    let mut bytes = [0u8; 16];
    rng.fill_bytes(&mut bytes);
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

fn pct(rng: &mut ChaCha8Rng, percent: u32) -> bool {
    rng.random_ratio(percent, 100)
}

impl Model {
    /// Units on hand of variant `index` in stocking warehouse `warehouse`: derived from the
    /// variant's id, so the same seed gives the same stock. About one in 25 is sold out there.
    pub(crate) fn on_hand(&self, index: usize, warehouse: usize) -> i64 {
        let id = self.variants[index].id.as_u64_pair().1;
        let mut h = id ^ (warehouse as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        if h.is_multiple_of(25) { 0 } else { 10 + (h >> 8) as i64 % 500 }
    }

    /// The catalog of exactly `skus` variants for `catalog`'s markets and languages.
    pub(crate) fn build(catalog: &regions::Catalog, skus: u64, seed: u64) -> Self {
        let tags: Vec<String> = catalog.languages().iter().map(|l| l.as_str().to_string()).collect();
        let langs = lang_plans(&tags);
        // A market that takes another's assortment or prices gets its rows from that market
        // (the core builds its listing when it starts), not from the seeder.
        let markets: Vec<MarketPlan> = catalog
            .markets()
            .filter(|m| m.rules.assortment_from.is_none() && m.pricing.derived.is_none())
            .map(|m| MarketPlan { id: m.id.as_str().to_string(), pricing: Pricing::new(m.currency) })
            .collect();
        let (categories, leaves) = tree(&langs, &mut rng(seed, 0));
        let brands = brands();
        let options = options(&langs, &brands);
        let mut model = Model {
            categories,
            leaves,
            langs,
            markets,
            brands,
            options,
            products: Vec::new(),
            variants: Vec::new(),
            sold: Vec::new(),
            warehouses: stocking_warehouses(catalog),
            counts: Counts::default(),
            order: LoadOrder::default(),
        };
        let plan = model.plan(skus, &mut rng(seed, 1));
        model.generate(&plan, &mut rng(seed, 2));
        model.counts = model.count();
        model.order = model.load_order();
        model
    }

    /// Leaf and variant count of every product, so that the variants add up to `skus`.
    fn plan(&self, skus: u64, rng: &mut ChaCha8Rng) -> Vec<(u16, u8)> {
        let total_weight: u32 = words::DEPARTMENTS.iter().map(|d| d.weight).sum();
        let mut plan = Vec::with_capacity(usize::try_from(skus / 3 + 1).unwrap_or(0));
        // Index in `self.leaves` of the first leaf of each department's mid category.
        let mut first_leaf: Vec<Vec<usize>> = Vec::new();
        let mut next = 0;
        for dept in words::DEPARTMENTS {
            let starts = dept.mids.iter().map(|m| {
                let start = next;
                next += m.leaves.len();
                start
            });
            first_leaf.push(starts.collect());
        }
        let mut remaining = skus;
        while remaining > 0 {
            let mut pick = rng.random_range(0..total_weight);
            let dept_index = words::DEPARTMENTS
                .iter()
                .position(|d| {
                    if pick < d.weight {
                        true
                    } else {
                        pick -= d.weight;
                        false
                    }
                })
                .unwrap_or(0);
            let dept = &words::DEPARTMENTS[dept_index];
            let mid = rng.random_range(0..dept.mids.len());
            let leaf_in_mid = rng.random_range(0..dept.mids[mid].leaves.len());
            let leaf = first_leaf[dept_index][mid] + leaf_in_mid;
            let mut pick = rng.random_range(0..VARIANT_WEIGHTS.iter().sum::<u32>());
            let mut wanted = 1u64;
            for w in VARIANT_WEIGHTS {
                if pick < w {
                    break;
                }
                pick -= w;
                wanted += 1;
            }
            let most = self.leaves[leaf].combinations().min(5) as u64;
            let n = wanted.min(most).min(remaining);
            plan.push((leaf as u16, n as u8));
            remaining -= n;
        }
        plan
    }

    fn generate(&mut self, plan: &[(u16, u8)], rng: &mut ChaCha8Rng) {
        let brands_by_dept: Vec<Vec<u16>> = (0..words::DEPARTMENTS.len())
            .map(|d| (0..self.brands.len()).filter(|b| b % words::DEPARTMENTS.len() == d).map(|b| b as u16).collect())
            .collect();
        self.products.reserve(plan.len());
        self.variants.reserve(plan.iter().map(|&(_, n)| usize::from(n)).sum());
        self.sold.reserve(plan.len() * self.markets.len());
        let mut combos: Vec<u16> = Vec::new();
        for &(leaf_index, variant_count) in plan {
            let info = &self.leaves[usize::from(leaf_index)];
            let leaf = info.leaf;
            let id = uuid(rng);
            let brands = &brands_by_dept[info.dept_index];
            let brand = brands[rng.random_range(0..brands.len())];
            let adj = rng.random_range(0..info.adjectives.len()) as u8;
            let material = (!info.materials.is_empty()).then(|| rng.random_range(0..info.materials.len()) as u8);
            let model = info.dept.model_numbers.then(|| {
                let letters = ['A', 'C', 'E', 'M', 'S', 'X', 'Z'];
                (letters[rng.random_range(0..letters.len())], rng.random_range(1..100u16) * 10)
            });
            let (lo, hi) = info.weight_g;
            let weight_g = rng.random_range(lo..=hi) / 5 * 5;
            let eco = pct(rng, 25);
            // Whole seconds over the two years before the epoch.
            let published_at =
                pct(rng, PUBLISHED_PCT).then(|| EPOCH - rng.random_range(0..730 * DAY) / SECOND * SECOND);
            let created_at = published_at.unwrap_or(EPOCH) - rng.random_range(0..60 * DAY) / SECOND * SECOND;
            let regional = rng.random_ratio(1, REGIONAL_ONE_IN);
            let intro = rng.random_range(0..words::INTROS[0].len()) as u8;
            let blurb = rng.random_range(0..words::BLURBS[0].len()) as u8;
            let ending = match rng.random_range(0..100) {
                0..80 => Ending::Nines,
                80..92 => Ending::NinetyFive,
                _ => Ending::Round,
            };
            // Base price in US cents, skewed towards the low end of the leaf's range.
            let (lo, hi) = leaf.price;
            let r = rng.random_range(0..1_000u64);
            let base = u64::from(lo) * 100 + u64::from(hi - lo) * 100 * r * r / 1_000_000;

            // Distinct (colour, size) combinations, in colour then size order.
            let options = leaf.axis.options.len();
            combos.clear();
            combos.extend(0..(leaf.palette.len().max(1) * options) as u16);
            let n = usize::from(variant_count).min(combos.len());
            for i in 0..n {
                let j = rng.random_range(i..combos.len());
                combos.swap(i, j);
            }
            combos.truncate(n);
            combos.sort_unstable();
            let first_variant = self.variants.len() as u32;
            for &combo in &combos {
                let color = (!leaf.palette.is_empty()).then_some((usize::from(combo) / options) as u8);
                let option = (usize::from(combo) % options) as u8;
                let pct = u64::from(leaf.axis.options[usize::from(option)].pct);
                let product = self.products.len() as u32;
                self.variants.push(Variant { id: uuid(rng), product, color, option, base_usd_cents: base * pct / 100 });
            }

            let first_sold = self.sold.len() as u32;
            for market in 0..self.markets.len() {
                if pct(rng, ASSORTMENT_PCT) {
                    self.sold.push(Sold { market: market as u16, sale_pct: 0 });
                }
            }
            if self.sold.len() as u32 == first_sold && !self.markets.is_empty() {
                let market = rng.random_range(0..self.markets.len());
                self.sold.push(Sold { market: market as u16, sale_pct: 0 });
            }
            for sold in &mut self.sold[first_sold as usize..] {
                if pct(rng, SALE_PCT) {
                    sold.sale_pct = rng.random_range(20..=50);
                }
            }

            self.products.push(Product {
                id,
                leaf: leaf_index,
                brand,
                adj,
                material,
                model,
                weight_g,
                eco,
                published_at,
                created_at,
                regional,
                intro,
                blurb,
                ending,
                variants: first_variant..self.variants.len() as u32,
                sold: first_sold..self.sold.len() as u32,
            });
        }
    }

    fn load_order(&self) -> LoadOrder {
        let mut products: Vec<u32> = (0..self.products.len() as u32).collect();
        products.sort_unstable_by_key(|&p| self.products[p as usize].id);
        let mut variants: Vec<u32> = (0..self.variants.len() as u32).collect();
        variants.sort_unstable_by_key(|&v| self.variants[v as usize].id);
        let mut categories: Vec<u32> = (0..self.categories.len() as u32).collect();
        categories.sort_unstable_by_key(|&c| self.categories[c as usize].id);
        let mut members: Vec<Vec<u32>> = vec![Vec::new(); self.categories.len()];
        for &p in &products {
            let product = &self.products[p as usize];
            if product.published_at.is_some() {
                for &(ancestor, _) in &self.categories[self.leaf(product).category].ancestors {
                    members[ancestor].push(p);
                }
            }
        }
        LoadOrder { products, variants, categories, members }
    }

    fn count(&self) -> Counts {
        let regional_langs = self.langs.iter().filter(|l| l.regional).count() as u64;
        let full_langs = self.langs.len() as u64 - regional_langs;
        let mut c = Counts::default();
        for p in &self.products {
            c.translations += full_langs + if p.regional { regional_langs } else { 0 };
            let sold = u64::from(p.sold.end - p.sold.start);
            c.sold += sold;
            c.prices += sold * u64::from(p.variants.end - p.variants.start);
            if p.published_at.is_some() && !p.variants.is_empty() {
                c.listing += sold * self.categories[self.leaves[usize::from(p.leaf)].category].ancestors.len() as u64;
            }
        }
        c
    }

    pub(crate) fn leaf(&self, p: &Product) -> &LeafInfo {
        &self.leaves[usize::from(p.leaf)]
    }

    pub(crate) fn variants(&self, p: &Product) -> &[Variant] {
        &self.variants[p.variants.start as usize..p.variants.end as usize]
    }

    pub(crate) fn sold(&self, p: &Product) -> &[Sold] {
        &self.sold[p.sold.start as usize..p.sold.end as usize]
    }

    /// What the product's name is made of: its adjective, its material where the department
    /// names materials, its noun, and its model number.
    pub(crate) fn name_parts(&self, p: &Product) -> NameParts<'static> {
        let info = self.leaf(p);
        NameParts {
            adj: &info.adjectives[usize::from(p.adj)],
            material: p.material.filter(|_| info.dept.material_in_name).map(|m| &info.materials[usize::from(m)]),
            noun: &info.leaf.noun,
            model: p.model,
        }
    }

    /// The product's material, if it has one.
    pub(crate) fn material(&self, p: &Product) -> Option<&'static Material> {
        let info = self.leaf(p);
        p.material.map(|m| &info.materials[usize::from(m)])
    }

    /// Amount and compare-at price of a variant in a market where its product is sold.
    pub(crate) fn price(&self, p: &Product, v: &Variant, sold: Sold) -> (i64, Option<i64>) {
        let pricing = &self.markets[usize::from(sold.market)].pricing;
        let amount = pricing.price(v.base_usd_cents, p.ending);
        let was = (sold.sale_pct > 0).then(|| pricing.compare_at(v.base_usd_cents, sold.sale_pct, p.ending, amount));
        (amount, was)
    }

    /// The lowest price of the product's variants in a market.
    pub(crate) fn lowest_price(&self, p: &Product, sold: Sold) -> Option<i64> {
        self.variants(p).iter().map(|v| self.price(p, v, sold).0).min()
    }
}

/// Which languages get rows, with which words; regional variants of a language in the set
/// (`fr-CA` of `fr`) are marked so that only some products get copy in them.
fn lang_plans(tags: &[String]) -> Vec<LangPlan> {
    tags.iter()
        .map(|tag| {
            let base = tag.split('-').next().unwrap_or(tag);
            LangPlan {
                tag: tag.clone(),
                words: Lang::for_tag(tag),
                regional: base != tag && tags.iter().any(|t| t == base),
                fr_ca: tag == "fr-CA",
            }
        })
        .collect()
}

/// The category tree, depth first, with ids, codes, slugs and ancestors; and its leaves.
fn tree(langs: &[LangPlan], rng: &mut ChaCha8Rng) -> (Vec<Category>, Vec<LeafInfo>) {
    let mut categories: Vec<Category> = Vec::new();
    let mut leaves = Vec::new();
    let mut used: Vec<HashSet<String>> = langs.iter().map(|_| HashSet::new()).collect();
    let mut add = |categories: &mut Vec<Category>,
                   code: String,
                   parent: Option<usize>,
                   position: usize,
                   name: &'static Tr| {
        let index = categories.len();
        let mut ancestors = vec![(index, 0)];
        let mut up = parent;
        while let Some(p) = up {
            ancestors.push((p, ancestors.len() as i32));
            up = categories[p].parent;
        }
        let mut slugs = Vec::with_capacity(langs.len());
        for (l, lang) in langs.iter().enumerate() {
            let source = match lang.words {
                Lang::Ja | Lang::Zh => name[Lang::En as usize],
                words => name[words as usize],
            };
            let mut slug = String::new();
            text::slugify(&mut slug, source, 100);
            if slug.is_empty() || used[l].contains(&slug) {
                // "Jackets" under kids is "kids-jackets"; then the code, which is unique.
                let parent_slug = parent.map(|p| categories[p].slugs[l].as_str()).unwrap_or_default();
                let prefixed = format!("{parent_slug}-{slug}");
                slug = if !slug.is_empty() && !parent_slug.is_empty() && !used[l].contains(&prefixed) {
                    prefixed
                } else {
                    code.clone()
                };
            }
            used[l].insert(slug.clone());
            slugs.push(slug);
        }
        categories.push(Category { id: uuid(rng), code, parent, position: position as i32, name, slugs, ancestors });
        index
    };
    for (d, dept) in words::DEPARTMENTS.iter().enumerate() {
        let dept_cat = add(&mut categories, dept.code.to_string(), None, d, &dept.name);
        for (m, mid) in dept.mids.iter().enumerate() {
            let mid_code = format!("{}-{}", dept.code, mid.code);
            let mid_cat = add(&mut categories, mid_code.clone(), Some(dept_cat), m, &mid.name);
            for (l, leaf) in mid.leaves.iter().enumerate() {
                let category = add(&mut categories, format!("{mid_code}-{}", leaf.code), Some(mid_cat), l, &leaf.name);
                leaves.push(leaf_info(category, d, dept, mid, leaf));
            }
        }
    }
    (categories, leaves)
}

fn leaf_info(
    category: usize,
    dept_index: usize,
    dept: &'static Dept,
    mid: &'static Mid,
    leaf: &'static Leaf,
) -> LeafInfo {
    LeafInfo {
        category,
        dept,
        leaf,
        tax: mid.tax.unwrap_or(dept.tax),
        adjectives: mid.adjectives.unwrap_or(dept.adjectives),
        materials: leaf.materials.unwrap_or(mid.materials),
        weight_g: mid.weight_g,
        dept_index,
    }
}

fn brands() -> Vec<Brand> {
    words::brand_names()
        .into_iter()
        .map(|name| {
            let mut key = String::new();
            text::slugify(&mut key, &name, 60);
            Brand { key, name }
        })
        .collect()
}

/// The options of every enum attribute: brands, then materials, colours, sizes and formats in
/// the order they first appear in the tree.
fn options(langs: &[LangPlan], brands: &[Brand]) -> Vec<AttributeOption> {
    let mut out: Vec<AttributeOption> = brands
        .iter()
        .enumerate()
        .map(|(i, b)| AttributeOption {
            attribute: "brand",
            value: b.key.clone(),
            position: i as i32,
            labels: langs.iter().map(|_| b.name.clone()).collect(),
        })
        .collect();
    let mut seen: HashSet<(&'static str, &'static str)> = HashSet::new();
    let mut push = |out: &mut Vec<AttributeOption>,
                    attribute: &'static str,
                    value: &'static str,
                    label: &dyn Fn(Lang) -> &'static str| {
        if seen.insert((attribute, value)) {
            let position = out.iter().filter(|o| o.attribute == attribute).count() as i32;
            out.push(AttributeOption {
                attribute,
                value: value.to_string(),
                position,
                labels: langs.iter().map(|l| label(l.words).to_string()).collect(),
            });
        }
    };
    let all_leaves = || {
        words::DEPARTMENTS.iter().flat_map(|d| d.mids.iter().flat_map(move |m| m.leaves.iter().map(move |l| (m, l))))
    };
    for (mid, leaf) in all_leaves() {
        for m in leaf.materials.unwrap_or(mid.materials) {
            push(&mut out, "material", m.key, &|lang| m.label[lang as usize]);
        }
    }
    for c in words::COLORS {
        push(&mut out, "color", c.key, &|lang| c.tr[lang as usize]);
    }
    for (_, leaf) in all_leaves() {
        for o in leaf.axis.options {
            push(&mut out, leaf.axis.attr, o.key, &|lang| o.label.get(lang));
        }
    }
    out
}
