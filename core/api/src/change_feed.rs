//! The catalog change feed's writing side: after a merchandiser's write, a row that every edge
//! follows to purge what it cached (the feed itself is served by
//! `GET /internal/v1/catalog-changes`).

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use uuid::Uuid;

use crate::state::AppState;

/// After a merchandiser's write succeeded (and committed), a row in the catalog change feed
/// that every edge follows to purge what it cached. Should this fail, the edges' entries expire
/// on their own (core's `max-age`).
pub async fn note_change(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let write = !matches!(*request.method(), http::Method::GET | http::Method::HEAD);
    let path = request.uri().path().to_string();
    // The product a write touches, asked before the handler runs (a deleted sale is gone after):
    // edges then purge that product's pages and the listings; a change with none purges all.
    let product = if write { changed_product(&state, &path).await } else { None };
    let response = next.run(request).await;
    if write
        && response.status().is_success()
        && let Err(e) = core_app::change_feed::record(&state, &path, product).await
    {
        tracing::warn!(
            path, error = %e, cause = e.cause().unwrap_or(""),
            "catalog change not recorded; edges keep their entries until they expire"
        );
    }
    response
}

/// The product of an admin write path: in the path (`/admin/v1/products/{id}/…`), or the one of
/// the variant or sale it names. `None` for writes about no single product (categories,
/// attributes, promotions) and when the lookup fails (the edges then purge everything).
async fn changed_product(state: &AppState, path: &str) -> Option<Uuid> {
    let segments: Vec<&str> = path.strip_prefix("/admin/v1/")?.split('/').collect();
    let (kind, id) = (*segments.first()?, Uuid::parse_str(segments.get(1)?).ok()?);
    let of = match kind {
        "products" => return Some(id),
        "variants" => core_store::changes::Named::Variant,
        "sales" => core_store::changes::Named::Sale,
        _ => return None,
    };
    core_app::change_feed::product_of(state, of, id).await.ok().flatten()
}
