//! Promotions and coupons: the merchandiser's definitions (create, change, archive, list),
//! coupon codes (explicit, or generated in batches of up to 100,000), the reads the quote
//! needs (live automatic promotions, presented coupons), and redemption, which consumes one
//! use inside the checkout's transaction without ever going past a limit, under any
//! concurrency.
//!
//! Every function takes the caller's client or transaction. Writes run inside
//! [`crate::Store::transaction`]; when one returns `Err` the transaction must be rolled back
//! (the helper does so when its closure returns the error).
//!
//! Counters. `promotions.uses`, `coupons.uses` and `promotion_customer_uses` count the
//! redemptions that a limit applies to, and only while one does: a promotion or code without
//! a limit is never written at checkout (on CockroachDB those rows are GLOBAL, where writes are
//! slow, and a popular code would be a hot row). Setting a limit on a promotion that had none
//! recounts its redemptions from the log, so a limit always covers past uses.
//!
//! One file per job: [`admin`] (the merchandiser's definitions: create, change, archive,
//! list), [`coupons`] (codes added or generated, and listed), [`quote`] (what a quote reads:
//! live promotions and presented coupons), [`redemption`] (consuming and giving back uses) and
//! [`records`] (a promotion's row and the stored form of its definition). The rules that need
//! no database (building a definition from its parts, checking it, coupon code formats, the
//! stable reasons of refusals) are `core_domain::promotions`, re-exported here.

use crate::StoreError;
use crate::tx::AsSerializationFailure;

/// The columns [`records::record`] reads, for `SELECT … FROM promotions p`.
macro_rules! promotion_columns {
    () => {
        "p.id, p.name, p.priority, p.exclusive, p.kind, p.definition, p.currency, p.markets, p.starts_at, \
         p.ends_at, p.requires_coupon, p.usage_limit, p.per_customer_limit, p.uses, p.archived_at, p.created_at, \
         p.updated_at"
    };
}

pub mod admin;
pub mod coupons;
pub mod quote;
pub mod records;
pub mod redemption;

pub use admin::{
    PromotionPatch, PromotionQuery, StatusFilter, archive_promotion, create_promotion, get_promotion, list_promotions,
    update_promotion,
};
pub use core_domain::promotions::{
    CODE_ALPHABET, CouponRejection, CouponSource, GENERATED_CODE_LEN, KindName, KindParts, MAX_CODE_LEN,
    MAX_EXPLICIT_COUPONS, MAX_GENERATED_COUPONS, MAX_PREFIX_LEN, MAX_PRESENTED_COUPONS, MAX_TARGET_IDS, Presented,
    PromotionInput, PromotionRejection, build_kind, normalize_code,
};
pub use coupons::{CouponBatch, CouponQuery, CouponRecord, add_coupons, list_coupons};
pub use quote::{
    QuotePromotions, ResolvedCoupon, live_promotions, promotions_for_quote, resolve_coupon_codes, resolve_coupons,
};
pub use records::{PromotionRecord, created_micros};
pub use redemption::{Redemption, redeem, redemption_count, release};

/// Why a merchandiser's write did not happen.
#[derive(Debug, thiserror::Error)]
pub enum PromotionError {
    #[error(transparent)]
    Rejected(#[from] PromotionRejection),
    #[error("promotion not found")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<tokio_postgres::Error> for PromotionError {
    fn from(e: tokio_postgres::Error) -> Self {
        Self::Store(e.into())
    }
}

impl AsSerializationFailure for PromotionError {
    fn store_error(&self) -> Option<&StoreError> {
        match self {
            Self::Store(e) => Some(e),
            _ => None,
        }
    }
}

/// Why presented coupons could not be resolved or redeemed.
#[derive(Debug, thiserror::Error)]
pub enum CouponError {
    #[error(transparent)]
    Rejected(#[from] CouponRejection),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<tokio_postgres::Error> for CouponError {
    fn from(e: tokio_postgres::Error) -> Self {
        Self::Store(e.into())
    }
}

impl AsSerializationFailure for CouponError {
    fn store_error(&self) -> Option<&StoreError> {
        match self {
            Self::Store(e) => Some(e),
            _ => None,
        }
    }
}
