//! Orders, their payments and returns, and every state change of them (with its reason).
//! State changes go through [`transition_order`], [`update_payment`] and [`transition_return`],
//! which refuse moves the state machines of `core_domain::orders` do not allow.

use crate::Prepared;
use core_domain::orders::{OrderStatus, PaymentStatus, ReturnStatus};
use deadpool_postgres::GenericClient;
use postgres_types::Json;
use serde_json::{Value, json};
use time::OffsetDateTime;
use uuid::Uuid;

use super::carts::Owner;
use super::order_quote::{OrderQuote, TaxRecord};
use super::{CommerceError, Result, outbox};

/// What a line shows of its variant in the shopper's language: the product's name and the
/// variant's options (`Colour: Red`). Order lines keep it as sold, so that renaming a product
/// does not rewrite past orders.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LineLabel {
    pub name: String,
    pub options: Vec<OptionLabel>,
}

/// One of a variant's distinguishing attributes: its name and value as the shopper reads them.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OptionLabel {
    pub name: String,
    pub value: String,
}

/// A line of a new order, as quoted.
#[derive(Clone, Debug)]
pub struct NewLine {
    pub variant_id: Uuid,
    pub sku: String,
    pub product_id: Uuid,
    pub quantity: i32,
    pub unit_price_minor: i64,
    pub subtotal_minor: i64,
    pub discount_minor: i64,
    pub total_minor: i64,
    pub tax_minor: i64,
    /// What the shopper saw of the variant (`order_lines.label`).
    pub label: LineLabel,
    /// Stored as JSONB (`order_lines.taxes`).
    pub taxes: Vec<TaxRecord>,
}

/// A new order, priced.
#[derive(Clone, Debug)]
pub struct NewOrder {
    pub id: Uuid,
    pub number: String,
    pub cart_id: Uuid,
    pub checkout_key: String,
    pub request_hash: String,
    pub owner: Owner,
    pub market: String,
    /// The shopper's home region (the market's for a guest): where the order's rows live.
    pub region: String,
    pub currency: String,
    pub prices_include_tax: bool,
    pub subtotal_minor: i64,
    pub discount_minor: i64,
    pub shipping_minor: i64,
    pub tax_minor: i64,
    pub total_minor: i64,
    pub email: Option<String>,
    pub ship_to: Option<Value>,
    pub country: String,
    pub subdivision: Option<String>,
    /// The shipping option charged: its parcels are labelled with this carrier and service.
    pub shipping_carrier: Option<String>,
    pub shipping_service: Option<String>,
    /// The quote the order was placed with (`orders.quote`).
    pub quote: OrderQuote,
    pub lines: Vec<NewLine>,
    pub provider: String,
}

/// Records a new order awaiting payment, its lines and its pending payment, and publishes
/// `order.placed`.
pub async fn insert(tx: &impl GenericClient, o: &NewOrder) -> Result<()> {
    let (user, guest) = match &o.owner {
        Owner::User(u) => (Some(*u), None),
        Owner::Guest(h) => (None, Some(h.clone())),
    };
    tx.execute_cached(
        "INSERT INTO orders (id, number, cart_id, checkout_key, request_hash, user_id, guest_token_hash, market, region, \
         currency, status, prices_include_tax, subtotal_minor, discount_minor, shipping_minor, tax_minor, total_minor, \
         email, ship_to, country, subdivision, quote, shipping_carrier, shipping_service) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'pending_payment', $11, $12, $13, $14, $15, $16, $17, $18, \
         $19, $20, $21, $22, $23)",
        &[
            &o.id,
            &o.number,
            &o.cart_id,
            &o.checkout_key,
            &o.request_hash,
            &user,
            &guest,
            &o.market,
            &o.region,
            &o.currency,
            &o.prices_include_tax,
            &o.subtotal_minor,
            &o.discount_minor,
            &o.shipping_minor,
            &o.tax_minor,
            &o.total_minor,
            &o.email,
            &o.ship_to,
            &o.country,
            &o.subdivision,
            &Json(&o.quote),
            &o.shipping_carrier,
            &o.shipping_service,
        ],
    )
    .await?;
    // The rest in one pipeline: the statements go out together and the server runs them in
    // order, one round trip instead of one each.
    let lines = o.lines.iter().map(|l| {
        Box::pin(async move {
            tx.execute_cached(
                "INSERT INTO order_lines (order_id, variant_id, sku, product_id, quantity, unit_price_minor, subtotal_minor, \
                 discount_minor, total_minor, tax_minor, taxes, region, label) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                &[
                    &o.id,
                    &l.variant_id,
                    &l.sku,
                    &l.product_id,
                    &l.quantity,
                    &l.unit_price_minor,
                    &l.subtotal_minor,
                    &l.discount_minor,
                    &l.total_minor,
                    &l.tax_minor,
                    &Json(&l.taxes),
                    &o.region,
                    &Json(&l.label),
                ],
            )
            .await
            .map(|_| ())
            .map_err(CommerceError::from)
        }) as std::pin::Pin<Box<dyn std::future::Future<Output = Result<()>> + Send + '_>>
    });
    let payment = Box::pin(async move {
        tx.execute_cached(
            "INSERT INTO payments (order_id, provider, status, amount_minor, currency, region) VALUES ($1, $2, 'pending', $3, $4, $5)",
            &[&o.id, &o.provider, &o.total_minor, &o.currency, &o.region],
        )
        .await
        .map(|_| ())
        .map_err(CommerceError::from)
    }) as std::pin::Pin<Box<dyn std::future::Future<Output = Result<()>> + Send + '_>>;
    let placed = json!({"order_id": o.id, "number": o.number, "market": o.market, "total_minor": o.total_minor, "currency": o.currency});
    let rest: Vec<std::pin::Pin<Box<dyn std::future::Future<Output = Result<()>> + Send + '_>>> = vec![
        Box::pin(record(tx, "order", o.id, None, "pending_payment", "checkout", &o.region)),
        Box::pin(record(tx, "payment", o.id, None, "pending", "checkout", &o.region)),
        Box::pin(async { outbox::publish(tx, "order.placed", o.id, &o.region, &placed).await.map(|_| ()) }),
    ];
    crate::pipeline(lines.chain(std::iter::once(payment)).chain(rest)).await?;
    Ok(())
}

async fn record(
    tx: &impl GenericClient,
    entity: &str,
    id: Uuid,
    from: Option<&str>,
    to: &str,
    reason: &str,
    region: &str,
) -> Result<()> {
    tx.execute_cached(
        "INSERT INTO state_transitions (entity, entity_id, from_state, to_state, reason, region) VALUES ($1, $2, $3, $4, $5, $6)",
        &[&entity, &id, &from, &to, &reason, &region],
    )
    .await?;
    Ok(())
}

/// The order a checkout with this Idempotency-Key already created, with that checkout's
/// request hash.
pub async fn by_checkout_key(client: &impl GenericClient, cart: Uuid, key: &str) -> Result<Option<(Uuid, String)>> {
    Ok(client
        .query_opt_cached(
            "SELECT id, request_hash FROM orders WHERE cart_id = $1 AND checkout_key = $2",
            &[&cart, &key],
        )
        .await?
        .map(|r| (r.get(0), r.get(1))))
}

/// An order as its owner (or staff) sees it.
#[derive(Clone, Debug)]
pub struct OrderView {
    pub id: Uuid,
    pub number: String,
    pub market: String,
    pub region: String,
    pub status: OrderStatus,
    pub currency: String,
    pub prices_include_tax: bool,
    pub subtotal_minor: i64,
    pub discount_minor: i64,
    pub shipping_minor: i64,
    pub tax_minor: i64,
    pub total_minor: i64,
    pub user_id: Option<Uuid>,
    pub email: Option<String>,
    pub ship_to: Option<Value>,
    pub lines: Vec<LineView>,
    pub payment: PaymentView,
    pub shipped_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

#[derive(Clone, Debug)]
pub struct LineView {
    pub variant_id: Uuid,
    pub sku: String,
    pub quantity: i32,
    pub unit_price_minor: i64,
    pub discount_minor: i64,
    pub total_minor: i64,
    pub tax_minor: i64,
    pub returned_quantity: i32,
    /// What the shopper saw of the variant when ordering (none for orders placed before it was
    /// kept).
    pub label: Option<LineLabel>,
}

#[derive(Clone, Debug)]
pub struct PaymentView {
    pub status: PaymentStatus,
    pub provider_ref: Option<String>,
    pub amount_minor: i64,
    pub captured_minor: i64,
    pub refunded_minor: i64,
    pub next_action: Option<Value>,
    pub decline_code: Option<String>,
}

/// Who may see an order.
#[derive(Clone, Debug)]
pub enum Viewer {
    Owner(Owner),
    Staff,
}

/// The order, if the viewer may see it.
pub async fn view(client: &impl GenericClient, id: Uuid, viewer: &Viewer) -> Result<Option<OrderView>> {
    // The order and its lines in one round trip (the lines are dropped if the viewer may not
    // see the order).
    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 1] = [&id];
    let (order, lines) = futures::join!(
        client.query_opt_cached(
            "SELECT o.id, o.number, o.market, o.region, o.status, o.currency, o.prices_include_tax, o.subtotal_minor, \
             o.discount_minor, o.shipping_minor, o.tax_minor, o.total_minor, o.user_id, o.guest_token_hash, o.email, \
             o.ship_to, o.shipped_at, o.created_at, o.updated_at, \
             p.status, p.provider_ref, p.amount_minor, p.captured_minor, p.refunded_minor, p.next_action, p.decline_code \
             FROM orders o JOIN payments p ON p.order_id = o.id WHERE o.id = $1",
            &params,
        ),
        client.query_cached(
            "SELECT variant_id, sku, quantity, unit_price_minor, discount_minor, total_minor, tax_minor, returned_quantity, \
             label FROM order_lines WHERE order_id = $1 ORDER BY sku",
            &params,
        ),
    );
    let Some(r) = order? else {
        return Ok(None);
    };
    let lines = lines?;
    let (user, guest): (Option<Uuid>, Option<String>) = (r.get(12), r.get(13));
    let allowed = match viewer {
        Viewer::Staff => true,
        Viewer::Owner(Owner::User(u)) => user == Some(*u),
        Viewer::Owner(Owner::Guest(h)) => guest.as_deref() == Some(h.as_str()),
    };
    if !allowed {
        return Ok(None);
    }
    let lines = lines
        .iter()
        .map(|l| LineView {
            variant_id: l.get(0),
            sku: l.get(1),
            quantity: l.get(2),
            unit_price_minor: l.get(3),
            discount_minor: l.get(4),
            total_minor: l.get(5),
            tax_minor: l.get(6),
            returned_quantity: l.get(7),
            label: l.get::<_, Option<Json<LineLabel>>>(8).map(|Json(label)| label),
        })
        .collect();
    let status: String = r.get(4);
    let payment_status: String = r.get(19);
    Ok(Some(OrderView {
        id: r.get(0),
        number: r.get(1),
        market: r.get(2),
        region: r.get(3),
        status: OrderStatus::parse(&status).unwrap_or(OrderStatus::PendingPayment),
        currency: r.get(5),
        prices_include_tax: r.get(6),
        subtotal_minor: r.get(7),
        discount_minor: r.get(8),
        shipping_minor: r.get(9),
        tax_minor: r.get(10),
        total_minor: r.get(11),
        user_id: user,
        email: r.get(14),
        ship_to: r.get(15),
        lines,
        payment: PaymentView {
            status: PaymentStatus::parse(&payment_status).unwrap_or(PaymentStatus::Pending),
            provider_ref: r.get(20),
            amount_minor: r.get(21),
            captured_minor: r.get(22),
            refunded_minor: r.get(23),
            next_action: r.get(24),
            decline_code: r.get(25),
        },
        shipped_at: r.get(16),
        created_at: r.get(17),
        updated_at: r.get(18),
    }))
}

/// The status of an order and of its payment (for status streams); no owner check.
pub async fn status(
    client: &impl GenericClient,
    id: Uuid,
) -> Result<Option<(OrderStatus, PaymentStatus, OffsetDateTime)>> {
    Ok(client
        .query_opt_cached(
            "SELECT o.status, p.status, GREATEST(o.updated_at, p.updated_at) FROM orders o \
             JOIN payments p ON p.order_id = o.id WHERE o.id = $1",
            &[&id],
        )
        .await?
        .map(|r| {
            let (o, p): (String, String) = (r.get(0), r.get(1));
            (
                OrderStatus::parse(&o).unwrap_or(OrderStatus::PendingPayment),
                PaymentStatus::parse(&p).unwrap_or(PaymentStatus::Pending),
                r.get(2),
            )
        }))
}

/// Moves an order to `to` if its state machine allows it (locking the order), records the
/// change and publishes `order.<to>`. Returns the state it left; moving to the state it is
/// already in is a no-op returning that state.
pub async fn transition_order(tx: &impl GenericClient, id: Uuid, to: OrderStatus, reason: &str) -> Result<OrderStatus> {
    let row = tx
        .query_opt_cached("SELECT status, region FROM orders WHERE id = $1 FOR UPDATE", &[&id])
        .await?
        .ok_or(CommerceError::NotFound("order"))?;
    let (from, region): (String, String) = (row.get(0), row.get(1));
    let from = OrderStatus::parse(&from).unwrap_or(OrderStatus::PendingPayment);
    move_order(tx, id, from, to, reason, &region).await
}

/// [`transition_order`] for a caller that read (and locked) the order's state `from` and
/// region in this transaction: the update, its record and its event go out in one pipeline.
pub async fn move_order(
    tx: &impl GenericClient,
    id: Uuid,
    from: OrderStatus,
    to: OrderStatus,
    reason: &str,
    region: &str,
) -> Result<OrderStatus> {
    if from == to {
        return Ok(from);
    }
    if !from.can_become(to) {
        return Err(CommerceError::InvalidTransition { entity: "order", from: from.to_string(), to: to.to_string() });
    }
    let event = json!({"order_id": id, "status": to.as_str(), "reason": reason});
    let topic = format!("order.{to}");
    let writes: [std::pin::Pin<Box<dyn std::future::Future<Output = Result<()>> + Send + '_>>; 3] = [
        Box::pin(async {
            tx.execute_cached(
                "UPDATE orders SET status = $2, \
                 shipped_at = CASE WHEN $2 = 'shipped' THEN now() ELSE shipped_at END, updated_at = now() WHERE id = $1",
                &[&id, &to.as_str()],
            )
            .await
            .map(|_| ())
            .map_err(CommerceError::from)
        }),
        Box::pin(record(tx, "order", id, Some(from.as_str()), to.as_str(), reason, region)),
        Box::pin(async { outbox::publish(tx, &topic, id, region, &event).await.map(|_| ()) }),
    ];
    crate::pipeline(writes).await?;
    Ok(from)
}

/// An order's state, its payment's state and its region, both rows locked for the rest of the
/// transaction; `None` for an unknown order.
pub async fn lock_with_payment(
    tx: &impl GenericClient,
    order: Uuid,
) -> Result<Option<(OrderStatus, PaymentStatus, String)>> {
    let row = tx
        .query_opt_cached(
            "SELECT o.status, p.status, o.region FROM orders o JOIN payments p ON p.order_id = o.id \
             WHERE o.id = $1 FOR UPDATE",
            &[&order],
        )
        .await?;
    Ok(row.map(|row| {
        let (order_status, payment_status): (String, String) = (row.get(0), row.get(1));
        (
            OrderStatus::parse(&order_status).unwrap_or(OrderStatus::PendingPayment),
            PaymentStatus::parse(&payment_status).unwrap_or(PaymentStatus::Pending),
            row.get(2),
        )
    }))
}

/// What the provider says about an order's payment.
#[derive(Clone, Debug, Default)]
pub struct PaymentUpdate {
    pub provider_ref: Option<String>,
    pub next_action: Option<Value>,
    pub decline_code: Option<String>,
    pub captured_minor: Option<i64>,
    pub refunded_minor: Option<i64>,
}

/// Moves an order's payment to `to`. A move its state machine does not allow is ignored when it
/// would go backwards (a late or duplicated provider event) and refused otherwise. Returns
/// whether the payment changed.
pub async fn update_payment(
    tx: &impl GenericClient,
    order: Uuid,
    to: PaymentStatus,
    update: &PaymentUpdate,
    reason: &str,
) -> Result<bool> {
    let row = tx
        .query_opt_cached("SELECT status, region FROM payments WHERE order_id = $1 FOR UPDATE", &[&order])
        .await?
        .ok_or(CommerceError::NotFound("order"))?;
    let (from, region): (String, String) = (row.get(0), row.get(1));
    let from = PaymentStatus::parse(&from).unwrap_or(PaymentStatus::Pending);
    move_payment(tx, order, from, to, update, reason, &region).await
}

/// [`update_payment`] for a caller that read (and locked) the payment's state `from` and the
/// region in this transaction: the update and its record go out in one pipeline.
pub async fn move_payment(
    tx: &impl GenericClient,
    order: Uuid,
    from: PaymentStatus,
    to: PaymentStatus,
    update: &PaymentUpdate,
    reason: &str,
    region: &str,
) -> Result<bool> {
    let same_refund_state = from == to && to != PaymentStatus::PartiallyRefunded;
    if same_refund_state || (!from.can_become(to) && to.rank() <= from.rank()) {
        // Already there, or an older event arriving late.
        if update.provider_ref.is_some() {
            tx.execute_cached(
                "UPDATE payments SET provider_ref = $2 WHERE order_id = $1 AND provider_ref IS NULL",
                &[&order, &update.provider_ref],
            )
            .await?;
        }
        return Ok(false);
    }
    if !from.can_become(to) {
        return Err(CommerceError::InvalidTransition { entity: "payment", from: from.to_string(), to: to.to_string() });
    }
    let writes: [std::pin::Pin<Box<dyn std::future::Future<Output = Result<()>> + Send + '_>>; 2] = [
        Box::pin(async {
            tx.execute_cached(
                "UPDATE payments SET status = $2, provider_ref = COALESCE($3, provider_ref), next_action = $4, \
                 decline_code = COALESCE($5, decline_code), captured_minor = COALESCE($6, captured_minor), \
                 refunded_minor = COALESCE($7, refunded_minor), updated_at = now() WHERE order_id = $1",
                &[
                    &order,
                    &to.as_str(),
                    &update.provider_ref,
                    &update.next_action,
                    &update.decline_code,
                    &update.captured_minor,
                    &update.refunded_minor,
                ],
            )
            .await
            .map(|_| ())
            .map_err(CommerceError::from)
        }),
        Box::pin(record(tx, "payment", order, Some(from.as_str()), to.as_str(), reason, region)),
    ];
    crate::pipeline(writes).await?;
    Ok(true)
}

/// Records a provider event id; false when it was already applied (a duplicate).
pub async fn first_seen_event(
    tx: &impl GenericClient,
    event: &str,
    kind: &str,
    order: Option<Uuid>,
    region: &str,
) -> Result<bool> {
    let n = tx
        .execute_cached(
            "INSERT INTO payment_events (event_id, kind, order_id, region) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (event_id) DO NOTHING",
            &[&event, &kind, &order, &region],
        )
        .await?;
    Ok(n == 1)
}

/// Orders whose payment has been unsettled for longer than `seconds`: the reconciliation job
/// asks the provider about them. That is a payment pending (or awaiting the shopper's action)
/// on an order awaiting it, and a payment that may hold money (pending, awaiting action or
/// authorized) on an order that failed or was cancelled, so that its authorization is voided.
pub async fn stale_payments(
    client: &impl GenericClient,
    seconds: i64,
    limit: i64,
) -> Result<Vec<(Uuid, PaymentStatus, i64)>> {
    let rows = client
        .query_cached(
            "SELECT p.order_id, p.status, EXTRACT(EPOCH FROM (now() - p.created_at))::INT8 FROM payments p \
             JOIN orders o ON o.id = p.order_id \
             WHERE ((p.status IN ('pending', 'requires_action') AND o.status = 'pending_payment') \
                 OR (p.status IN ('pending', 'requires_action', 'authorized') AND o.status IN ('cancelled', 'payment_failed'))) \
               AND p.updated_at < $1 \
             ORDER BY p.updated_at LIMIT $2",
            &[&(OffsetDateTime::now_utc() - time::Duration::seconds(seconds)), &limit],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| {
            let s: String = r.get(1);
            (r.get(0), PaymentStatus::parse(&s).unwrap_or(PaymentStatus::Pending), r.get(2))
        })
        .collect())
}

/// A shopper's orders, newest first, at most `limit`.
pub async fn ids_of_user(
    client: &impl GenericClient,
    user: Uuid,
    after: Option<(OffsetDateTime, Uuid)>,
    limit: i64,
) -> Result<Vec<(Uuid, OffsetDateTime)>> {
    let rows =
        match after {
            None => client
                .query_cached(
                    "SELECT id, created_at FROM orders WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
                    &[&user, &limit],
                )
                .await?,
            Some((at, id)) => {
                client
                    .query_cached(
                        "SELECT id, created_at FROM orders WHERE user_id = $1 AND (created_at, id) < ($3, $4) \
                     ORDER BY created_at DESC, id DESC LIMIT $2",
                        &[&user, &limit, &at, &id],
                    )
                    .await?
            }
        };
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// The order an authorization reference (our order id) or provider id belongs to.
pub async fn order_of_payment(client: &impl GenericClient, provider_ref: &str) -> Result<Option<Uuid>> {
    Ok(client
        .query_opt_cached("SELECT order_id FROM payments WHERE provider_ref = $1", &[&provider_ref])
        .await?
        .map(|r| r.get(0)))
}

/// Personal data of a shopper's orders removed (GDPR erasure): email and address go; amounts,
/// tax lines and the destination country stay as tax evidence.
pub async fn anonymize_for_user(tx: &impl GenericClient, user: Uuid) -> Result<u64> {
    Ok(tx
        .execute_cached(
            "UPDATE orders SET email = NULL, ship_to = NULL, user_id = NULL, updated_at = now() WHERE user_id = $1",
            &[&user],
        )
        .await?)
}

/// One order of a shopper's GDPR export (the `orders` section).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportedOrder {
    pub id: Uuid,
    pub number: String,
    pub market: String,
    pub status: String,
    pub currency: String,
    pub total_minor: i64,
    pub email: Option<String>,
    /// The address the order ships to, as recorded at checkout.
    pub ship_to: Option<Value>,
    pub created_at: OffsetDateTime,
}

/// A shopper's orders for a GDPR export, oldest first.
pub async fn export_for_user(client: &impl GenericClient, user: Uuid) -> Result<Vec<ExportedOrder>> {
    let rows = client
        .query_cached(
            "SELECT id, number, market, status, currency, total_minor, email, ship_to, created_at FROM orders \
             WHERE user_id = $1 ORDER BY created_at",
            &[&user],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| ExportedOrder {
            id: r.get(0),
            number: r.get(1),
            market: r.get(2),
            status: r.get(3),
            currency: r.get(4),
            total_minor: r.get(5),
            email: r.get(6),
            ship_to: r.get(7),
            created_at: r.get(8),
        })
        .collect())
}

// ----- returns -----

/// A return line to create: units of a variant and their refund.
#[derive(Clone, Debug)]
pub struct ReturnLine {
    pub variant_id: Uuid,
    pub quantity: i32,
    pub refund_minor: i64,
}

/// Records a requested return and counts its units as returned on the order's lines (so that a
/// unit cannot be returned twice).
pub async fn create_return(
    tx: &impl GenericClient,
    order: Uuid,
    reason: &str,
    lines: &[ReturnLine],
    refund: i64,
) -> Result<Uuid> {
    let region: String =
        tx.query_one_cached("SELECT region FROM orders WHERE id = $1 FOR UPDATE", &[&order]).await?.get(0);
    let id = Uuid::new_v4();
    tx.execute_cached(
        "INSERT INTO returns (id, order_id, status, reason, refund_minor, region) VALUES ($1, $2, 'requested', $3, $4, $5)",
        &[&id, &order, &reason, &refund, &region],
    )
    .await?;
    for l in lines {
        let n = tx
            .execute_cached(
                "UPDATE order_lines SET returned_quantity = returned_quantity + $3 \
                 WHERE order_id = $1 AND variant_id = $2 AND returned_quantity + $3 <= quantity",
                &[&order, &l.variant_id, &l.quantity],
            )
            .await?;
        if n == 0 {
            return Err(CommerceError::Rejected(
                "more units than the order has left to return".into(),
                "invalid_return",
            ));
        }
        tx.execute_cached(
            "INSERT INTO return_lines (return_id, variant_id, quantity, refund_minor, region) VALUES ($1, $2, $3, $4, $5)",
            &[&id, &l.variant_id, &l.quantity, &l.refund_minor, &region],
        )
        .await?;
    }
    record(tx, "return", id, None, "requested", reason, &region).await?;
    outbox::publish(
        tx,
        "return.requested",
        id,
        &region,
        &json!({"return_id": id, "order_id": order, "refund_minor": refund}),
    )
    .await?;
    Ok(id)
}

#[derive(Clone, Debug)]
pub struct ReturnView {
    pub id: Uuid,
    pub order_id: Uuid,
    pub status: ReturnStatus,
    pub reason: String,
    pub refund_minor: i64,
    /// The order's currency.
    pub currency: String,
    pub lines: Vec<ReturnLine>,
    pub created_at: OffsetDateTime,
    /// The carrier's return label, once the approved return has one.
    pub return_label: Option<super::shipping::ReturnLabel>,
}

/// A return (any viewer check is the caller's, through the order).
pub async fn return_view(client: &impl GenericClient, id: Uuid) -> Result<Option<ReturnView>> {
    let Some(r) = client
        .query_opt_cached(
            "SELECT r.id, r.order_id, r.status, r.reason, r.refund_minor, r.created_at, o.currency \
             FROM returns r JOIN orders o ON o.id = r.order_id WHERE r.id = $1",
            &[&id],
        )
        .await?
    else {
        return Ok(None);
    };
    let lines = client
        .query_cached(
            "SELECT variant_id, quantity, refund_minor FROM return_lines WHERE return_id = $1 ORDER BY variant_id",
            &[&id],
        )
        .await?
        .iter()
        .map(|l| ReturnLine { variant_id: l.get(0), quantity: l.get(1), refund_minor: l.get(2) })
        .collect();
    let return_label = super::shipping::return_label(client, id).await?;
    let status: String = r.get(2);
    Ok(Some(ReturnView {
        id: r.get(0),
        order_id: r.get(1),
        status: ReturnStatus::parse(&status).unwrap_or(ReturnStatus::Requested),
        reason: r.get(3),
        refund_minor: r.get(4),
        currency: r.get(6),
        lines,
        created_at: r.get(5),
        return_label,
    }))
}

/// The returns of an order.
pub async fn returns_of(client: &impl GenericClient, order: Uuid) -> Result<Vec<Uuid>> {
    Ok(client
        .query_cached("SELECT id FROM returns WHERE order_id = $1 ORDER BY created_at", &[&order])
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect())
}

/// Moves a return along its state machine (locking it). A rejected return gives its units
/// back to the order's returnable quantity.
pub async fn transition_return(
    tx: &impl GenericClient,
    id: Uuid,
    to: ReturnStatus,
    reason: &str,
) -> Result<ReturnStatus> {
    let row = tx
        .query_opt_cached("SELECT status, region, order_id FROM returns WHERE id = $1 FOR UPDATE", &[&id])
        .await?
        .ok_or(CommerceError::NotFound("return"))?;
    let (from, region, order): (String, String, Uuid) = (row.get(0), row.get(1), row.get(2));
    let from = ReturnStatus::parse(&from).unwrap_or(ReturnStatus::Requested);
    if from == to {
        return Ok(from);
    }
    if !from.can_become(to) {
        return Err(CommerceError::InvalidTransition { entity: "return", from: from.to_string(), to: to.to_string() });
    }
    tx.execute_cached("UPDATE returns SET status = $2, updated_at = now() WHERE id = $1", &[&id, &to.as_str()]).await?;
    if to == ReturnStatus::Rejected {
        tx.execute_cached(
            "UPDATE order_lines ol SET returned_quantity = ol.returned_quantity - rl.quantity \
             FROM return_lines rl WHERE rl.return_id = $1 AND ol.order_id = $2 AND ol.variant_id = rl.variant_id",
            &[&id, &order],
        )
        .await?;
    }
    record(tx, "return", id, Some(from.as_str()), to.as_str(), reason, &region).await?;
    outbox::publish(
        tx,
        &format!("return.{to}"),
        id,
        &region,
        &json!({"return_id": id, "order_id": order, "status": to.as_str()}),
    )
    .await?;
    Ok(from)
}

/// The state history of an order, its payment and its returns, oldest first.
pub async fn history(
    client: &impl GenericClient,
    order: Uuid,
) -> Result<Vec<(String, Option<String>, String, String, OffsetDateTime)>> {
    let rows = client
        .query_cached(
            "SELECT entity, from_state, to_state, reason, at FROM state_transitions \
             WHERE entity_id = $1 OR entity_id IN (SELECT id FROM returns WHERE order_id = $1) ORDER BY at, id",
            &[&order],
        )
        .await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4))).collect())
}
