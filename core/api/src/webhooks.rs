//! What the payment provider says, applied to orders: from checkout's own call, from signed
//! webhooks, and from the reconciliation job. Applying the same news twice, late, or out of
//! order leaves the same result: payment states only move forward (intermediate steps are
//! filled in), each provider event id is applied once, and an authorization that arrives for an
//! order already failed or cancelled is voided, so that nobody pays for an order they do not
//! get.

use std::time::{Duration, SystemTime};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use core_domain::orders::{OrderStatus, PaymentStatus};
use core_store::Prepared;
use core_store::commerce::orders::{self as orders_store, PaymentUpdate};
use core_store::commerce::{CommerceError, inventory};
use partners_signing::{DEFAULT_TOLERANCE, PAYMENT_SIGNATURE_HEADER as SIGNATURE_HEADER, verify_signature};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use core_partners::payments::Authorization;

/// One of the writes a transaction sends together.
type Write<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), ApiError>> + Send + 'a>>;

pub fn router() -> Router<AppState> {
    Router::new().route("/webhooks/payments", post(payment_webhook))
}

/// Our payment state for the provider's view of an authorization: refunds keep the provider's
/// status `captured`, their extent is in `refunded_minor`.
fn target(auth: &Authorization) -> Option<PaymentStatus> {
    Some(match auth.status.as_str() {
        "authorized" => PaymentStatus::Authorized,
        "declined" => PaymentStatus::Declined,
        "requires_action" => PaymentStatus::RequiresAction,
        "captured" => match (auth.refunded_minor.unwrap_or(0), auth.captured_minor.unwrap_or(0)) {
            (0, _) => PaymentStatus::Captured,
            (refunded, captured) if refunded >= captured => PaymentStatus::Refunded,
            _ => PaymentStatus::PartiallyRefunded,
        },
        "voided" => PaymentStatus::Voided,
        _ => return None,
    })
}

/// The steps from `from` to `to` along the payment state machine (shortest path), empty when
/// `to` is not ahead of `from`.
fn path(from: PaymentStatus, to: PaymentStatus) -> Vec<PaymentStatus> {
    use PaymentStatus::*;
    const ALL: [PaymentStatus; 8] =
        [Pending, RequiresAction, Authorized, Declined, Voided, Captured, PartiallyRefunded, Refunded];
    if from == to {
        return Vec::new();
    }
    let mut queue = std::collections::VecDeque::from([(from, Vec::new())]);
    let mut seen = vec![from];
    while let Some((at, steps)) = queue.pop_front() {
        for next in ALL {
            if !at.can_become(next) || seen.contains(&next) {
                continue;
            }
            let mut steps = steps.clone();
            steps.push(next);
            if next == to {
                return steps;
            }
            seen.push(next);
            queue.push_back((next, steps));
        }
    }
    Vec::new()
}

/// Whether news that the payment is now `to` changes an order that is `order`: confirms it,
/// fails it, or calls for a void.
fn order_change_needed(order: OrderStatus, payment: PaymentStatus, to: PaymentStatus) -> bool {
    let paid = matches!(
        to,
        PaymentStatus::Authorized
            | PaymentStatus::Captured
            | PaymentStatus::PartiallyRefunded
            | PaymentStatus::Refunded
    );
    (paid && order == OrderStatus::PendingPayment)
        || (to == PaymentStatus::Authorized
            && payment != PaymentStatus::Voided
            && matches!(order, OrderStatus::Cancelled | OrderStatus::PaymentFailed))
        || (to == PaymentStatus::Declined && order == OrderStatus::PendingPayment)
}

/// What applying the provider's news left to do outside the transaction.
enum After {
    Nothing,
    /// The order failed or was cancelled but the provider authorized it: void.
    Void(String),
}

/// Applies the provider's view of an order's authorization (from checkout, a webhook or
/// reconciliation). `event`: the webhook's event id and type, applied at most once.
pub(crate) async fn apply_authorization(
    state: &AppState,
    order: Uuid,
    auth: &Authorization,
    reason: &str,
) -> ApiResult<()> {
    apply(state, order, auth, reason, None).await.map(|_| ())
}

async fn apply(
    state: &AppState,
    order: Uuid,
    auth: &Authorization,
    reason: &str,
    event: Option<(&str, &str)>,
) -> ApiResult<bool> {
    let Some(to) = target(auth) else {
        tracing::warn!(order = %order, status = %auth.status, "unknown payment status from the provider; ignored");
        return Ok(true);
    };
    // A provider event with nothing new (a duplicate, a late one, or news that checkout's own
    // call already applied): record its id and stop, without a transaction.
    if let Some((id, kind)) = event {
        let client = state.store.client().await?;
        let row = client
            .query_opt_cached(
                "SELECT o.status, o.region, p.status, p.provider_ref IS NOT NULL FROM orders o \
                 JOIN payments p ON p.order_id = o.id WHERE o.id = $1",
                &[&order],
            )
            .await
            .map_err(core_store::StoreError::from)?;
        if let Some(row) = row {
            let (order_status, region, payment_status, has_ref): (String, String, String, bool) =
                (row.get(0), row.get(1), row.get(2), row.get(3));
            let order_status = OrderStatus::parse(&order_status).unwrap_or(OrderStatus::PendingPayment);
            let payment_status = PaymentStatus::parse(&payment_status).unwrap_or(PaymentStatus::Pending);
            if has_ref && path(payment_status, to).is_empty() && !order_change_needed(order_status, payment_status, to)
            {
                return Ok(orders_store::first_seen_event(&client, id, kind, Some(order), &region).await?);
            }
        }
    }
    let (auth, reason) = (auth.clone(), reason.to_string());
    let event = event.map(|(id, kind)| (id.to_string(), kind.to_string()));
    let (fresh, after) = state
        .store
        .transaction(|tx| {
            let (auth, reason, event) = (auth.clone(), reason.clone(), event.clone());
            Box::pin(async move {
                if event.is_some() {
                    // Checkout's own call may be applying this very news: rather than wait for it
                    // and then fail to serialize, let the provider send the webhook again later.
                    if let Err(e) = tx
                        .query_opt_cached("SELECT 1 FROM payments WHERE order_id = $1 FOR UPDATE NOWAIT", &[&order])
                        .await
                    {
                        if e.code() == Some(&core_store::tokio_postgres::error::SqlState::LOCK_NOT_AVAILABLE) {
                            return Err(ApiError::new(
                                StatusCode::CONFLICT,
                                "payment_busy",
                                "this payment is being updated; send the event again",
                            ));
                        }
                        return Err(core_store::StoreError::from(e).into());
                    }
                }
                let (order_status, payment_status, region) =
                    orders_store::lock_with_payment(tx, order).await?.ok_or(CommerceError::NotFound("order"))?;
                if let Some((id, kind)) = &event
                    && !orders_store::first_seen_event(tx, id, kind, Some(order), &region).await?
                {
                    return Ok::<_, ApiError>((false, After::Nothing));
                }
                let update = PaymentUpdate {
                    provider_ref: (!auth.id.is_empty()).then(|| auth.id.clone()),
                    next_action: (to == PaymentStatus::RequiresAction).then(|| auth.next_action.clone()).flatten(),
                    decline_code: auth.decline_code.clone(),
                    captured_minor: auth.captured_minor,
                    refunded_minor: auth.refunded_minor,
                };
                let paid = matches!(
                    to,
                    PaymentStatus::Authorized
                        | PaymentStatus::Captured
                        | PaymentStatus::PartiallyRefunded
                        | PaymentStatus::Refunded
                );
                let (update, reason, region) = (&update, &reason, &region);
                // Both rows are locked: the payment's steps and the order's move go out together.
                let payment_moved = async move {
                    let steps = path(payment_status, to);
                    if steps.is_empty() {
                        // Nothing new; remember the provider's id all the same.
                        orders_store::move_payment(tx, order, payment_status, payment_status, update, reason, region)
                            .await?;
                    }
                    let mut from = payment_status;
                    for step in steps {
                        orders_store::move_payment(tx, order, from, step, update, reason, region).await?;
                        from = step;
                    }
                    Ok::<_, ApiError>(())
                };
                let mut after = After::Nothing;
                let order_moved: Option<Write<'_>> = if paid && order_status == OrderStatus::PendingPayment {
                    Some(Box::pin(async move {
                        orders_store::move_order(tx, order, order_status, OrderStatus::Confirmed, reason, region)
                            .await?;
                        Ok(())
                    }))
                } else if to == PaymentStatus::Authorized
                    && payment_status != PaymentStatus::Voided
                    && matches!(order_status, OrderStatus::Cancelled | OrderStatus::PaymentFailed)
                {
                    after = After::Void(auth.id.clone());
                    None
                } else if to == PaymentStatus::Declined && order_status == OrderStatus::PendingPayment {
                    Some(Box::pin(async move {
                        orders_store::move_order(tx, order, order_status, OrderStatus::PaymentFailed, reason, region)
                            .await?;
                        give_back(tx, order).await
                    }))
                } else {
                    None
                };
                let writes: Vec<Write<'_>> =
                    std::iter::once(Box::pin(payment_moved) as Write<'_>).chain(order_moved).collect();
                core_store::pipeline(writes).await?;
                Ok((true, after))
            })
        })
        .await?;
    if let After::Void(auth_id) = after
        && let Some(gateway) = &state.payments
    {
        tracing::warn!(order = %order, "authorization for an order that failed or was cancelled: voiding it");
        match gateway.void(&auth_id).await {
            Ok(voided) => {
                Box::pin(apply(state, order, &voided, "voided: order no longer payable", None)).await.map(|_| ())?
            }
            Err(e) => tracing::warn!(order = %order, error = %e, "void failed; reconciliation will retry"),
        }
    }
    Ok(fresh)
}

/// Gives back what an unpaid order held: its stock and its promotion uses.
pub(crate) async fn give_back(tx: &impl core_store::GenericClient, order: Uuid) -> Result<(), ApiError> {
    inventory::release(tx, order).await?;
    core_store::promotions::release(tx, &order.to_string()).await?;
    Ok(())
}

#[derive(Deserialize)]
struct Event {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    data: Value,
}

#[utoipa::path(post, path = "/webhooks/payments", tag = "partners",
    params(("Payment-Signature" = String, Header, description = "`t=<unix seconds>,v1=<hex HMAC-SHA256(secret, \"<t>.<body>\")>`")),
    request_body(content = Object, description = "the provider's event: `id`, `type`, `data` (the authorization)", content_type = "application/json"),
    responses((status = 200, description = "received (`duplicate` when seen before), ignored, or acknowledged but not applied (`applied: false`, `reason`)"),
        (status = 400, body = crate::error::ErrorBody, description = "invalid_json, invalid_text"),
        (status = 401, body = crate::error::ErrorBody, description = "invalid_signature"),
        (status = 409, body = crate::error::ErrorBody, description = "payment_busy: send the event again")))]
/// `POST /webhooks/payments`: the provider's signed events. A forged, tampered or replayed
/// one is refused (401); a duplicate is acknowledged and ignored; one about a payment or an
/// order we do not know is acknowledged and recorded for operators (see
/// [`crate::partner_events`]), so that the provider stops sending it.
pub async fn payment_webhook(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> ApiResult<Json<Value>> {
    let signature = headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let secret = state.payments_webhook_secret.expose().as_bytes();
    if let Err(why) = verify_signature(secret, signature, &body, SystemTime::now(), DEFAULT_TOLERANCE) {
        tracing::warn!(reason = %why, "webhook refused");
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_signature",
            "the webhook signature does not verify",
        ));
    }
    let event: Event =
        serde_json::from_slice(&body).map_err(|_| ApiError::bad_request("invalid_json", "malformed event"))?;
    let auth: Authorization = match serde_json::from_value(event.data.clone()) {
        Ok(a) => a,
        Err(_) => return Ok(Json(json!({"ignored": true}))),
    };
    let order = match auth.reference.as_deref().and_then(|r| Uuid::parse_str(r).ok()) {
        Some(o) => Some(o),
        None => {
            let client = state.store.client().await?;
            orders_store::order_of_payment(&client, &auth.id).await?
        }
    };
    let Some(order) = order else {
        return crate::partner_events::acknowledge(
            &state,
            "payments",
            &event.id,
            &event.kind,
            "unknown_payment",
            Some(auth.id.clone()),
        )
        .await;
    };
    match apply(&state, order, &auth, &format!("webhook {}", event.kind), Some((&event.id, &event.kind))).await {
        Ok(fresh) => Ok(Json(json!({"received": true, "duplicate": !fresh}))),
        Err(e) if e.code == "order_not_found" => {
            crate::partner_events::acknowledge(
                &state,
                "payments",
                &event.id,
                &event.kind,
                "unknown_order",
                Some(order.to_string()),
            )
            .await
        }
        Err(e) => Err(e),
    }
}

/// Settles orders whose payment outcome is unknown (the provider timed out, the webhook is
/// late) by asking the provider, and fails unpaid orders whose stock hold expired.
pub fn spawn_reconciler(state: AppState, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = reconcile_once(&state).await {
                tracing::warn!(error = ?e, "reconciliation round failed");
            }
        }
    })
}

/// One reconciliation round; returns how many orders it settled.
pub async fn reconcile_once(state: &AppState) -> ApiResult<usize> {
    let Some(gateway) = state.payments.clone() else { return Ok(0) };
    let stale = {
        let client = state.store.client().await?;
        orders_store::stale_payments(&client, 5, 100).await?
    };
    let mut settled = 0;
    for (order, _status, age_seconds) in stale {
        match gateway.find(order).await {
            Ok(Some(auth)) => {
                apply_authorization(state, order, &auth, "reconciliation").await?;
                settled += 1;
            }
            Ok(None) if age_seconds > 120 => {
                // The provider never saw it: the payment failed.
                fail_unpaid(state, order, "no authorization at the provider").await?;
                settled += 1;
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(order = %order, error = %e, "provider unreachable during reconciliation"),
        }
    }
    let expired = {
        let client = state.store.client().await?;
        inventory::expired_holds(&client, 100).await?
    };
    for order in expired {
        // Check the provider first: a late payment must confirm, not fail.
        if let Ok(Some(auth)) = gateway.find(order).await {
            apply_authorization(state, order, &auth, "reconciliation").await?;
        }
        fail_unpaid(state, order, "stock hold expired").await?;
        settled += 1;
    }
    Ok(settled)
}

/// Fails an order still awaiting payment and gives back what it held.
async fn fail_unpaid(state: &AppState, order: Uuid, reason: &str) -> ApiResult<()> {
    let reason = reason.to_string();
    state
        .store
        .transaction(|tx| {
            let reason = reason.clone();
            Box::pin(async move {
                let status: String = tx
                    .query_one_cached("SELECT status FROM orders WHERE id = $1 FOR UPDATE", &[&order])
                    .await
                    .map_err(core_store::StoreError::from)?
                    .get(0);
                if status != OrderStatus::PendingPayment.as_str() {
                    // Cancelled while its payment was unsettled, and the provider never took
                    // it: nothing was paid.
                    let payment: String = tx
                        .query_one_cached("SELECT status FROM payments WHERE order_id = $1", &[&order])
                        .await
                        .map_err(core_store::StoreError::from)?
                        .get(0);
                    if matches!(
                        PaymentStatus::parse(&payment),
                        Some(PaymentStatus::Pending | PaymentStatus::RequiresAction)
                    ) {
                        orders_store::update_payment(
                            tx,
                            order,
                            PaymentStatus::Declined,
                            &PaymentUpdate::default(),
                            &reason,
                        )
                        .await?;
                    }
                    return Ok::<_, ApiError>(());
                }
                orders_store::update_payment(tx, order, PaymentStatus::Declined, &PaymentUpdate::default(), &reason)
                    .await?;
                orders_store::transition_order(tx, order, OrderStatus::PaymentFailed, &reason).await?;
                give_back(tx, order).await
            })
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use PaymentStatus::*;

    #[test]
    fn paths_fill_in_skipped_steps() {
        assert_eq!(path(Pending, Authorized), vec![Authorized]);
        assert_eq!(path(Pending, Captured), vec![Authorized, Captured]);
        assert_eq!(path(Pending, Refunded), vec![Authorized, Captured, Refunded]);
        assert_eq!(path(RequiresAction, Captured), vec![Authorized, Captured]);
        assert!(path(Captured, Authorized).is_empty(), "never backwards");
        assert!(path(Declined, Authorized).is_empty());
        assert!(path(Authorized, Authorized).is_empty());
    }

    #[test]
    fn refunds_are_read_from_the_amounts() {
        let auth = |status: &str, captured, refunded| Authorization {
            id: "auth_1".into(),
            status: status.into(),
            amount_minor: 1000,
            captured_minor: Some(captured),
            refunded_minor: Some(refunded),
            decline_code: None,
            next_action: None,
            reference: None,
        };
        assert_eq!(target(&auth("captured", 1000, 0)), Some(Captured));
        assert_eq!(target(&auth("captured", 1000, 400)), Some(PartiallyRefunded));
        assert_eq!(target(&auth("captured", 1000, 1000)), Some(Refunded));
        assert_eq!(target(&auth("authorized", 0, 0)), Some(Authorized));
        assert_eq!(target(&auth("something_new", 0, 0)), None);
    }
}
