//! Every error code the core answers with, the HTTP status it comes with, and what it means:
//! one row a (code, status) pair. A few codes come with two statuses, each row saying when.
//! [`super::AppError::new`] checks its pair is here (in debug builds and tests), and the API
//! publishes the table in its OpenAPI descriptions.

/// One error code of the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Code {
    pub code: &'static str,
    pub status: u16,
    pub meaning: &'static str,
}

const fn c(code: &'static str, status: u16, meaning: &'static str) -> Code {
    Code { code, status, meaning }
}

/// The table, by status then code.
pub const CODES: &[Code] = &[
    // 400: the request itself is malformed.
    c(
        "card_data_rejected",
        400,
        "a card number is in the request: send cards to the payment provider and use its token",
    ),
    c("idempotency_key_required", 400, "checkout needs an Idempotency-Key header (1-255 visible characters)"),
    c("invalid_body", 400, "the body cannot be read"),
    c("invalid_cursor", 400, "a malformed cursor, or a cursor of another listing"),
    c("invalid_event", 400, "a partner's event that verified but is malformed"),
    c("invalid_feed", 400, "a stock feed line that is not `sku,on_hand` with a count of 0 or more"),
    c("invalid_filter", 400, "a listing filter with a value it does not take"),
    c("invalid_idempotency_key", 400, "an Idempotency-Key that is not 1-255 visible ASCII characters"),
    c("invalid_input", 400, "a value the database cannot store (checked before, in principle)"),
    c("invalid_json", 400, "the body is not JSON"),
    c("invalid_language", 400, "a language in the URL that is not a BCP 47 tag"),
    c("invalid_limit", 400, "a page size that is not a positive integer"),
    c("invalid_path", 400, "a path parameter that cannot be read"),
    c("invalid_query", 400, "a query parameter that cannot be read"),
    c("invalid_sort", 400, "a listing sort it does not offer"),
    c("invalid_status", 400, "a promotion status filter other than active, archived or all"),
    c("invalid_text", 400, "text with a control character, a noncharacter or invalid UTF-8"),
    c("page_too_large", 400, "a page size above the listing's maximum"),
    c("text_too_long", 400, "text longer than its place allows"),
    c("unknown_filter", 400, "a listing filter on an attribute that cannot be filtered"),
    c("unknown_market", 400, "a market in a query parameter that does not exist"),
    // 401: who is calling is not established.
    c("invalid_credentials", 401, "a wrong e-mail or password (the same answer for an unknown e-mail)"),
    c("invalid_signature", 401, "a partner's webhook whose signature does not verify"),
    c("session_expired", 401, "the session has expired: log in again"),
    c("session_revoked", 401, "the session was ended (logout, revocation, erasure): log in again"),
    c("totp_required", 401, "a staff login without the code of the second factor"),
    c("unauthorized", 401, "a valid session token is required"),
    // 403: the caller may not do this.
    c("forbidden", 403, "the caller's role does not allow this"),
    c("staff_session_required", 403, "the service token is not a staff member"),
    c("totp_enrolment_required", 403, "a staff session that must enrol the second factor first"),
    // 404: no such thing (or not the caller's).
    c("account_not_found", 404, "no such account (erased)"),
    c("address_not_found", 404, "no such address of the caller's"),
    c("cart_not_found", 404, "no such cart of the caller's"),
    c("category_not_found", 404, "no such category"),
    c("event_not_found", 404, "no such outbox event"),
    c("language_not_available", 404, "the market does not offer this language"),
    c("line_not_found", 404, "no such cart line"),
    c("market_not_found", 404, "no such market"),
    c("not_found", 404, "no such route or resource"),
    c("order_not_found", 404, "no such order of the caller's"),
    c("price_not_found", 404, "no such price"),
    c("product_not_found", 404, "no such product (in this market)"),
    c("promotion_not_found", 404, "no such promotion"),
    c("region_not_found", 404, "no such region"),
    c("return_not_found", 404, "no such return of the caller's"),
    c("sale_not_found", 404, "no such sale price"),
    c("staff_not_found", 404, "no such staff member"),
    c("translation_not_found", 404, "no such translation"),
    c("unknown_carrier", 404, "no such carrier"),
    c("variant_not_found", 404, "no such variant"),
    c("warehouse_not_found", 404, "no such warehouse"),
    // 405.
    c("method_not_allowed", 405, "the route does not take this method"),
    // 409: the request conflicts with the current state.
    c("already_redeemed", 409, "the order already redeemed this coupon"),
    c("cart_closed", 409, "the cart is checked out or abandoned"),
    c("code_taken", 409, "another item has this code"),
    c("conflict", 409, "conflicts with existing data"),
    c("coupon_exhausted", 409, "the coupon has no uses left"),
    c("coupon_limit_reached_for_customer", 409, "the shopper used this coupon as often as allowed"),
    c("coupon_taken", 409, "another coupon has this code"),
    c("email_taken", 409, "another account has this e-mail (when changing one's own)"),
    c("idempotency_in_progress", 409, "the first request with this Idempotency-Key is still running"),
    c("invalid_transition", 409, "the order, payment, shipment or return cannot move to that state now"),
    c("out_of_stock", 409, "not enough stock of a variant"),
    c("payment_busy", 409, "the payment is being updated: send the event again"),
    c("payment_refused", 409, "the payment provider refused the operation"),
    c("promotion_archived", 409, "the promotion is archived: it cannot be changed"),
    c("promotion_exhausted", 409, "the promotion has no uses left"),
    c("promotion_is_automatic", 409, "an automatic promotion takes no coupons"),
    c("promotion_limit_reached_for_customer", 409, "the shopper used this promotion as often as allowed"),
    c("sku_taken", 409, "another variant has this SKU"),
    c("slug_taken", 409, "another product has this slug in this language"),
    c("too_many_addresses", 409, "the account keeps the most addresses it may"),
    c("totp_already_enrolled", 409, "the second factor is enrolled already"),
    c("totp_not_started", 409, "no enrolment of the second factor is under way"),
    // 413, 415.
    c("payload_too_large", 413, "the body is larger than the route accepts"),
    c("unsupported_media_type", 415, "the body must be JSON (`content-type: application/json`)"),
    // 422: well-formed, but not acceptable.
    c("amount_out_of_range", 422, "an amount beyond what money can hold"),
    c("coupon_not_valid_in_market", 422, "the coupon is not valid in this market"),
    c("coupon_required", 422, "the promotion needs a coupon"),
    c("currency_mismatch", 422, "an amount in another currency than the market's"),
    c("currency_required", 422, "an amount discount needs its currency"),
    c("customer_required", 422, "the promotion is for signed-in shoppers"),
    c("destination_outside_market", 422, "the destination is another market's country"),
    c("duplicate_variant", 422, "two variants with the same attributes"),
    c("unknown_warehouse", 422, "a warehouse in the body (a variant's initial stock) that does not exist"),
    c("empty_cart", 422, "the cart has no lines"),
    c("event_pending", 422, "the outbox event is pending delivery already"),
    c("idempotency_key_reused", 422, "this Idempotency-Key was used for another request"),
    c("invalid_attribute_value", 422, "an attribute value of the wrong kind"),
    c("invalid_compare_at", 422, "a compare-at price not above the price"),
    c("invalid_coupon_code", 422, "a coupon code outside the allowed letters and length"),
    c("invalid_current_password", 422, "the current password given is wrong"),
    c("invalid_email", 422, "not an e-mail address"),
    c("invalid_line", 422, "a quote line that cannot be priced"),
    c("invalid_price", 422, "a price that cannot be used"),
    c("invalid_quantity", 422, "a quantity below 1 or above the maximum"),
    c("invalid_return", 422, "a return of lines or quantities the order does not have"),
    c("invalid_totp_code", 422, "the code does not match (check the device's clock)"),
    c("market_in_other_region", 422, "a market of another region than the account's home region"),
    c("markets_required", 422, "the promotion needs its markets"),
    c("missing_subdivision", 422, "a state or province is needed for the tax"),
    c("missing_translation", 422, "a translation the item needs is missing"),
    c("no_lines", 422, "a quote without lines"),
    c("no_market", 422, "a product sold in no market"),
    c("no_variant", 422, "a product without variants"),
    c("not_shipped", 422, "only shipped orders can be returned"),
    c("not_sold_in_market", 422, "the variant is not sold in this market"),
    c("password_too_long", 422, "a password over 1,024 bytes"),
    c("password_too_short", 422, "a password under 12 characters"),
    c("promotion_archived", 422, "the coupon's promotion is archived"),
    c("promotion_expired", 422, "the promotion has ended"),
    c("promotion_not_started", 422, "the promotion has not started"),
    c("promotion_not_valid_in_market", 422, "the promotion does not run in this market"),
    c("return_window_closed", 422, "the market's return window has closed"),
    c("stock_below_reserved", 422, "a stock count below the units reserved for unpaid orders"),
    c("too_many_coupons", 422, "more coupons than a cart may hold"),
    c("too_many_lines", 422, "more lines than a quote may hold"),
    c("unknown_attribute", 422, "an attribute that does not exist"),
    c("unknown_category", 422, "a category that does not exist"),
    c("unknown_country", 422, "not a country code"),
    c("unknown_coupon", 422, "no such coupon"),
    c("unknown_market", 422, "a market in the body that does not exist"),
    c("unknown_product", 422, "a product that does not exist"),
    c("unknown_region", 422, "a region that does not exist"),
    c("unknown_role", 422, "a staff role other than admin, merchandiser or support"),
    c("unknown_shipping_option", 422, "not a shipping option of the market"),
    c("unknown_subdivision", 422, "the market does not ship to this state or province"),
    c("unknown_tax_category", 422, "a tax category the market does not know"),
    c("unknown_variant", 422, "a variant that does not exist"),
    c("validation_failed", 422, "a field is missing or invalid (the message names it)"),
    // 423.
    c("account_locked", 423, "too many failed logins: the account is locked for a while (see Retry-After)"),
    // 5xx: the core's side.
    c("internal", 500, "an internal error (logged with its cause, never sent)"),
    c("payments_unavailable", 503, "the payment provider is not configured or cannot be reached"),
    c("tax_unavailable", 503, "the tax provider cannot be reached and the market refuses to guess"),
    c("unavailable", 503, "the database cannot be reached: retry shortly"),
    c("warehouse_unavailable", 503, "the warehouse system is not configured or cannot be reached"),
];

/// The status of `code`'s first row.
pub fn status_of(code: &str) -> Option<u16> {
    CODES.iter().find(|c| c.code == code).map(|c| c.status)
}

#[cfg(test)]
mod tests {
    use super::CODES;

    #[test]
    fn each_code_and_status_is_one_row() {
        let mut pairs: Vec<(&str, u16)> = CODES.iter().map(|c| (c.code, c.status)).collect();
        let n = pairs.len();
        pairs.sort();
        pairs.dedup();
        assert_eq!(pairs.len(), n, "a (code, status) row is repeated");
        assert!(CODES.iter().all(|c| c.code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')));
        assert!(CODES.iter().all(|c| !c.meaning.is_empty()));
    }
}
