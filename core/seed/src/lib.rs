//! Deterministic synthetic catalog, bulk-loaded with COPY (`cargo xtask seed --skus N`): a
//! tool for development and benchmark databases, kept out of the production binaries. The SQL
//! it runs (COPY, truncation, index drops and rebuilds, ANALYZE) is the store's
//! (`core_store::bulk`); the model, its word lists and the row encoding are here.
//!
//! [`seed_catalog`] replaces the whole catalog. It builds an in-memory model of exactly `skus`
//! variants from a ChaCha8 seed (the same size and seed give the same rows, ids included),
//! truncates the catalog tables, and streams the model in PostgreSQL's binary COPY format over
//! two connections: categories and attributes first, then products, variants, prices,
//! translations, the assortment and the `catalog_listing` read model (computed here, not by
//! SQL), each table in a few COPY statements taken by whichever connection is free once the
//! tables it references are committed. Rows go in primary-key order, so that index and
//! foreign-key maintenance walks the B-trees sequentially.
//!
//! On PostgreSQL the non-unique secondary indexes of `catalog_listing`, `products` and
//! `variants` are dropped for the load and rebuilt after it with the exact statements of the
//! migrations (a sorted build beats millions of random insertions); primary keys, unique and
//! foreign-key constraints stay in place. Every loaded table is `ANALYZE`d at the end.
//!
//! The load is not one transaction: readers see the catalog empty, then filling up. It is a
//! tool for development and benchmark databases, not for a live catalog.

mod encode;
mod model;
mod price;
mod text;
#[rustfmt::skip]
mod words;

use std::ops::Range;
use std::pin::pin;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use bytes::Bytes;
use core_store::StoreError;
use core_store::bulk::{BulkLoader, CHUNK, CatalogTable, CopyBuf, SecondaryIndex};
use core_store::migrate::Flavor;
use futures::future::try_join_all;
use tokio::sync::Notify;

use encode::{Encoder, Table};
use model::Model;

/// What to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeedOptions {
    /// Number of SKUs (variants); the catalog has exactly this many, in about a third as many
    /// products.
    pub skus: u64,
    /// Seed of the generator: the same seed and size give identical rows.
    pub seed: u64,
}

impl Default for SeedOptions {
    fn default() -> Self {
        Self { skus: 3_000, seed: 42 }
    }
}

/// A step of the seed, for progress reports. Product tables load concurrently, so reports of
/// several phases interleave.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Emptying the catalog tables.
    Truncate,
    /// The category tree, its closure and translations.
    Categories,
    /// Attributes, their options and translations.
    Attributes,
    Products,
    /// Product names, descriptions and slugs per language.
    Translations,
    /// The assortment: which product is sold in which market.
    Markets,
    Variants,
    Prices,
    /// The `catalog_listing` read model.
    Listing,
    /// Stock of every variant in the stocking warehouse of each region.
    Stock,
    /// Rebuilding the secondary indexes dropped for the load.
    Indexes,
    /// `ANALYZE` of the loaded tables.
    Analyze,
}

impl Phase {
    const ALL: [Phase; 12] = [
        Phase::Truncate,
        Phase::Categories,
        Phase::Attributes,
        Phase::Products,
        Phase::Translations,
        Phase::Markets,
        Phase::Variants,
        Phase::Prices,
        Phase::Listing,
        Phase::Stock,
        Phase::Indexes,
        Phase::Analyze,
    ];

    fn of(table: Table) -> Phase {
        match table {
            Table::Products => Phase::Products,
            Table::Translations => Phase::Translations,
            Table::Markets => Phase::Markets,
            Table::Variants => Phase::Variants,
            Table::Prices => Phase::Prices,
            Table::Listing => Phase::Listing,
            Table::Stock => Phase::Stock,
        }
    }
}

/// Progress of one phase: `done` of `total` rows (or steps) written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    pub phase: Phase,
    pub done: u64,
    pub total: u64,
}

/// What [`seed_catalog`] wrote.
#[derive(Clone, Debug, PartialEq)]
pub struct SeedReport {
    pub products: u64,
    /// Variants; equal to [`SeedOptions::skus`].
    pub skus: u64,
    pub prices: u64,
    pub listing_rows: u64,
    /// Wall-clock time of the whole seed, ANALYZE included.
    pub seconds: f64,
}

/// Connections loading in parallel. The server does the heavy work (index and foreign-key
/// maintenance), one backend per connection.
const CONNECTIONS: usize = 2;
/// Each product table is loaded in this many COPY statements, so that the connections share
/// every table and one can take a ready table while the other finishes a dependency.
const CHUNKS_PER_TABLE: usize = 4;

/// Tables whose secondary indexes are dropped before the load and rebuilt after.
const REBUILT_INDEXES: &[CatalogTable] =
    &[CatalogTable::Listing, CatalogTable::Products, CatalogTable::Variants, CatalogTable::Prices];

/// Tables to `ANALYZE`, biggest first; spread over the connections.
const ANALYZE: &[CatalogTable] = &[
    CatalogTable::Listing,
    CatalogTable::Prices,
    CatalogTable::Stock,
    CatalogTable::ProductTranslations,
    CatalogTable::ProductMarkets,
    CatalogTable::Variants,
    CatalogTable::Products,
    CatalogTable::CategoryTranslations,
    CatalogTable::CategoryAncestors,
    CatalogTable::Categories,
    CatalogTable::AttributeOptionTranslations,
    CatalogTable::AttributeOptions,
    CatalogTable::AttributeTranslations,
    CatalogTable::Attributes,
];

/// Replaces the catalog of `database_url` with a synthetic one of `opts.skus` SKUs for the
/// markets and languages of `catalog`, reporting progress as it goes.
pub async fn seed_catalog(
    database_url: &str,
    catalog: &regions::Catalog,
    opts: &SeedOptions,
    progress: &(dyn Fn(Progress) + Send + Sync),
) -> Result<SeedReport, StoreError> {
    let started = Instant::now();
    let model = Model::build(catalog, opts.skus, opts.seed);
    let tracker = Tracker::new(&model, progress);

    let clients = try_join_all((0..CONNECTIONS).map(|_| connect(database_url))).await?;
    let flavor = clients[0].flavor().await?;
    if flavor == Flavor::Postgres {
        try_join_all(clients.iter().map(|c| c.tune_for_load())).await?;
    }

    // Secondary indexes of the big tables are rebuilt after the load (PostgreSQL only: on
    // CockroachDB index changes are schema-change jobs).
    let indexes =
        if flavor == Flavor::Postgres { core_store::bulk::secondary_indexes(REBUILT_INDEXES) } else { Vec::new() };
    tracker.total_of(Phase::Indexes, indexes.len() as u64);

    tracker.add(Phase::Truncate, 0);
    clients[0].truncate_catalog().await?;
    tracker.add(Phase::Truncate, 1);
    clients[0].drop_indexes(&indexes).await?;

    let loaded = async {
        load_reference(&clients, &model, &tracker).await?;
        let board = Board::new(&model, &indexes, flavor == Flavor::Postgres);
        try_join_all(clients.iter().map(|client| worker(client, &board, &model, &tracker))).await?;
        clients[0].record_reductions(REDUCED_AFTER_DAYS).await?;
        Ok::<_, StoreError>(())
    }
    .await;
    if let Err(e) = loaded {
        // Leave the schema whole even if the catalog is not: rebuild on a fresh connection.
        if let Ok(client) = connect(database_url).await {
            for index in &indexes {
                let _ = client.create_index(index).await;
            }
        }
        return Err(e);
    }

    Ok(SeedReport {
        products: model.products.len() as u64,
        skus: model.variants.len() as u64,
        prices: model.counts.prices,
        listing_rows: model.counts.listing,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Days a reduced price was at its compare-at price before it was lowered (the price history of
/// the seeded reductions).
const REDUCED_AFTER_DAYS: i64 = 60;

async fn connect(url: &str) -> Result<BulkLoader, StoreError> {
    BulkLoader::connect(url, "shop-seed").await
}

/// Categories on one connection, attributes on the other.
async fn load_reference(clients: &[BulkLoader], model: &Model, tracker: &Tracker<'_>) -> Result<(), StoreError> {
    let tables = encode::reference_tables(model);
    let (categories, attributes) = tables.split_at(3);
    let second = clients.get(1).unwrap_or(&clients[0]);
    futures::try_join!(
        load_tables(&clients[0], Phase::Categories, categories, tracker),
        load_tables(second, Phase::Attributes, attributes, tracker)
    )?;
    Ok(())
}

async fn load_tables(
    client: &BulkLoader,
    phase: Phase,
    tables: &[(CatalogTable, Bytes)],
    tracker: &Tracker<'_>,
) -> Result<(), StoreError> {
    tracker.add(phase, 0);
    for (table, data) in tables {
        let rows = client.copy(*table, data.clone()).await?;
        tracker.add(phase, rows);
    }
    Ok(())
}

/// One statement of the load.
#[derive(Clone, Debug)]
enum Job {
    /// A COPY of the rows of `table` for a range of its load units.
    Copy { table: Table, units: Range<usize> },
    /// Rebuilding a dropped index.
    Index(SecondaryIndex),
    /// `ANALYZE` of a table; with `vacuum`, `VACUUM (ANALYZE)` (PostgreSQL: also sets the
    /// visibility map, so that listings are index-only scans from the start).
    Analyze { table: CatalogTable, vacuum: bool },
}

impl Job {
    /// The product table whose every COPY must be committed first: foreign keys are checked
    /// at the end of each COPY, and indexes and statistics want the whole table.
    fn after(&self) -> Option<Table> {
        match self {
            Job::Copy { table, .. } => match table {
                Table::Products | Table::Listing => None,
                Table::Translations | Table::Markets | Table::Variants => Some(Table::Products),
                Table::Prices | Table::Stock => Some(Table::Variants),
            },
            Job::Index(index) => index.table().and_then(Table::of),
            Job::Analyze { table, .. } => Table::of(*table),
        }
    }
}

/// The jobs not yet taken, and how many COPY jobs of each table are unfinished, shared by the
/// workers.
struct Board {
    state: Mutex<BoardState>,
    /// Wakes workers waiting for a table to finish.
    changed: Notify,
}

struct BoardState {
    /// In priority order; a worker takes the first that is ready.
    pending: Vec<Job>,
    unfinished: [usize; Table::ALL.len()],
}

enum Next {
    Run(Job),
    Wait,
    Done,
}

impl Board {
    /// Each table in a few COPY jobs, followed by the rebuild of its dropped indexes; the big
    /// listing early so that its index builds overlap the other tables; then `ANALYZE`.
    fn new(model: &Model, indexes: &[SecondaryIndex], vacuum: bool) -> Self {
        let order = [
            Table::Products,
            Table::Listing,
            Table::Variants,
            Table::Prices,
            Table::Translations,
            Table::Markets,
            Table::Stock,
        ];
        let mut pending = Vec::new();
        let mut unfinished = [0; Table::ALL.len()];
        for table in order {
            let units = encode::units(model, table);
            let chunks = CHUNKS_PER_TABLE.min(units.max(1));
            for c in 0..chunks {
                pending.push(Job::Copy { table, units: units * c / chunks..units * (c + 1) / chunks });
                unfinished[table as usize] += 1;
            }
            let own = indexes.iter().filter(|i| i.table().and_then(Table::of) == Some(table));
            pending.extend(own.cloned().map(Job::Index));
        }
        let orphans = indexes.iter().filter(|i| i.table().and_then(Table::of).is_none());
        pending.extend(orphans.cloned().map(Job::Index));
        pending.extend(ANALYZE.iter().map(|&table| Job::Analyze { table, vacuum }));
        Self { state: Mutex::new(BoardState { pending, unfinished }), changed: Notify::new() }
    }

    fn next(&self) -> Next {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.pending.is_empty() {
            return Next::Done;
        }
        let unfinished = state.unfinished;
        let ready = |job: &Job| match job {
            // VACUUM marks pages all-visible only for rows older than every running
            // transaction: it waits for every COPY, so that listings are index-only scans.
            Job::Analyze { vacuum: true, .. } => unfinished.iter().all(|n| *n == 0),
            _ => job.after().is_none_or(|t| unfinished[t as usize] == 0),
        };
        match state.pending.iter().position(ready) {
            Some(i) => Next::Run(state.pending.remove(i)),
            None => Next::Wait,
        }
    }

    fn finished(&self, job: &Job) {
        if let Job::Copy { table, .. } = job {
            self.state.lock().unwrap_or_else(|e| e.into_inner()).unfinished[*table as usize] -= 1;
        }
        self.changed.notify_waiters();
    }
}

/// Takes ready jobs until none is left.
async fn worker(client: &BulkLoader, board: &Board, model: &Model, tracker: &Tracker<'_>) -> Result<(), StoreError> {
    loop {
        let mut changed = pin!(board.changed.notified());
        changed.as_mut().enable();
        match board.next() {
            Next::Run(job) => {
                run(client, model, &job, tracker).await?;
                board.finished(&job);
            }
            Next::Wait => changed.await,
            Next::Done => return Ok(()),
        }
    }
}

async fn run(client: &BulkLoader, model: &Model, job: &Job, tracker: &Tracker<'_>) -> Result<(), StoreError> {
    let (table, units) = match job {
        Job::Copy { table, units } => (*table, units.clone()),
        Job::Index(index) => {
            tracker.add(Phase::Indexes, 0);
            client.create_index(index).await?;
            tracker.add(Phase::Indexes, 1);
            return Ok(());
        }
        Job::Analyze { table, vacuum } => {
            tracker.add(Phase::Analyze, 0);
            client.analyze(*table, *vacuum).await?;
            tracker.add(Phase::Analyze, 1);
            return Ok(());
        }
    };
    let phase = Phase::of(table);
    let mut sink = client.copy_in(table.catalog()).await?;
    let mut buf = CopyBuf::new();
    let mut encoder = Encoder::new(model);
    let mut rows = 0;
    for unit in units {
        rows += encoder.encode(table, &mut buf, unit);
        if buf.len() >= CHUNK {
            sink.send(buf.take()).await?;
            tracker.add(phase, std::mem::take(&mut rows));
        }
    }
    buf.finish();
    sink.send(buf.take()).await?;
    sink.finish().await?;
    tracker.add(phase, rows);
    Ok(())
}

/// Rows written per phase, reported to the caller's callback.
struct Tracker<'a> {
    progress: &'a (dyn Fn(Progress) + Send + Sync),
    done: [AtomicU64; Phase::ALL.len()],
    total: [AtomicU64; Phase::ALL.len()],
}

impl<'a> Tracker<'a> {
    fn new(model: &Model, progress: &'a (dyn Fn(Progress) + Send + Sync)) -> Self {
        let langs = model.langs.len() as u64;
        let categories = model.categories.len() as u64;
        let ancestors: u64 = model.categories.iter().map(|c| c.ancestors.len() as u64).sum();
        let attributes = words::ATTRIBUTES.len() as u64;
        let options = model.options.len() as u64;
        let total = Phase::ALL.map(|phase| match phase {
            Phase::Truncate => 1,
            Phase::Categories => categories + ancestors + categories * langs,
            Phase::Attributes => attributes * (1 + langs) + options * (1 + langs),
            Phase::Products => model.products.len() as u64,
            Phase::Translations => model.counts.translations,
            Phase::Markets => model.counts.sold,
            Phase::Variants => model.variants.len() as u64,
            Phase::Prices => model.counts.prices,
            Phase::Listing => model.counts.listing,
            Phase::Stock => (model.variants.len() * model.warehouses.len()) as u64,
            Phase::Indexes => 0,
            Phase::Analyze => ANALYZE.len() as u64,
        });
        Self { progress, done: Default::default(), total: total.map(AtomicU64::new) }
    }

    fn index(phase: Phase) -> usize {
        Phase::ALL.iter().position(|p| *p == phase).unwrap_or(0)
    }

    fn total_of(&self, phase: Phase, total: u64) {
        self.total[Self::index(phase)].store(total, Ordering::Relaxed);
    }

    /// Counts `rows` more rows of `phase` and reports (`rows` 0 announces the phase).
    fn add(&self, phase: Phase, rows: u64) {
        let i = Self::index(phase);
        let done = self.done[i].fetch_add(rows, Ordering::Relaxed) + rows;
        (self.progress)(Progress { phase, done, total: self.total[i].load(Ordering::Relaxed) });
    }
}

#[cfg(test)]
mod tests;
