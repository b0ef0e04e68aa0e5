//! What the payment provider says, applied to orders: from checkout's own call, from signed
//! webhooks, and from the reconciliation job. Applying the same news twice, late, or out of
//! order leaves the same result: payment states only move forward (intermediate steps are
//! filled in, see `core_domain::payments`), each provider event id is applied once, and an
//! authorization that arrives for an order already failed or cancelled is voided, so that
//! nobody pays for an order they do not get.

use std::time::Duration;

use core_domain::orders::{OrderStatus, PaymentStatus};
use core_domain::payments::{self as walk, OrderChange, ProviderView};
use core_partners::payments::Authorization;
use core_store::commerce::orders::{self as orders_store, PaymentUpdate};
use core_store::commerce::payments as store;
use core_store::commerce::{CommerceError, inventory};
use http::StatusCode;
use uuid::Uuid;

use crate::App;
use crate::error::{AppError, AppResult};

/// One of the writes a transaction sends together.
type Write<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), AppError>> + Send + 'a>>;

/// The provider's event a piece of news came with: its id (applied at most once) and type.
#[derive(Clone, Copy, Debug)]
pub struct ProviderEvent<'a> {
    pub id: &'a str,
    pub kind: &'a str,
}

/// What applying the provider's news left to do outside the transaction.
enum After {
    Nothing,
    /// The order failed or was cancelled but the provider authorized it: void.
    Void(String),
}

fn view(auth: &Authorization) -> ProviderView<'_> {
    ProviderView { status: &auth.status, captured_minor: auth.captured_minor, refunded_minor: auth.refunded_minor }
}

/// The order a payment of the provider (its id) is for; `None` when no order has it.
pub async fn order_of_payment(app: &App, provider_id: &str) -> AppResult<Option<Uuid>> {
    let client = app.store.client().await?;
    Ok(orders_store::order_of_payment(&client, provider_id).await?)
}

/// Applies the provider's view of an order's authorization (from checkout, an order's
/// cancellation or shipment, or reconciliation).
pub async fn apply_authorization(app: &App, order: Uuid, auth: &Authorization, reason: &str) -> AppResult<()> {
    apply(app, order, auth, reason, None).await.map(|_| ())
}

/// Applies the provider's view of an order's authorization; with `event`, the provider's event
/// is applied at most once. Returns false for an event seen before. Fails with
/// `order_not_found` for an unknown order and `payment_busy` (409) when another transaction is
/// applying news to the same payment: the provider sends its event again later.
pub async fn apply(
    app: &App,
    order: Uuid,
    auth: &Authorization,
    reason: &str,
    event: Option<ProviderEvent<'_>>,
) -> AppResult<bool> {
    let Some(to) = walk::target(view(auth)) else {
        tracing::warn!(order = %order, status = %auth.status, "unknown payment status from the provider; ignored");
        return Ok(true);
    };
    // A provider event with nothing new (a duplicate, a late one, or news that checkout's own
    // call already applied): record its id and stop, without a transaction.
    if let Some(event) = event {
        let client = app.store.client().await?;
        if let Some(now) = store::state(&client, order).await?
            && now.has_provider_ref
            && !walk::is_news(now.order, now.payment, to)
        {
            return Ok(orders_store::first_seen_event(&client, event.id, event.kind, Some(order), &now.region).await?);
        }
    }
    let (auth, reason) = (auth.clone(), reason.to_string());
    let event = event.map(|e| (e.id.to_string(), e.kind.to_string()));
    let (fresh, after) = app
        .store
        .transaction(|tx| {
            let (auth, reason, event) = (auth.clone(), reason.clone(), event.clone());
            Box::pin(async move {
                // Checkout's own call may be applying this very news: rather than wait for it
                // and then fail to serialize, let the provider send the webhook again later.
                if event.is_some() && !store::lock_unless_busy(tx, order).await? {
                    return Err(AppError::new(
                        StatusCode::CONFLICT,
                        "payment_busy",
                        "this payment is being updated; send the event again",
                    ));
                }
                let (order_status, payment_status, region) =
                    orders_store::lock_with_payment(tx, order).await?.ok_or(CommerceError::NotFound("order"))?;
                if let Some((id, kind)) = &event
                    && !orders_store::first_seen_event(tx, id, kind, Some(order), &region).await?
                {
                    return Ok::<_, AppError>((false, After::Nothing));
                }
                let update = PaymentUpdate {
                    provider_ref: (!auth.id.is_empty()).then(|| auth.id.clone()),
                    next_action: (to == PaymentStatus::RequiresAction).then(|| auth.next_action.clone()).flatten(),
                    decline_code: auth.decline_code.clone(),
                    captured_minor: auth.captured_minor,
                    refunded_minor: auth.refunded_minor,
                };
                let (update, reason, region) = (&update, &reason, &region);
                // Both rows are locked: the payment's steps and the order's move go out together.
                let payment_moved = async move {
                    let steps = walk::path(payment_status, to);
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
                    Ok::<_, AppError>(())
                };
                let mut after = After::Nothing;
                let order_moved: Option<Write<'_>> = match walk::order_change(order_status, payment_status, to) {
                    OrderChange::Confirm => Some(Box::pin(async move {
                        orders_store::move_order(tx, order, order_status, OrderStatus::Confirmed, reason, region)
                            .await?;
                        Ok(())
                    })),
                    OrderChange::Void => {
                        after = After::Void(auth.id.clone());
                        None
                    }
                    OrderChange::Fail => Some(Box::pin(async move {
                        orders_store::move_order(tx, order, order_status, OrderStatus::PaymentFailed, reason, region)
                            .await?;
                        give_back(tx, order).await
                    })),
                    OrderChange::None => None,
                };
                let writes: Vec<Write<'_>> =
                    std::iter::once(Box::pin(payment_moved) as Write<'_>).chain(order_moved).collect();
                core_store::pipeline(writes).await?;
                Ok((true, after))
            })
        })
        .await?;
    if let After::Void(auth_id) = after
        && let Some(gateway) = &app.payments
    {
        tracing::warn!(order = %order, "authorization for an order that failed or was cancelled: voiding it");
        match gateway.void(&auth_id).await {
            Ok(voided) => {
                Box::pin(apply(app, order, &voided, "voided: order no longer payable", None)).await.map(|_| ())?
            }
            Err(e) => tracing::warn!(order = %order, error = %e, "void failed; reconciliation will retry"),
        }
    }
    Ok(fresh)
}

/// Gives back what an unpaid order held, its stock and its promotion uses, and opens its cart
/// again: the shopper pays it with another card (a new checkout of the same cart).
pub async fn give_back(tx: &impl core_store::Db, order: Uuid) -> AppResult<()> {
    inventory::release(tx, order).await?;
    core_store::promotions::release(tx, &order.to_string()).await?;
    core_store::commerce::carts::reopen_for_order(tx, order).await?;
    Ok(())
}

/// Settles orders whose payment outcome is unknown (the provider timed out, the webhook is
/// late) by asking the provider, and fails unpaid orders whose stock hold expired.
pub fn spawn_reconciler(app: App, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = reconcile_once(&app).await {
                tracing::warn!(error = ?e, "reconciliation round failed");
            }
        }
    })
}

/// One reconciliation round; returns how many orders it settled.
pub async fn reconcile_once(app: &App) -> AppResult<usize> {
    let Some(gateway) = app.payments.clone() else { return Ok(0) };
    let stale = {
        let client = app.store.client().await?;
        orders_store::stale_payments(&client, 5, 100).await?
    };
    let mut settled = 0;
    for (order, _status, age_seconds) in stale {
        match gateway.find(order).await {
            Ok(Some(auth)) => {
                apply_authorization(app, order, &auth, "reconciliation").await?;
                settled += 1;
            }
            Ok(None) if age_seconds > 120 => {
                // The provider never saw it: the payment failed.
                fail_unpaid(app, order, "no authorization at the provider").await?;
                settled += 1;
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(order = %order, error = %e, "provider unreachable during reconciliation"),
        }
    }
    let expired = {
        let client = app.store.client().await?;
        inventory::expired_holds(&client, 100).await?
    };
    for order in expired {
        // Check the provider first: a late payment must confirm, not fail.
        if let Ok(Some(auth)) = gateway.find(order).await {
            apply_authorization(app, order, &auth, "reconciliation").await?;
        }
        fail_unpaid(app, order, "stock hold expired").await?;
        settled += 1;
    }
    Ok(settled)
}

/// Fails an order still awaiting payment and gives back what it held.
async fn fail_unpaid(app: &App, order: Uuid, reason: &str) -> AppResult<()> {
    let reason = reason.to_string();
    app.store
        .transaction(|tx| {
            let reason = reason.clone();
            Box::pin(async move {
                let (status, payment) = store::lock_order_with_payment_state(tx, order).await?;
                if status != OrderStatus::PendingPayment {
                    // Cancelled while its payment was unsettled, and the provider never took
                    // it: nothing was paid.
                    if matches!(payment, PaymentStatus::Pending | PaymentStatus::RequiresAction) {
                        orders_store::update_payment(
                            tx,
                            order,
                            PaymentStatus::Declined,
                            &PaymentUpdate::default(),
                            &reason,
                        )
                        .await?;
                    }
                    return Ok::<_, AppError>(());
                }
                orders_store::update_payment(tx, order, PaymentStatus::Declined, &PaymentUpdate::default(), &reason)
                    .await?;
                orders_store::transition_order(tx, order, OrderStatus::PaymentFailed, &reason).await?;
                give_back(tx, order).await
            })
        })
        .await
}
