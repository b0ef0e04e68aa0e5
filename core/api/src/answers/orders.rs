//! Orders and returns as the API answers them.

use core_store::commerce::orders::{OrderView, ReturnView};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use super::lines::{Label, VariantOptionDto};
use super::money::{MoneyDto, in_currency};
use super::quote::TotalsDto;
use core_app::clock::rfc3339;

#[derive(Serialize, ToSchema)]
pub struct OrderLineDto {
    variant_id: Uuid,
    sku: String,
    /// The product's name as the shopper saw it when ordering, in their language.
    name: String,
    /// The variant's distinguishing attributes as the shopper saw them.
    options: Vec<VariantOptionDto>,
    quantity: i32,
    unit_price: MoneyDto,
    discount: MoneyDto,
    total: MoneyDto,
    tax: MoneyDto,
    returned_quantity: i32,
}

#[derive(Serialize, ToSchema)]
pub struct PaymentDto {
    /// `pending`, `requires_action`, `authorized`, `declined`, `voided`, `captured`,
    /// `partially_refunded`, `refunded`.
    status: &'static str,
    /// What is authorized (the order's total).
    amount: MoneyDto,
    captured: MoneyDto,
    refunded: MoneyDto,
    /// When the shopper must act (3-D Secure): where to send them.
    next_action: Option<Value>,
    decline_code: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct OrderDto {
    id: Uuid,
    number: String,
    market: String,
    /// `pending_payment`, `confirmed`, `payment_failed`, `cancelled`, `shipped`.
    status: &'static str,
    currency: String,
    prices_include_tax: bool,
    totals: TotalsDto,
    lines: Vec<OrderLineDto>,
    payment: PaymentDto,
    created_at: String,
    shipped_at: Option<String>,
}

impl From<OrderView> for OrderDto {
    fn from(o: OrderView) -> Self {
        let money = in_currency(&o.currency);
        Self {
            id: o.id,
            number: o.number,
            market: o.market,
            status: o.status.as_str(),
            prices_include_tax: o.prices_include_tax,
            totals: TotalsDto::new(
                &o.currency,
                o.subtotal_minor,
                o.discount_minor,
                o.shipping_minor,
                o.tax_minor,
                o.total_minor,
            ),
            lines: o
                .lines
                .into_iter()
                .map(|l| {
                    let Label { name, options } = Label::from_stored(l.label, &l.sku);
                    OrderLineDto {
                        variant_id: l.variant_id,
                        sku: l.sku,
                        name,
                        options,
                        quantity: l.quantity,
                        unit_price: money(l.unit_price_minor),
                        discount: money(l.discount_minor),
                        total: money(l.total_minor),
                        tax: money(l.tax_minor),
                        returned_quantity: l.returned_quantity,
                    }
                })
                .collect(),
            payment: PaymentDto {
                status: o.payment.status.as_str(),
                amount: money(o.payment.amount_minor),
                captured: money(o.payment.captured_minor),
                refunded: money(o.payment.refunded_minor),
                next_action: o.payment.next_action,
                decline_code: o.payment.decline_code,
            },
            created_at: rfc3339(o.created_at),
            shipped_at: o.shipped_at.map(rfc3339),
            currency: o.currency.clone(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct OrderList {
    pub items: Vec<OrderDto>,
    /// The next page's `cursor`, when there are more orders.
    pub next_cursor: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ReturnDto {
    id: Uuid,
    order_id: Uuid,
    /// `requested`, `approved`, `rejected`, `received`, `refunded`.
    status: &'static str,
    reason: String,
    /// What the shopper gets back: the returned units' share of what they paid (discounts and
    /// tax prorated), and shipping when everything comes back.
    refund: MoneyDto,
    lines: Vec<ReturnLineDto>,
    created_at: String,
    /// The carrier's label for sending the units back, once the approved return has one.
    return_label: Option<ReturnLabelDto>,
}

#[derive(Serialize, ToSchema)]
pub struct ReturnLabelDto {
    carrier: String,
    tracking_number: String,
    label_url: String,
}

#[derive(Serialize, ToSchema)]
pub struct ReturnLineDto {
    variant_id: Uuid,
    quantity: i32,
    refund: MoneyDto,
}

impl From<ReturnView> for ReturnDto {
    fn from(r: ReturnView) -> Self {
        let money = in_currency(&r.currency);
        Self {
            id: r.id,
            order_id: r.order_id,
            status: r.status.as_str(),
            reason: r.reason,
            refund: money(r.refund_minor),
            lines: r
                .lines
                .into_iter()
                .map(|l| ReturnLineDto {
                    variant_id: l.variant_id,
                    quantity: l.quantity,
                    refund: money(l.refund_minor),
                })
                .collect(),
            created_at: rfc3339(r.created_at),
            return_label: r.return_label.map(|l| ReturnLabelDto {
                carrier: l.carrier,
                tracking_number: l.tracking_number,
                label_url: l.label_url,
            }),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct AdminOrderDto {
    pub order: OrderDto,
    pub email: Option<String>,
    pub ship_to: Option<Value>,
    pub returns: Vec<ReturnDto>,
    /// Every state change of the order, its payment and its returns.
    pub history: Vec<Value>,
}
