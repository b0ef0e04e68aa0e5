//! Shipping options as quotes and carts show them (the rates themselves are
//! `core_app::shipping`'s).

use core_domain::shipping_options::{ShippingOption, ShippingOptions};
use serde::Serialize;
use utoipa::ToSchema;

/// A shipping option as quotes show it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ShippingOptionDto {
    /// `carrier:service`: what `PUT /v1/carts/{id}/shipping` takes.
    id: String,
    carrier: String,
    service: String,
    /// The charge in minor units, as the market shows prices (tax included in VAT markets,
    /// before sales tax otherwise), like the quote's shipping line.
    amount_minor: i64,
    transit_days_min: u16,
    transit_days_max: u16,
    /// Delivery window if the order shipped today (`YYYY-MM-DD`).
    eta_earliest: String,
    eta_latest: String,
    /// `carrier` (its rate API) or `fallback` (the market's table).
    source: &'static str,
    cheapest: bool,
    fastest: bool,
}

/// A cart's shipping options, with the one charged.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ShippingOptionsDto {
    options: Vec<ShippingOptionDto>,
    cheapest: Option<String>,
    fastest: Option<String>,
    /// The shopper's choice, when made.
    chosen: Option<String>,
    /// The option in the quote's shipping line: the choice while it is offered, else the
    /// cheapest.
    charged: Option<String>,
}

impl ShippingOptionsDto {
    pub fn new(options: &ShippingOptions, chosen: Option<&str>) -> Self {
        let today = time::OffsetDateTime::now_utc().date();
        let day = |n: u16| (today + time::Duration::days(i64::from(n))).to_string();
        let is = |id: &Option<String>, o: &ShippingOption| id.as_deref() == Some(o.id.as_str());
        Self {
            options: options
                .options
                .iter()
                .map(|o| ShippingOptionDto {
                    id: o.id.clone(),
                    carrier: o.carrier.clone(),
                    service: o.service.clone(),
                    amount_minor: o.amount_minor,
                    transit_days_min: o.transit_min_days,
                    transit_days_max: o.transit_max_days,
                    eta_earliest: day(o.transit_min_days),
                    eta_latest: day(o.transit_max_days),
                    source: o.source.as_str(),
                    cheapest: is(&options.cheapest, o),
                    fastest: is(&options.fastest, o),
                })
                .collect(),
            cheapest: options.cheapest.clone(),
            fastest: options.fastest.clone(),
            chosen: chosen.map(str::to_string),
            charged: options.charged(chosen).map(|o| o.id.clone()),
        }
    }
}
