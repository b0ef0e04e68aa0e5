//! The OpenAPI document, generated from the handlers and their types, served at
//! `/openapi.json`.

use axum::response::IntoResponse;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::{accounts, admin, audit, carts, catalog, checkout, error, orders, partner_events, promotions, quote};

/// The shoppers' API (the edges' door).
#[derive(OpenApi)]
#[openapi(
    info(title = "Shop core API", description = "The shoppers' API, reached through the nearest edge: the catalog (scoped by market and language in the URL, cacheable), quotes, accounts, carts, checkout, orders and returns. Money is always an integer amount in minor units of the market's currency."),
    paths(
        catalog::markets, catalog::categories, catalog::products, catalog::product, catalog::product_by_slug,
        quote::quote,
        accounts::sign_up, accounts::me, accounts::update_me, accounts::erase_me, accounts::export,
        accounts::login, accounts::logout, accounts::revoke_sessions,
        accounts::list_addresses, accounts::add_address, accounts::replace_address, accounts::delete_address,
        carts::create, carts::get_cart, carts::set_line, carts::remove_line, carts::set_coupons, carts::set_destination, carts::set_shipping, carts::merge,
        checkout::checkout,
        orders::list, orders::get_order, orders::cancel, orders::events, orders::request_return, orders::get_return,
    ),
    components(schemas(error::ErrorBody)),
    modifiers(&ServiceToken),
    tags((name = "catalog", description = "Shopper catalog reads"),
        (name = "checkout", description = "Quotes, carts, checkout, orders and returns (session token, or a guest's X-Cart-Token)"),
        (name = "accounts", description = "Shopper accounts, sessions, addresses, GDPR export and erasure (session token)"))
)]
pub struct ApiDoc;

/// The staff's admin API (the staff listener).
#[derive(OpenApi)]
#[openapi(
    info(title = "Shop admin API", description = "The staff's API, on each core's staff listener (a private network): catalog and price changes, promotions, orders and returns, stock, the outbox, staff accounts with their second factor, and the audit log. Staff log in as themselves (`POST /admin/v1/sessions`, then the TOTP second factor); every request is audited."),
    paths(
        admin::create_category, admin::put_category_translation, admin::create_attribute,
        admin::create_product, admin::get_product, admin::update_product, admin::put_translation, admin::delete_translation,
        admin::add_variant, admin::update_variant, admin::put_price, admin::delete_price, admin::add_sale, admin::delete_sale, admin::publish, admin::unpublish,
        promotions::create_promotion, promotions::list_promotions, promotions::get_promotion, promotions::update_promotion,
        promotions::archive_promotion, promotions::add_coupons, promotions::list_coupons,
        accounts::create_staff, accounts::reset_staff_totp, accounts::staff_me, accounts::staff_login, accounts::staff_logout,
        accounts::start_totp, accounts::confirm_totp,
        orders::admin_order, orders::ship, orders::approve_return, orders::reject_return, orders::receive_return, orders::set_stock,
        partner_events::list, audit::list,
    ),
    components(schemas(error::ErrorBody)),
    modifiers(&ServiceToken),
    tags((name = "admin", description = "Merchandiser and support writes (staff session; the service token in development)"),
        (name = "staff", description = "Staff accounts, sessions, the TOTP second factor and the audit log"))
)]
pub struct StaffApiDoc;

struct ServiceToken;

impl Modify for ServiceToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("service_token", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
        components.add_security_scheme("session_token", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
    }
}

pub async fn serve() -> impl IntoResponse {
    axum::Json(ApiDoc::openapi())
}

pub async fn serve_staff() -> impl IntoResponse {
    axum::Json(StaffApiDoc::openapi())
}
