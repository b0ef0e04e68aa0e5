//! The application: the handles every use case works with (the store, the regions, the
//! partners' clients, the caches shared by requests), and the market/language scope of shopper
//! requests. Cheap to clone.

use std::sync::{Arc, RwLock};

use core_domain::promotions::Promotion;
use core_store::catalog::Meta;
use core_store::{Store, Transaction, TxFuture};
use regions::{LanguageTag, Market};

use crate::error::{AppError, AppResult};

/// Everything a use case needs. Cheap to clone.
#[derive(Clone, Debug)]
pub struct App(Arc<Inner>);

#[derive(Debug)]
pub struct Inner {
    pub store: Store,
    /// Regions and markets, loaded at start.
    pub regions: Arc<regions::Catalog>,
    /// The region this core serves.
    pub region: String,
    /// Catalog metadata (category tree, attributes): read on most requests, reloaded
    /// periodically and after this core's own writes.
    meta: RwLock<Arc<Meta>>,
    /// The tax provider, with its timeout and fail policy.
    pub tax: core_partners::tax::TaxService,
    /// The payment provider, when configured (checkout answers 503 without one).
    pub payments: Option<Arc<dyn core_partners::payments::PaymentGateway>>,
    /// Sessions (token secret, clock, lock policy), password hashing and revoked sessions.
    pub auth: crate::auth::Auth,
    /// Live automatic promotions per market, for the prices product pages show and for quotes
    /// without coupons or a known shopper; reloaded when older than [`PROMOTIONS_TTL`].
    /// Coupons and per-shopper limits are always checked in the database.
    live_promotions: RwLock<std::collections::HashMap<String, CachedPromotions>>,
    /// Checkouts of the same variants take turns (see [`crate::stock_turns`]).
    pub stock_turns: crate::stock_turns::StockTurns,
    /// A few connections kept for checkouts of hot variants that waited their turn (the
    /// shared pool otherwise).
    pub hot_store: Option<Store>,
    /// The warehouse system, when configured (stock feed pulls answer 503 without one).
    pub warehouse: Option<Arc<core_partners::warehouse::WarehouseClient>>,
    /// The parcel carriers configured (their tracking webhooks are refused without one).
    pub carriers: Arc<Vec<Arc<dyn core_partners::carriers::Carrier>>>,
    /// The carriers' rates for cart quotes and checkout, cached (see [`crate::shipping`]).
    pub shipping: crate::shipping::ShippingRates,
}

/// Why the application cannot start on a database.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("the database schema is behind ({count} pending, first {first}); run `core-server migrate`")]
    Behind { count: usize, first: String },
    #[error("the database cannot be read: {0}")]
    Database(#[from] core_store::StoreError),
}

/// When a market's catalog promotions were loaded, and what they were.
type CachedPromotions = (std::time::Instant, Arc<Vec<Promotion>>);

/// How long product pages may show a catalog promotion after it changed.
pub const PROMOTIONS_TTL: std::time::Duration = std::time::Duration::from_secs(2);

impl std::ops::Deref for App {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl App {
    pub fn new(store: Store, regions: Arc<regions::Catalog>, region: String, meta: Meta) -> Self {
        Self(Arc::new(Inner {
            store,
            regions,
            region,
            meta: RwLock::new(Arc::new(meta)),
            tax: core_partners::tax::TaxService::default(),
            payments: None,
            auth: crate::auth::Auth::ephemeral(),
            live_promotions: RwLock::new(std::collections::HashMap::new()),
            stock_turns: crate::stock_turns::StockTurns::default(),
            hot_store: None,
            warehouse: None,
            carriers: Arc::default(),
            shipping: crate::shipping::ShippingRates::default(),
        }))
    }

    /// The application to configure, at start: panics once it is shared.
    pub fn configure(&mut self, what: &str) -> &mut Inner {
        Arc::get_mut(&mut self.0).unwrap_or_else(|| panic!("{what} is called before the application is shared"))
    }

    /// The application on a database whose schema is up to date, with the catalog metadata
    /// loaded from it.
    pub async fn open(store: Store, regions: Arc<regions::Catalog>, region: String) -> Result<Self, OpenError> {
        let client = store.client().await?;
        let pending = core_store::migrate::pending(&client).await?;
        if let Some(first) = pending.first() {
            return Err(OpenError::Behind { count: pending.len(), first: first.clone() });
        }
        let meta = Meta::load(&client).await?;
        drop(client);
        let app = Self::new(store, regions, region, meta);
        Ok(app)
    }

    /// Sets the payment provider (at start, before the application is shared).
    pub fn with_payments(mut self, gateway: Arc<dyn core_partners::payments::PaymentGateway>) -> Self {
        self.configure("with_payments").payments = Some(gateway);
        self
    }

    /// Sets the warehouse system (at start, before the application is shared).
    pub fn with_warehouse(mut self, client: Option<Arc<core_partners::warehouse::WarehouseClient>>) -> Self {
        self.configure("with_warehouse").warehouse = client;
        self
    }

    /// Sets the parcel carriers, asked for rates with the default timeout and TTL (at start,
    /// before the application is shared).
    pub fn with_carriers(self, carriers: Arc<Vec<Arc<dyn core_partners::carriers::Carrier>>>) -> Self {
        self.with_carrier_rates(carriers, crate::shipping::DEFAULT_TIMEOUT, crate::shipping::DEFAULT_TTL)
    }

    /// Sets the parcel carriers, how long a quote waits for their rates and how long rates are
    /// reused (at start, before the application is shared).
    pub fn with_carrier_rates(
        mut self,
        carriers: Arc<Vec<Arc<dyn core_partners::carriers::Carrier>>>,
        timeout: std::time::Duration,
        ttl: std::time::Duration,
    ) -> Self {
        let inner = self.configure("with_carriers");
        inner.shipping = crate::shipping::ShippingRates::new(carriers.clone(), timeout, ttl);
        inner.carriers = carriers;
        self
    }

    /// Gives checkouts of hot variants a pool of their own (at start, before the application
    /// is shared).
    pub fn with_hot_store(mut self, store: Store) -> Self {
        self.configure("with_hot_store").hot_store = Some(store);
        self
    }

    /// Sets the authentication settings (at start, before the application is shared);
    /// without it, session tokens are signed with a random key and only valid on this process.
    pub fn with_auth(mut self, auth: crate::auth::Auth) -> Self {
        self.configure("with_auth").auth = auth;
        self
    }

    /// The current metadata snapshot.
    pub fn meta(&self) -> Arc<Meta> {
        self.0.meta.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The automatic promotions live in `market` (at most [`PROMOTIONS_TTL`] old).
    pub async fn live_promotions(&self, market: &str, now: i64) -> AppResult<Arc<Vec<Promotion>>> {
        if let Some((at, promotions)) = self.0.live_promotions.read().unwrap_or_else(|e| e.into_inner()).get(market)
            && at.elapsed() < PROMOTIONS_TTL
        {
            return Ok(promotions.clone());
        }
        let client = self.store.client().await?;
        let live = Arc::new(core_store::promotions::live_promotions(&client, market, now).await?);
        self.0
            .live_promotions
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(market.to_string(), (std::time::Instant::now(), live.clone()));
        Ok(live)
    }

    /// Where the catalog metadata's changes stand (see `core_store::changes::metadata_mark`).
    pub async fn metadata_mark(&self) -> AppResult<(i64, Option<time::OffsetDateTime>)> {
        let client = self.store.client().await?;
        Ok(core_store::changes::metadata_mark(&client).await?)
    }

    /// Runs a write in the store's retrying transaction, giving `f` the regions and its own copy
    /// of `input` on each attempt (a retried attempt starts from the input again).
    pub(crate) async fn write<I, T, E, F>(&self, input: &I, f: F) -> AppResult<T>
    where
        I: Clone,
        F: for<'t> Fn(&'t Transaction<'t>, Arc<regions::Catalog>, I) -> TxFuture<'t, T, E>,
        E: From<core_store::StoreError> + core_store::AsSerializationFailure,
        AppError: From<E>,
    {
        Ok(self.store.transaction(|tx| f(tx, self.regions.clone(), input.clone())).await?)
    }

    /// Reloads the metadata snapshot from the database.
    pub async fn reload_meta(&self) -> AppResult<()> {
        let client = self.store.client().await?;
        let meta = Meta::load(&client).await?;
        *self.0.meta.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(meta);
        Ok(())
    }
}

/// The market and language a shopper request is for.
#[derive(Debug)]
pub struct Scope<'a> {
    pub market: &'a Market,
    pub language: LanguageTag,
    /// Where content comes from for this language, in order (`fr-CA`, `fr`, `en`).
    pub chain: &'a [LanguageTag],
    /// Every language any of the market's chains uses: what to fetch from the database.
    pub content_languages: Vec<String>,
}

impl App {
    /// Checks the `{market}/{language}` of a shopper URL.
    pub fn scope(&self, market: &str, language: &str) -> AppResult<Scope<'_>> {
        let market = self
            .regions
            .market(market)
            .ok_or_else(|| AppError::not_found("market_not_found", format!("no market `{}`", truncate(market))))?;
        let language = LanguageTag::parse(language).map_err(|_| {
            AppError::bad_request("invalid_language", format!("`{}` is not a language tag", truncate(language)))
        })?;
        let chain = market.fallback_chain(&language).ok_or_else(|| {
            AppError::not_found(
                "language_not_available",
                format!("market `{}` does not offer `{language}`; it offers {}", market.id, join(&market.languages)),
            )
        })?;
        let mut content_languages: Vec<String> = Vec::new();
        for l in &market.languages {
            for c in market.fallback_chain(l).unwrap_or_default() {
                if !content_languages.iter().any(|x| x == c.as_str()) {
                    content_languages.push(c.to_string());
                }
            }
        }
        Ok(Scope { market, language, chain, content_languages })
    }
}

fn join(tags: &[LanguageTag]) -> String {
    tags.iter().map(LanguageTag::as_str).collect::<Vec<_>>().join(", ")
}

/// Echo at most 64 characters of client input in messages.
pub fn truncate(s: &str) -> String {
    s.chars().take(64).collect()
}
