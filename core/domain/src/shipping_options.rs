//! Shipping options of a cart: for each carrier service of the market, the price and transit
//! days of the cart's weight band (the carrier's rate when known, else the market file's
//! fallback table), which option is the cheapest and which the fastest, and which one is
//! charged (the shopper's choice, else the cheapest).

use regions::ShippingService;

/// A carrier's quote for one service and weight band, in the market's currency.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quoted {
    pub amount_minor: i64,
    pub transit_days: u16,
}

/// Where an option's price comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RateSource {
    /// The carrier's rate API.
    Carrier,
    /// The market file's table (the carrier did not answer in time, or is not configured).
    Fallback,
}

impl RateSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Carrier => "carrier",
            Self::Fallback => "fallback",
        }
    }
}

/// One way to ship the cart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShippingOption {
    /// `carrier:service`.
    pub id: String,
    pub carrier: String,
    pub service: String,
    /// The warehouse the carrier collects from.
    pub origin: String,
    /// The charge, in minor units (as the market shows prices).
    pub amount_minor: i64,
    pub transit_min_days: u16,
    pub transit_max_days: u16,
    pub source: RateSource,
}

/// A cart's options, with the cheapest and the fastest.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ShippingOptions {
    /// In the market file's order.
    pub options: Vec<ShippingOption>,
    pub cheapest: Option<String>,
    pub fastest: Option<String>,
}

impl ShippingOptions {
    /// The options for a cart weighing `weight_grams` shipped by `services`. `quoted` answers
    /// a carrier's rate for (service, origin warehouse, band upper bound in grams), when known.
    /// A service whose last band is lighter than the cart is not offered.
    pub fn for_weight(
        services: &[ShippingService],
        weight_grams: i64,
        quoted: impl Fn(&ShippingService, &str, i64) -> Option<Quoted>,
    ) -> Self {
        let options: Vec<ShippingOption> = services
            .iter()
            .filter_map(|s| {
                let band = s.band(weight_grams)?;
                let origin = s.from.first()?.clone();
                let (amount_minor, min, max, source) = match quoted(s, &origin, band.up_to_grams) {
                    Some(q) => (q.amount_minor, q.transit_days, q.transit_days, RateSource::Carrier),
                    None => (band.amount_minor, s.transit_days.min, s.transit_days.max, RateSource::Fallback),
                };
                Some(ShippingOption {
                    id: s.option_id(),
                    carrier: s.carrier.clone(),
                    service: s.service.clone(),
                    origin,
                    amount_minor,
                    transit_min_days: min,
                    transit_max_days: max,
                    source,
                })
            })
            .collect();
        let cheapest = options
            .iter()
            .min_by(|a, b| {
                (a.amount_minor, a.transit_max_days, &a.id).cmp(&(b.amount_minor, b.transit_max_days, &b.id))
            })
            .map(|o| o.id.clone());
        let fastest = options
            .iter()
            .min_by(|a, b| {
                (a.transit_max_days, a.transit_min_days, a.amount_minor, &a.id).cmp(&(
                    b.transit_max_days,
                    b.transit_min_days,
                    b.amount_minor,
                    &b.id,
                ))
            })
            .map(|o| o.id.clone());
        Self { options, cheapest, fastest }
    }

    pub fn get(&self, id: &str) -> Option<&ShippingOption> {
        self.options.iter().find(|o| o.id == id)
    }

    /// The option charged: the chosen one while it is offered, else the cheapest.
    pub fn charged(&self, chosen: Option<&str>) -> Option<&ShippingOption> {
        chosen.and_then(|c| self.get(c)).or_else(|| self.cheapest.as_deref().and_then(|c| self.get(c)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use regions::shipping::{Band, TransitDays};

    fn service(carrier: &str, name: &str, days: (u16, u16), bands: &[(i64, i64)]) -> ShippingService {
        ShippingService {
            carrier: carrier.into(),
            service: name.into(),
            from: vec!["w1".into(), "w2".into()],
            transit_days: TransitDays { min: days.0, max: days.1 },
            fallback: bands.iter().map(|&(up_to_grams, amount_minor)| Band { up_to_grams, amount_minor }).collect(),
        }
    }

    fn services() -> Vec<ShippingService> {
        vec![
            service("a", "slow", (4, 6), &[(1000, 500), (5000, 900)]),
            service("a", "fast", (1, 2), &[(1000, 1200), (5000, 2000)]),
            service("b", "eco", (3, 5), &[(20000, 700)]),
        ]
    }

    /// (weight, carrier rates by (service, band)) → (ids, cheapest, fastest, charged for a choice).
    fn check(
        weight: i64,
        rates: &[(&str, i64, i64, u16)],
        chosen: Option<&str>,
        expected: (&[&str], Option<&str>, Option<&str>, Option<&str>),
    ) {
        let options = ShippingOptions::for_weight(&services(), weight, |s, origin, band| {
            assert_eq!(origin, "w1");
            rates
                .iter()
                .find(|r| r.0 == s.service && r.1 == band)
                .map(|r| Quoted { amount_minor: r.2, transit_days: r.3 })
        });
        let ids: Vec<&str> = options.options.iter().map(|o| o.id.as_str()).collect();
        assert_eq!(ids, expected.0, "weight {weight}");
        assert_eq!(options.cheapest.as_deref(), expected.1, "cheapest at {weight}");
        assert_eq!(options.fastest.as_deref(), expected.2, "fastest at {weight}");
        assert_eq!(options.charged(chosen).map(|o| o.id.as_str()), expected.3, "charged at {weight}");
    }

    #[test]
    fn options_by_weight_band_with_cheapest_fastest_and_the_charged_one() {
        let all: &[&str] = &["a:slow", "a:fast", "b:eco"];
        // Fallback tables only: the slow service is the cheapest, the fast one the fastest.
        check(800, &[], None, (all, Some("a:slow"), Some("a:fast"), Some("a:slow")));
        // The carrier's own rates win over the table (per band).
        check(800, &[("eco", 20000, 300, 5)], None, (all, Some("b:eco"), Some("a:fast"), Some("b:eco")));
        check(1200, &[("slow", 1000, 100, 1)], None, (all, Some("b:eco"), Some("a:fast"), Some("b:eco")));
        // A choice is charged while it is offered; otherwise the cheapest.
        check(800, &[], Some("a:fast"), (all, Some("a:slow"), Some("a:fast"), Some("a:fast")));
        check(800, &[], Some("z:none"), (all, Some("a:slow"), Some("a:fast"), Some("a:slow")));
        // Too heavy for carrier a: only b; too heavy for all: nothing to charge.
        check(6000, &[], Some("a:fast"), (&["b:eco"], Some("b:eco"), Some("b:eco"), Some("b:eco")));
        check(25000, &[], None, (&[], None, None, None));
        // Ties: the cheaper among the fastest, then by id.
        check(
            800,
            &[("slow", 1000, 400, 1), ("fast", 1000, 900, 1)],
            None,
            (all, Some("a:slow"), Some("a:slow"), Some("a:slow")),
        );
    }

    #[test]
    fn fallback_options_carry_the_table_transit_days() {
        let options = ShippingOptions::for_weight(&services(), 10, |_, _, _| None);
        let slow = options.get("a:slow").unwrap();
        assert_eq!((slow.amount_minor, slow.transit_min_days, slow.transit_max_days), (500, 4, 6));
        assert_eq!(slow.source, RateSource::Fallback);
        let quoted =
            ShippingOptions::for_weight(&services(), 10, |_, _, _| Some(Quoted { amount_minor: 1, transit_days: 2 }));
        let slow = quoted.get("a:slow").unwrap();
        assert_eq!(
            (slow.amount_minor, slow.transit_min_days, slow.transit_max_days, slow.source),
            (1, 2, 2, RateSource::Carrier)
        );
    }
}
