//! Route templates and the user journey each belongs to: the bounded values of the `route` and
//! `journey` labels. Core knows its template from the router; the edge only sees raw paths and
//! finds their template here ([`template_of`]), so that a product id never becomes a label.
//!
//! The journeys are those the SLOs are set for (`browse`, `search`, `cart`, `checkout`,
//! `tracking`) and the rest (`account`, `admin`, `partner`, `internal`, `other`).

/// Shopper-facing templates (and the few others a shopper's edge forwards), with their journey.
/// Segments in braces match any one segment.
pub const TEMPLATES: &[(&str, &str)] = &[
    ("/v1/markets", "browse"),
    ("/v1/{market}/{language}/categories", "browse"),
    ("/v1/{market}/{language}/products/{id}", "browse"),
    ("/v1/{market}/{language}/products/by-slug/{slug}", "browse"),
    ("/v1/{market}/{language}/products", "search"),
    ("/v1/{market}/{language}/quote", "cart"),
    ("/v1/{market}/{language}/carts", "cart"),
    ("/v1/carts/{id}", "cart"),
    ("/v1/carts/{id}/lines/{variant}", "cart"),
    ("/v1/carts/{id}/coupons", "cart"),
    ("/v1/carts/{id}/destination", "cart"),
    ("/v1/carts/{id}/merge", "cart"),
    ("/v1/carts/{id}/checkout", "checkout"),
    ("/v1/orders", "tracking"),
    ("/v1/orders/{id}", "tracking"),
    ("/v1/orders/{id}/events", "tracking"),
    ("/v1/orders/{id}/cancel", "tracking"),
    ("/v1/orders/{id}/returns", "tracking"),
    ("/v1/returns/{id}", "tracking"),
    ("/v1/accounts", "account"),
    ("/v1/accounts/me", "account"),
    ("/v1/accounts/me/export", "account"),
    ("/v1/accounts/me/addresses", "account"),
    ("/v1/accounts/me/addresses/{id}", "account"),
    ("/v1/sessions", "account"),
    ("/v1/sessions/current", "account"),
    ("/webhooks/payments", "partner"),
    ("/healthz", "internal"),
    ("/readyz", "internal"),
    ("/openapi.json", "internal"),
    ("/metrics", "internal"),
];

/// Routes whose answers stream for as long as the shopper watches (server-sent events): their
/// duration says nothing about latency, so latency objectives leave them out.
pub const STREAMING: &[&str] = &["/v1/orders/{id}/events"];

/// The journey of a route template: from [`TEMPLATES`], `admin` for the admin API, `internal`
/// for `/internal/`, else `other`.
pub fn journey(template: &str) -> &'static str {
    if let Some((_, journey)) = TEMPLATES.iter().find(|(t, _)| *t == template) {
        return journey;
    }
    if template.starts_with("/admin/") {
        "admin"
    } else if template.starts_with("/internal/") {
        "internal"
    } else {
        "other"
    }
}

/// The template a raw path belongs to, with its journey: the template of [`TEMPLATES`] with the
/// most literal segments among those matching; `/admin/…` and `/internal/…` as one route each;
/// anything else `other`. Never returns a part of the path itself.
pub fn template_of(path: &str) -> (&'static str, &'static str) {
    // No allocation: this runs on every request the edge answers.
    let path = path.split('?').next().unwrap_or(path);
    let trimmed = path.trim_end_matches('/');
    let mut best: Option<(usize, &'static str, &'static str)> = None;
    for (template, journey) in TEMPLATES {
        let (mut parts, mut segments) = (template.split('/'), trimmed.split('/'));
        let mut literals = 0;
        let matches = loop {
            match (parts.next(), segments.next()) {
                (None, None) => break true,
                (Some(part), Some(segment)) if part.starts_with('{') => {
                    if segment.is_empty() {
                        break false;
                    }
                }
                (Some(part), Some(segment)) if part == segment => literals += 1,
                _ => break false,
            }
        };
        if matches && best.is_none_or(|(n, _, _)| literals > n) {
            best = Some((literals, template, journey));
        }
    }
    match best {
        Some((_, template, journey)) => (template, journey),
        None if path.starts_with("/admin/") => ("/admin/*", "admin"),
        None if path.starts_with("/internal/") => ("/internal/*", "internal"),
        None => ("other", "other"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(path: &str, expected: (&str, &str)) {
        assert_eq!(template_of(path), expected, "{path}");
    }

    #[test]
    fn raw_paths_find_their_template() {
        check("/v1/markets", ("/v1/markets", "browse"));
        check("/v1/fr/fr/products/0b6e", ("/v1/{market}/{language}/products/{id}", "browse"));
        check("/v1/fr/fr-CA/products/by-slug/chaise", ("/v1/{market}/{language}/products/by-slug/{slug}", "browse"));
        check("/v1/fr/fr/products?category=1&sort=price_asc", ("/v1/{market}/{language}/products", "search"));
        check("/v1/carts/abc/checkout", ("/v1/carts/{id}/checkout", "checkout"));
        check("/v1/carts/abc/lines/v1", ("/v1/carts/{id}/lines/{variant}", "cart"));
        check("/v1/orders/o1/events", ("/v1/orders/{id}/events", "tracking"));
        check("/v1/accounts/me", ("/v1/accounts/me", "account"));
        check("/admin/v1/products/p1", ("/admin/*", "admin"));
        check("/internal/v1/catalog-changes", ("/internal/*", "internal"));
        check("/etc/passwd", ("other", "other"));
        check("/v1/fr/fr/products/a/b/c", ("other", "other"));
    }

    #[test]
    fn journeys_of_core_templates() {
        assert_eq!(journey("/v1/{market}/{language}/products"), "search");
        assert_eq!(journey("/admin/v1/products/{id}"), "admin");
        assert_eq!(journey("/internal/v1/catalog-changes"), "internal");
        assert_eq!(journey("/nowhere"), "other");
    }
}
