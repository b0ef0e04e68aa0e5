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
    // No allocation: this runs on every request the edge answers. The path is split once into
    // at most MAX_SEGMENTS segments, and compared with the templates split once at start.
    let path = path.split('?').next().unwrap_or(path);
    let mut segments = [""; MAX_SEGMENTS];
    let mut count = 0;
    for segment in path.trim_end_matches('/').split('/') {
        if count == MAX_SEGMENTS {
            return fallback(path);
        }
        segments[count] = segment;
        count += 1;
    }
    let segments = &segments[..count];
    let mut best: Option<&Split> = None;
    for split in SPLIT.iter().filter(|s| s.parts.len() == count) {
        let matches = split.parts.iter().zip(segments).all(|(part, segment)| match part {
            Part::Any => !segment.is_empty(),
            Part::Literal(literal) => literal == segment,
        });
        if matches && best.is_none_or(|b| split.literals > b.literals) {
            best = Some(split);
        }
    }
    match best {
        Some(split) => (split.template, split.journey),
        None => fallback(path),
    }
}

/// Longest path (in segments) a template has, with room to spare.
const MAX_SEGMENTS: usize = 8;

/// A template segment: a literal, or a `{parameter}` matching any one non-empty segment.
enum Part {
    Literal(&'static str),
    Any,
}

/// A template split into its segments once.
struct Split {
    template: &'static str,
    journey: &'static str,
    parts: Vec<Part>,
    /// Literal segments: the most specific matching template wins.
    literals: usize,
}

static SPLIT: std::sync::LazyLock<Vec<Split>> = std::sync::LazyLock::new(|| {
    TEMPLATES
        .iter()
        .map(|(template, journey)| {
            let parts: Vec<Part> =
                template.split('/').map(|p| if p.starts_with('{') { Part::Any } else { Part::Literal(p) }).collect();
            let literals = parts.iter().filter(|p| matches!(p, Part::Literal(_))).count();
            Split { template, journey, parts, literals }
        })
        .collect()
});

fn fallback(path: &str) -> (&'static str, &'static str) {
    if path.starts_with("/admin/") {
        ("/admin/*", "admin")
    } else if path.starts_with("/internal/") {
        ("/internal/*", "internal")
    } else {
        ("other", "other")
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
        check("/a/b/c/d/e/f/g/h/i/j", ("other", "other"));
        check("/v1/carts//lines/x", ("other", "other"));
    }

    #[test]
    fn journeys_of_core_templates() {
        assert_eq!(journey("/v1/{market}/{language}/products"), "search");
        assert_eq!(journey("/admin/v1/products/{id}"), "admin");
        assert_eq!(journey("/internal/v1/catalog-changes"), "internal");
        assert_eq!(journey("/nowhere"), "other");
    }
}
