//! The OpenAPI documents of the two doors (the shoppers' and the staff's), generated from the handlers and
//! their types, each served at its door's `/openapi.json`.

use axum::response::IntoResponse;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::{
    accounts, admin, audit, carriers, carts, catalog, checkout, error, orders, outbox, partner_events, promotions,
    quote, warehouse, webhooks,
};

/// The shoppers' API (the edges' door).
#[derive(OpenApi)]
#[openapi(
    info(title = "Shop core API", description = "The shoppers' API, reached through the nearest edge: the catalog (scoped by market and language in the URL, cacheable), quotes, accounts, carts, checkout, orders and returns. Every amount in an answer is a `MoneyDto`, `{\"amount_minor\": 1999, \"currency\": \"EUR\"}`: an integer in minor units of the currency, never a float; inputs take `*_minor` integers in the market's currency. Lists come a page at a time (`limit`, `cursor`; `{items, next_cursor}`)."),
    paths(
        catalog::markets, catalog::categories, catalog::products, catalog::product, catalog::product_by_slug,
        catalog::availability,
        quote::quote,
        accounts::sign_up, accounts::me, accounts::update_me, accounts::erase_me, accounts::export,
        accounts::login, accounts::logout, accounts::revoke_sessions,
        accounts::list_addresses, accounts::add_address, accounts::replace_address, accounts::delete_address,
        carts::create, carts::get_cart, carts::set_line, carts::remove_line, carts::set_coupons, carts::set_destination, carts::set_shipping, carts::merge,
        checkout::checkout,
        orders::list, orders::get_order, orders::cancel, orders::events, orders::request_return, orders::get_return,
        carriers::tracking, webhooks::payment_webhook, warehouse::callback, carriers::webhook,
        crate::healthz, crate::readyz, serve, admin::catalog_changes,
    ),
    components(schemas(error::ErrorBody)),
    modifiers(&ServiceToken, &CommonAnswers, &ErrorCodes),
    tags((name = "catalog", description = "Shopper catalog reads"),
        (name = "checkout", description = "Quotes, carts, checkout, orders and returns (session token, or a guest's X-Cart-Token)"),
        (name = "accounts", description = "Shopper accounts, sessions, addresses, GDPR export and erasure (session token)"),
        (name = "partners", description = "Partners' signed webhooks: payments, the warehouse system, carriers"),
        (name = "internal", description = "Routes for the edges themselves (the catalog change feed); edges do not serve them to clients"),
        (name = "health", description = "Liveness, readiness and this document"))
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
        outbox::overview, outbox::dead, outbox::show, outbox::replay, outbox::replay_dead,
        warehouse::push_snapshot, warehouse::push_deltas, warehouse::pull, warehouse::issues, warehouse::shipments,
        crate::healthz, crate::readyz, serve_staff,
    ),
    components(schemas(error::ErrorBody)),
    modifiers(&ServiceToken, &CommonAnswers, &ErrorCodes),
    tags((name = "admin", description = "Merchandiser and support writes (staff session; the service token in development)"),
        (name = "staff", description = "Staff accounts, sessions, the TOTP second factor and the audit log"),
        (name = "health", description = "Liveness, readiness and this document"))
)]
pub struct StaffApiDoc;

/// The answers every operation may give whatever it does, added where its own description does
/// not list them, and its path parameters declared where it did not: so that the document
/// holds every status the door answers (the API contract test fails on an undocumented one).
/// - 400 for bad input anywhere (the input guard: `invalid_text`, `text_too_long`,
///   `card_data_rejected`; the extractors: `invalid_json`, `invalid_path`, `invalid_query`; the
///   database's net: `invalid_input`);
/// - 413 and 415 for operations with a request body (too large; not JSON);
/// - 422 for operations with a request body (`validation_failed`), 409 and 422 for those taking an
///   `Idempotency-Key` (`idempotency_in_progress`, `idempotency_key_reused`);
/// - 401 for operations with credentials, 403 on the staff door (another role);
/// - 404 for operations with path parameters (no such resource), and on the shopper's own
///   account (erased meanwhile).
struct CommonAnswers;

impl Modify for CommonAnswers {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::{Operation, ParameterBuilder, ParameterIn};
        use utoipa::openapi::{ObjectBuilder, Required, Type};
        for (path, item) in openapi.paths.paths.iter_mut() {
            let staff_door = path.starts_with("/admin/");
            let operations = [
                (false, &mut item.get),
                (false, &mut item.put),
                (true, &mut item.post),
                (false, &mut item.delete),
                (false, &mut item.patch),
                (false, &mut item.options),
                (false, &mut item.head),
                (false, &mut item.trace),
            ];
            for (post, operation) in operations {
                let Some(operation) = operation.as_mut() else { continue };
                let operation: &mut Operation = operation;
                let parameters = operation.parameters.get_or_insert_with(Vec::new);
                let mut has_path_parameters = false;
                for name in path.split('/').filter_map(|s| s.strip_prefix('{')?.strip_suffix('}')) {
                    has_path_parameters = true;
                    if !parameters.iter().any(|p| p.name == name && p.parameter_in == ParameterIn::Path) {
                        parameters.push(
                            ParameterBuilder::new()
                                .name(name)
                                .parameter_in(ParameterIn::Path)
                                .required(Required::True)
                                .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
                                .build(),
                        );
                    }
                }
                // State-changing POSTs of the staff door take an Idempotency-Key (see
                // `crate::idempotency`), as do the shoppers' that declare it.
                let idempotent =
                    (staff_door && post) || parameters.iter().any(|p| p.name.eq_ignore_ascii_case("idempotency-key"));
                let answers = &mut operation.responses.responses;
                let mut add = |status: &str, description: &str| {
                    answers.entry(status.to_string()).or_insert_with(|| error_answer(description).into());
                };
                add(
                    "400",
                    "bad input: invalid_text, text_too_long, card_data_rejected, invalid_json, invalid_path, invalid_query, invalid_input",
                );
                if operation.request_body.is_some() {
                    add("413", "payload_too_large");
                    add("415", "unsupported_media_type: the body must be JSON");
                    add("422", "validation_failed: the body is not of the expected shape");
                }
                if idempotent {
                    add("409", "idempotency_in_progress: a request with this Idempotency-Key is still running");
                    add("422", "idempotency_key_reused: this Idempotency-Key was used for another request");
                }
                let credentials = operation.security.as_ref().is_some_and(|requirements| {
                    requirements.iter().any(|r| serde_json::to_value(r).is_ok_and(|v| v != serde_json::json!({})))
                });
                if credentials || staff_door {
                    add("401", "unauthorized, session_expired, session_revoked: credentials missing or not valid");
                }
                if staff_door {
                    add("403", "forbidden: another role's route, or totp_enrolment_required");
                }
                if has_path_parameters {
                    add("404", "no such resource");
                }
                if path.starts_with("/v1/accounts/me") {
                    add("404", "account_not_found: the account was erased");
                }
            }
        }
    }
}

/// An error answer: an [`error::ErrorBody`] as JSON.
fn error_answer(description: &str) -> utoipa::openapi::Response {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    ResponseBuilder::new()
        .description(description)
        .content("application/json", ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build())
        .build()
}

/// The table of error codes (`core_app::error::codes`) in the document: every code an
/// [`error::ErrorBody`] may carry, as the enumeration of its `code`, and the table (code,
/// status, meaning) at the end of the door's description.
struct ErrorCodes;

impl Modify for ErrorCodes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::RefOr;
        use utoipa::openapi::schema::Schema;
        let codes = core_app::error::codes::CODES;
        let mut names: Vec<&str> = codes.iter().map(|c| c.code).collect();
        names.sort_unstable();
        names.dedup();
        if let Some(components) = openapi.components.as_mut()
            && let Some(RefOr::T(Schema::Object(body))) = components.schemas.get_mut("ErrorBody")
            && let Some(RefOr::T(Schema::Object(code))) = body.properties.get_mut("code")
        {
            code.enum_values = Some(names.iter().map(|n| serde_json::Value::from(*n)).collect());
        }
        let mut table = String::from("\n\n## Error codes\n\n| code | status | meaning |\n|---|---|---|\n");
        for c in codes {
            table.push_str(&format!("| `{}` | {} | {} |\n", c.code, c.status, c.meaning.replace('|', "\\|")));
        }
        let description = openapi.info.description.get_or_insert_with(String::new);
        description.push_str(&table);
    }
}

struct ServiceToken;

impl Modify for ServiceToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("service_token", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
        components.add_security_scheme("session_token", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
    }
}

#[utoipa::path(get, path = "/openapi.json", tag = "health",
    responses((status = 200, description = "this door's OpenAPI document", content_type = "application/json")))]
/// The shoppers' OpenAPI document.
pub async fn serve() -> impl IntoResponse {
    axum::Json(ApiDoc::openapi())
}

#[utoipa::path(get, path = "/openapi.json", tag = "health",
    responses((status = 200, description = "this door's OpenAPI document", content_type = "application/json")))]
/// The admin API's OpenAPI document.
pub async fn serve_staff() -> impl IntoResponse {
    axum::Json(StaffApiDoc::openapi())
}
