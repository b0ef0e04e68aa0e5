//! What the core's handlers share: the application ([`core_app::App`], the use cases' handles)
//! and the secrets the HTTP layer checks (the service token, the partners' webhook secrets).

use std::sync::Arc;

use core_app::App;
pub use core_app::{Scope, truncate};
use core_store::catalog::Meta;
pub use partners_signing::Secret;

/// Everything a handler needs. Cheap to clone.
#[derive(Clone, Debug)]
pub struct AppState(Arc<Inner>);

#[derive(Debug)]
pub struct Inner {
    /// The application: store, regions, partners' clients, shared caches.
    pub app: App,
    /// Service token merchandiser tools present as `Authorization: Bearer …`.
    pub admin_token: Secret,
    /// Secret the payment provider signs its webhooks with.
    pub payments_webhook_secret: Secret,
    /// Secret the warehouse system signs its callbacks with.
    pub warehouse_webhook_secret: Secret,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl std::ops::Deref for Inner {
    type Target = App;
    fn deref(&self) -> &App {
        &self.app
    }
}

impl AppState {
    pub fn new(
        store: core_store::Store,
        regions: Arc<regions::Catalog>,
        region: String,
        meta: Meta,
        admin_token: Secret,
    ) -> Self {
        Self::of(App::new(store, regions, region, meta), admin_token)
    }

    /// The state of an application built beforehand.
    pub fn of(app: App, admin_token: Secret) -> Self {
        Self(Arc::new(Inner {
            app,
            admin_token,
            payments_webhook_secret: Secret::new(""),
            warehouse_webhook_secret: Secret::new(""),
        }))
    }

    fn inner_mut(&mut self, what: &str) -> &mut Inner {
        Arc::get_mut(&mut self.0).unwrap_or_else(|| panic!("{what} is called before the state is shared"))
    }

    /// Changes the application (at start, before the state is shared).
    fn map_app(mut self, what: &str, f: impl FnOnce(&mut App)) -> Self {
        f(&mut self.inner_mut(what).app);
        self
    }

    /// Sets the payment provider and its webhook secret (at start, before the state is shared).
    pub fn with_payments(
        self,
        gateway: Arc<dyn core_partners::payments::PaymentGateway>,
        webhook_secret: Secret,
    ) -> Self {
        let mut this = self.map_app("with_payments", |app| app.configure("with_payments").payments = Some(gateway));
        this.inner_mut("with_payments").payments_webhook_secret = webhook_secret;
        this
    }

    /// Sets the warehouse system and the secret of its callbacks (at start, before the state is
    /// shared).
    pub fn with_warehouse(
        self,
        client: Option<Arc<core_partners::warehouse::WarehouseClient>>,
        webhook_secret: Secret,
    ) -> Self {
        let mut this = self.map_app("with_warehouse", |app| app.configure("with_warehouse").warehouse = client);
        this.inner_mut("with_warehouse").warehouse_webhook_secret = webhook_secret;
        this
    }

    /// Sets the parcel carriers, asked for rates with the default timeout and TTL (at start,
    /// before the state is shared).
    pub fn with_carriers(self, carriers: Arc<Vec<Arc<dyn core_partners::carriers::Carrier>>>) -> Self {
        self.with_carrier_rates(carriers, core_app::shipping::DEFAULT_TIMEOUT, core_app::shipping::DEFAULT_TTL)
    }

    /// Sets the parcel carriers, how long a quote waits for their rates and how long rates are
    /// reused (at start, before the state is shared).
    pub fn with_carrier_rates(
        self,
        carriers: Arc<Vec<Arc<dyn core_partners::carriers::Carrier>>>,
        timeout: std::time::Duration,
        ttl: std::time::Duration,
    ) -> Self {
        self.map_app("with_carriers", |app| {
            let inner = app.configure("with_carriers");
            inner.shipping = core_app::shipping::ShippingRates::new(carriers.clone(), timeout, ttl);
            inner.carriers = carriers;
        })
    }

    /// Gives checkouts of hot variants a pool of their own (at start, before the state is
    /// shared).
    pub fn with_hot_store(self, store: core_store::Store) -> Self {
        self.map_app("with_hot_store", |app| app.configure("with_hot_store").hot_store = Some(store))
    }

    /// Sets the authentication settings (at start, before the state is shared); without it,
    /// session tokens are signed with a random key and only valid on this process.
    pub fn with_auth(self, auth: core_app::auth::Auth) -> Self {
        self.map_app("with_auth", |app| app.configure("with_auth").auth = auth)
    }
}
