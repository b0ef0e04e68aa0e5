//! Shipping options as quotes and carts show them (the rates themselves are
//! `core_app::shipping`'s).

use core_store::commerce::order_quote::ShippingOptionsRecord;
use serde::Serialize;
use utoipa::ToSchema;

use super::money::MoneyDto;

/// A shipping option as quotes show it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ShippingOptionDto {
    /// `carrier:service`: what `PUT /v1/carts/{id}/shipping` takes.
    id: String,
    carrier: String,
    service: String,
    /// The charge, as the market shows prices (tax included in VAT markets, before sales tax
    /// otherwise), like the quote's shipping line.
    amount: MoneyDto,
    transit_days_min: u16,
    transit_days_max: u16,
    /// Delivery window if the order shipped today (`YYYY-MM-DD`).
    eta_earliest: String,
    eta_latest: String,
    /// `carrier` (its rate API) or `fallback` (the market's table).
    source: String,
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
    pub(crate) fn new(r: ShippingOptionsRecord, currency: &str) -> Self {
        Self {
            options: r
                .options
                .into_iter()
                .map(|o| ShippingOptionDto {
                    id: o.id,
                    carrier: o.carrier,
                    service: o.service,
                    amount: MoneyDto::new(o.amount_minor, currency),
                    transit_days_min: o.transit_days_min,
                    transit_days_max: o.transit_days_max,
                    eta_earliest: o.eta_earliest,
                    eta_latest: o.eta_latest,
                    source: o.source,
                    cheapest: o.cheapest,
                    fastest: o.fastest,
                })
                .collect(),
            cheapest: r.cheapest,
            fastest: r.fastest,
            chosen: r.chosen,
            charged: r.charged,
        }
    }
}
