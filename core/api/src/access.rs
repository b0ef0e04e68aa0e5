//! Who may reach what: the owner of a cart or an order (the shopper's session, else the
//! guest's cart token), and the staff roles each admin route needs (middlewares).

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;
use core_store::commerce::carts::Owner;
use core_store::commerce::orders::Viewer;
use uuid::Uuid;

use crate::auth::MaybeShopper;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Header carrying a guest cart's token.
pub const CART_TOKEN: &str = "x-cart-token";

pub use core_app::carts::token_hash;

/// Who is asking: the shopper of the session, else the guest holding the cart token.
pub fn owner(shopper: &MaybeShopper, headers: &HeaderMap) -> ApiResult<Owner> {
    if let Some(s) = &shopper.0 {
        return Ok(Owner::User(s.user_id));
    }
    match headers.get(CART_TOKEN).and_then(|v| v.to_str().ok()) {
        Some(token) if (16..=128).contains(&token.len()) => Ok(Owner::Guest(token_hash(token))),
        _ => Err(core_app::carts::not_found().into()),
    }
}

/// Who may see an order: its owner (404 `order_not_found` when there is none).
pub fn order_viewer(shopper: &MaybeShopper, headers: &HeaderMap) -> ApiResult<Viewer> {
    owner(shopper, headers).map(Viewer::Owner).map_err(|_| core_app::orders::not_found().into())
}

/// The id of an order the caller may see (session or cart token); 404 otherwise.
pub async fn visible_order(
    state: &AppState,
    shopper: &MaybeShopper,
    headers: &HeaderMap,
    path: Result<Path<String>, PathRejection>,
) -> ApiResult<Uuid> {
    let not_found = || ApiError::from(core_app::orders::not_found());
    let Path(id) = path.map_err(|_| not_found())?;
    let id = Uuid::parse_str(&id).map_err(|_| not_found())?;
    Ok(core_app::orders::load(state, id, &order_viewer(shopper, headers)?).await?.id)
}

// ----- staff -----

/// Admits the service token (as an admin) or the staff session of an admin or a merchandiser
/// (401 `unauthorized`, `session_expired`, `session_revoked` otherwise; 403 `forbidden` for
/// support staff). The caller is then in the request's extensions, for the
/// [`crate::auth::Staff`] extractor.
pub async fn require_token(State(state): State<AppState>, request: Request, next: Next) -> Response {
    crate::auth::admit_staff(&state, request, next, crate::auth::Role::Merchandiser).await
}

/// Like [`require_token`], for admins only (managing staff, reading the audit log).
pub async fn require_admin(State(state): State<AppState>, request: Request, next: Next) -> Response {
    crate::auth::admit_staff(&state, request, next, crate::auth::Role::Admin).await
}

/// Like [`require_token`], for customer support's routes (orders, returns and refunds): the
/// service token, admins and support staff.
pub async fn require_support(State(state): State<AppState>, request: Request, next: Next) -> Response {
    crate::auth::admit_staff(&state, request, next, crate::auth::Role::Support).await
}
