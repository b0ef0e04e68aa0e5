//! Promotion store tests against a real PostgreSQL (run with `cargo xtask test`): usage limits
//! under concurrency, coupon resolution and its error codes, generated codes, releases.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use core_domain::promotions::{Discount, PromotionKind, Target};
use core_store::promotions::{
    self as promos, CouponError, CouponRejection, CouponSource, KindName, KindParts, PromotionError, PromotionInput,
    PromotionPatch, PromotionQuery, PromotionRejection, Redemption, StatusFilter,
};
use core_store::{Store, StoreConfig};
use regions::Rate;
use uuid::Uuid;

struct Env {
    store: Store,
    regions: Arc<regions::Catalog>,
}

async fn env() -> Env {
    let db = testkit::TestDb::migrated().await.expect("test database");
    // Enough connections for real contention; tasks beyond them wait for one.
    let config =
        StoreConfig { max_connections: 32, acquire_timeout: Duration::from_secs(120), ..StoreConfig::new(db.url) };
    let store = Store::connect(&config).expect("store");
    let regions = Arc::new(regions::Catalog::load_workspace().expect("regions"));
    Env { store, regions }
}

fn now() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000) as i64
}

const HOUR: i64 = 3_600_000_000;

fn percent_off(p: &str) -> PromotionKind {
    PromotionKind::Order {
        target: Target::All,
        min_subtotal: 0,
        discount: Discount::Percent(Rate::parse_percent(p).unwrap()),
    }
}

fn coupon_promotion() -> PromotionInput {
    PromotionInput {
        name: "Summer".into(),
        priority: 0,
        exclusive: false,
        kind: percent_off("10"),
        currency: None,
        markets: Vec::new(),
        starts_at: None,
        ends_at: None,
        requires_coupon: true,
        usage_limit: None,
        per_customer_limit: None,
    }
}

impl Env {
    async fn create(&self, input: PromotionInput) -> Uuid {
        self.try_create(input).await.expect("create promotion")
    }

    async fn try_create(&self, input: PromotionInput) -> Result<Uuid, PromotionError> {
        let regions = self.regions.clone();
        self.store
            .transaction(|tx| {
                let (regions, input) = (regions.clone(), input.clone());
                Box::pin(async move { promos::create_promotion(tx, &regions, &input).await })
            })
            .await
    }

    async fn add_coupons(
        &self,
        promotion: Uuid,
        source: CouponSource,
        limit: Option<i64>,
    ) -> Result<promos::CouponBatch, PromotionError> {
        self.store
            .transaction(|tx| {
                let source = source.clone();
                Box::pin(async move { promos::add_coupons(tx, promotion, &source, limit).await })
            })
            .await
    }

    async fn codes(&self, promotion: Uuid, codes: &[&str], limit: Option<i64>) {
        let codes = codes.iter().map(|c| c.to_string()).collect();
        self.add_coupons(promotion, CouponSource::Codes(codes), limit).await.expect("add coupons");
    }

    async fn redeem(
        &self,
        promotion: Uuid,
        code: Option<&str>,
        customer: Option<&str>,
        order: &str,
    ) -> Result<Uuid, CouponError> {
        let (code, customer, order) = (code.map(String::from), customer.map(String::from), order.to_string());
        self.store
            .transaction(|tx| {
                let (code, customer, order) = (code.clone(), customer.clone(), order.clone());
                Box::pin(async move {
                    let r = Redemption {
                        promotion_id: promotion,
                        code: code.as_deref(),
                        customer: customer.as_deref(),
                        order_ref: &order,
                        region: "eu-west",
                    };
                    promos::redeem(tx, &r).await
                })
            })
            .await
    }

    async fn resolve(&self, codes: &[&str], market: &str, customer: Option<&str>) -> Result<Vec<Uuid>, String> {
        let client = self.store.client().await.unwrap();
        let codes: Vec<String> = codes.iter().map(|c| c.to_string()).collect();
        match promos::resolve_coupons(&client, &codes, market, now(), customer).await {
            Ok(ps) => Ok(ps.into_iter().map(|p| p.id).collect()),
            Err(CouponError::Rejected(r)) => Err(r.code().to_string()),
            Err(CouponError::Store(e)) => panic!("store error: {e}"),
        }
    }

    async fn count(&self, sql: &str, id: Uuid) -> i64 {
        let client = self.store.client().await.unwrap();
        client.query_one(sql, &[&id]).await.unwrap().get(0)
    }

    async fn live(&self, market: &str) -> Vec<Uuid> {
        let client = self.store.client().await.unwrap();
        promos::live_promotions(&client, market, now()).await.unwrap().into_iter().map(|p| p.id).collect()
    }

    /// Runs `n` redemptions at once (`attempt(i)` gives the code, customer and order of the
    /// i-th); returns the successes and the error codes of the others.
    async fn race(
        &self,
        n: usize,
        promotion: Uuid,
        attempt: impl Fn(usize) -> (Option<String>, Option<String>, String),
    ) -> (usize, Vec<String>) {
        let barrier = Arc::new(tokio::sync::Barrier::new(n));
        let tasks: Vec<_> = (0..n)
            .map(|i| {
                let (code, customer, order) = attempt(i);
                let store = self.store.clone();
                let regions = self.regions.clone();
                let barrier = barrier.clone();
                tokio::spawn(async move {
                    let env = Env { store, regions };
                    barrier.wait().await;
                    env.redeem(promotion, code.as_deref(), customer.as_deref(), &order).await
                })
            })
            .collect();
        let mut ok = 0;
        let mut refused = Vec::new();
        for t in tasks {
            match t.await.expect("task") {
                Ok(_) => ok += 1,
                Err(CouponError::Rejected(r)) => refused.push(r.code().to_string()),
                Err(CouponError::Store(e)) => panic!("store error: {e}"),
            }
        }
        (ok, refused)
    }
}

fn all_are(codes: &[String], code: &str) -> bool {
    codes.iter().all(|c| c == code)
}

/// The scenario: 200 shoppers redeem a 50-use coupon at the same moment.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_shoppers_race_for_a_fifty_use_coupon() {
    let env = env().await;
    let promotion = env.create(coupon_promotion()).await;
    env.codes(promotion, &["FLASH50"], Some(50)).await;

    let (ok, refused) = env
        .race(200, promotion, |i| (Some("flash50".into()), Some(format!("customer-{i}")), format!("order-{i}")))
        .await;

    assert_eq!(ok, 50, "exactly the limit succeeds");
    assert_eq!(refused.len(), 150);
    assert!(all_are(&refused, "coupon_exhausted"), "{refused:?}");
    assert_eq!(env.count("SELECT uses FROM coupons WHERE promotion_id = $1", promotion).await, 50);
    assert_eq!(env.count("SELECT count(*) FROM promotion_redemptions WHERE promotion_id = $1", promotion).await, 50);
    // The race was real: some transactions collided and were retried.
    assert!(env.store.stats().serialization_retries() > 0, "no contention happened");
    assert_eq!(env.resolve(&["FLASH50"], "fr", None).await, Err("coupon_exhausted".into()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_use_per_customer_holds_under_concurrency() {
    let env = env().await;
    let promotion = env.create(PromotionInput { per_customer_limit: Some(1), ..coupon_promotion() }).await;
    env.codes(promotion, &["WELCOME"], None).await;

    let (ok, refused) =
        env.race(20, promotion, |i| (Some("WELCOME".into()), Some("alice".into()), format!("order-{i}"))).await;

    assert_eq!(ok, 1);
    assert_eq!(refused.len(), 19);
    assert!(all_are(&refused, "coupon_limit_reached_for_customer"), "{refused:?}");
    assert_eq!(env.count("SELECT uses::INT8 FROM promotion_customer_uses WHERE promotion_id = $1", promotion).await, 1);
    assert_eq!(env.count("SELECT count(*) FROM promotion_redemptions WHERE promotion_id = $1", promotion).await, 1);
    // Another customer still may; alice may not.
    assert!(env.redeem(promotion, Some("welcome"), Some("bob"), "order-bob").await.is_ok());
    assert_eq!(env.resolve(&["WELCOME"], "fr", Some("alice")).await, Err("coupon_limit_reached_for_customer".into()));
    assert!(env.resolve(&["WELCOME"], "fr", Some("carol")).await.is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_promotion_total_limit_is_shared_by_its_codes() {
    let env = env().await;
    let promotion = env.create(PromotionInput { usage_limit: Some(30), ..coupon_promotion() }).await;
    let codes = ["SHARE-A", "SHARE-B", "SHARE-C", "SHARE-D", "SHARE-E"];
    env.codes(promotion, &codes, None).await;

    let (ok, refused) = env
        .race(100, promotion, |i| (Some(codes[i % codes.len()].into()), Some(format!("c{i}")), format!("o{i}")))
        .await;

    assert_eq!(ok, 30);
    assert_eq!(refused.len(), 70);
    assert!(all_are(&refused, "coupon_exhausted"), "{refused:?}");
    assert_eq!(env.count("SELECT uses FROM promotions WHERE id = $1", promotion).await, 30);
    assert_eq!(env.count("SELECT count(*) FROM promotion_redemptions WHERE promotion_id = $1", promotion).await, 30);
    // Codes without their own limit are not counted on their rows (no hot row for them).
    assert_eq!(env.count("SELECT sum(uses)::INT8 FROM coupons WHERE promotion_id = $1", promotion).await, 0);
    assert_eq!(env.resolve(&["share-e"], "fr", None).await, Err("coupon_exhausted".into()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_automatic_promotion_limit_holds_and_it_stops_being_live() {
    let env = env().await;
    let promotion =
        env.create(PromotionInput { requires_coupon: false, usage_limit: Some(5), ..coupon_promotion() }).await;
    assert_eq!(env.live("fr").await, vec![promotion]);

    let (ok, refused) = env.race(20, promotion, |i| (None, None, format!("order-{i}"))).await;

    assert_eq!(ok, 5);
    assert!(all_are(&refused, "promotion_exhausted"), "{refused:?}");
    assert_eq!(env.count("SELECT uses FROM promotions WHERE id = $1", promotion).await, 5);
    assert!(env.live("fr").await.is_empty(), "an exhausted promotion is not live");
}

#[tokio::test]
async fn resolve_answers_each_error_code() {
    let env = env().await;
    let t = now();
    let open = env.create(coupon_promotion()).await;
    env.codes(open, &["Summer-20", "SUMMER-21"], None).await;
    let future = env.create(PromotionInput { starts_at: Some(t + HOUR), ..coupon_promotion() }).await;
    env.codes(future, &["SOON"], None).await;
    let past = env
        .create(PromotionInput { starts_at: Some(t - 2 * HOUR), ends_at: Some(t - HOUR), ..coupon_promotion() })
        .await;
    env.codes(past, &["GONE"], None).await;
    let german = env.create(PromotionInput { markets: vec!["de".into()], ..coupon_promotion() }).await;
    env.codes(german, &["NUR-DE"], None).await;
    let single = env.create(coupon_promotion()).await;
    env.codes(single, &["ONCE"], Some(1)).await;
    let per_customer = env.create(PromotionInput { per_customer_limit: Some(1), ..coupon_promotion() }).await;
    env.codes(per_customer, &["MINE"], None).await;
    let archived = env.create(coupon_promotion()).await;
    env.codes(archived, &["OLD"], None).await;

    // Case-insensitive; two codes of one promotion give it once.
    assert_eq!(env.resolve(&["summer-20", " SUMMER-21 "], "fr", None).await, Ok(vec![open]));
    assert_eq!(env.resolve(&[], "fr", None).await, Ok(vec![]));
    assert_eq!(env.resolve(&["NOPE"], "fr", None).await, Err("unknown_coupon".into()));
    assert_eq!(env.resolve(&["not a code!"], "fr", None).await, Err("unknown_coupon".into()));
    assert_eq!(env.resolve(&["soon"], "fr", None).await, Err("promotion_not_started".into()));
    assert_eq!(env.resolve(&["gone"], "fr", None).await, Err("promotion_expired".into()));
    assert_eq!(env.resolve(&["nur-de"], "fr", None).await, Err("coupon_not_valid_in_market".into()));
    assert_eq!(env.resolve(&["nur-de"], "de", None).await, Ok(vec![german]));

    assert_eq!(env.resolve(&["ONCE"], "fr", None).await, Ok(vec![single]));
    env.redeem(single, Some("once"), None, "order-1").await.unwrap();
    assert_eq!(env.resolve(&["ONCE"], "fr", None).await, Err("coupon_exhausted".into()));
    let again = env.redeem(single, Some("ONCE"), None, "order-2").await;
    assert!(matches!(again, Err(CouponError::Rejected(CouponRejection::Exhausted(_)))), "{again:?}");

    env.redeem(per_customer, Some("MINE"), Some("alice"), "order-3").await.unwrap();
    assert_eq!(env.resolve(&["MINE"], "fr", Some("alice")).await, Err("coupon_limit_reached_for_customer".into()));
    assert_eq!(env.resolve(&["MINE"], "fr", Some("bob")).await, Ok(vec![per_customer]));

    env.store.transaction(|tx| Box::pin(async move { promos::archive_promotion(tx, archived).await })).await.unwrap();
    assert_eq!(env.resolve(&["OLD"], "fr", None).await, Err("promotion_archived".into()));
    // The first code that fails is the answer.
    assert_eq!(env.resolve(&["SUMMER-20", "GONE", "NOPE"], "fr", None).await, Err("promotion_expired".into()));
    let many: Vec<String> = (0..11).map(|i| format!("CODE-{i}")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    assert_eq!(env.resolve(&many, "fr", None).await, Err("too_many_coupons".into()));
}

#[tokio::test]
async fn redeem_refuses_what_does_not_add_up() {
    let env = env().await;
    let a = env.create(coupon_promotion()).await;
    env.codes(a, &["A-CODE"], None).await;
    let b = env.create(PromotionInput { per_customer_limit: Some(2), ..coupon_promotion() }).await;
    env.codes(b, &["B-CODE"], None).await;
    let code = |r: Result<Uuid, CouponError>| match r {
        Err(CouponError::Rejected(r)) => r.code().to_string(),
        other => format!("{other:?}"),
    };
    assert_eq!(code(env.redeem(a, Some("B-CODE"), None, "o1").await), "unknown_coupon");
    assert_eq!(code(env.redeem(a, None, None, "o1").await), "coupon_required");
    assert_eq!(code(env.redeem(b, Some("B-CODE"), None, "o1").await), "customer_required");
    assert_eq!(code(env.redeem(Uuid::new_v4(), None, None, "o1").await), "promotion_not_found");
    env.redeem(a, Some("A-CODE"), None, "o1").await.unwrap();
    assert_eq!(code(env.redeem(a, Some("A-CODE"), None, "o1").await), "already_redeemed");
    assert_eq!(env.count("SELECT count(*) FROM promotion_redemptions WHERE promotion_id = $1", a).await, 1);
    // Nothing was counted by the refused attempts.
    assert_eq!(env.count("SELECT count(*) FROM promotion_customer_uses WHERE promotion_id = $1", b).await, 0);
}

#[tokio::test]
async fn a_release_gives_the_uses_back() {
    let env = env().await;
    let promotion =
        env.create(PromotionInput { usage_limit: Some(1), per_customer_limit: Some(1), ..coupon_promotion() }).await;
    env.codes(promotion, &["ONLY-ONE"], Some(1)).await;
    env.redeem(promotion, Some("ONLY-ONE"), Some("alice"), "order-1").await.unwrap();
    assert_eq!(env.resolve(&["ONLY-ONE"], "fr", Some("bob")).await, Err("coupon_exhausted".into()));

    let released =
        env.store.transaction(|tx| Box::pin(async move { promos::release(tx, "order-1").await })).await.unwrap();
    assert_eq!(released, 1);
    assert_eq!(env.count("SELECT uses FROM promotions WHERE id = $1", promotion).await, 0);
    assert_eq!(env.count("SELECT uses FROM coupons WHERE promotion_id = $1", promotion).await, 0);
    assert_eq!(env.resolve(&["ONLY-ONE"], "fr", Some("alice")).await, Ok(vec![promotion]));
    env.redeem(promotion, Some("ONLY-ONE"), Some("alice"), "order-2").await.unwrap();
    let again =
        env.store.transaction(|tx| Box::pin(async move { promos::release(tx, "order-1").await })).await.unwrap();
    assert_eq!(again, 0, "releasing twice gives nothing back twice");
    assert_eq!(env.count("SELECT uses FROM promotions WHERE id = $1", promotion).await, 1);
}

/// A limit set on a promotion that had none covers the redemptions made before it.
#[tokio::test]
async fn a_limit_set_later_counts_past_redemptions() {
    let env = env().await;
    let promotion = env.create(PromotionInput { requires_coupon: false, ..coupon_promotion() }).await;
    for (i, customer) in ["alice", "alice", "bob"].iter().enumerate() {
        env.redeem(promotion, None, Some(customer), &format!("order-{i}")).await.unwrap();
    }
    assert_eq!(env.count("SELECT uses FROM promotions WHERE id = $1", promotion).await, 0, "unlimited: not counted");

    let regions = env.regions.clone();
    let patch = PromotionPatch { usage_limit: Some(Some(4)), per_customer_limit: Some(Some(2)), ..Default::default() };
    let updated = env
        .store
        .transaction(|tx| {
            let (regions, patch) = (regions.clone(), patch.clone());
            Box::pin(async move { promos::update_promotion(tx, &regions, promotion, &patch).await })
        })
        .await
        .unwrap();
    assert_eq!(updated.uses, 3);
    let client = env.store.client().await.unwrap();
    let quote = promos::promotions_for_quote(&client, "fr", now(), &[], Some("alice")).await.unwrap();
    assert!(quote.promotions.is_empty(), "alice used her two");
    let quote = promos::promotions_for_quote(&client, "fr", now(), &[], Some("bob")).await.unwrap();
    assert_eq!(quote.promotions.iter().map(|p| p.id).collect::<Vec<_>>(), vec![promotion]);
    let refused = env.redeem(promotion, None, Some("alice"), "order-9").await;
    assert!(
        matches!(&refused, Err(CouponError::Rejected(r)) if r.code() == "promotion_limit_reached_for_customer"),
        "{refused:?}"
    );
    env.redeem(promotion, None, Some("bob"), "order-10").await.unwrap();
    let refused = env.redeem(promotion, None, Some("carol"), "order-11").await;
    assert!(matches!(&refused, Err(CouponError::Rejected(r)) if r.code() == "promotion_exhausted"), "{refused:?}");
}

#[tokio::test]
async fn a_thousand_generated_codes_are_unique_and_well_formed() {
    let env = env().await;
    let promotion = env.create(coupon_promotion()).await;
    let batch = env
        .add_coupons(promotion, CouponSource::Generate { count: 1_000, prefix: "summer-".into() }, Some(1))
        .await
        .unwrap();
    assert_eq!(batch.count, 1_000);

    // Walk the batch page by page.
    let client = env.store.client().await.unwrap();
    let mut all: Vec<String> = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = promos::list_coupons(
            &client,
            &promos::CouponQuery { promotion, batch: Some(batch.batch_id), after: after.as_deref(), limit: 300 },
        )
        .await
        .unwrap();
        let Some(last) = page.last() else { break };
        after = Some(last.code.clone());
        assert!(page.iter().all(|c| c.usage_limit == Some(1) && c.uses == 0 && c.batch_id == batch.batch_id));
        all.extend(page.into_iter().map(|c| c.code));
    }
    assert_eq!(all.len(), 1_000);
    assert!(all.windows(2).all(|w| w[0] < w[1]), "in code order, each once");
    for code in &all {
        let random = code.strip_prefix("SUMMER-").unwrap_or_else(|| panic!("{code}: prefix"));
        assert_eq!(random.len(), promos::GENERATED_CODE_LEN, "{code}");
        assert!(random.bytes().all(|b| promos::CODE_ALPHABET.contains(&b)), "{code}");
    }
    assert_eq!(all.iter().collect::<HashSet<_>>().len(), 1_000);
    // Generated codes work.
    assert_eq!(env.resolve(&[&all[0].to_lowercase()], "fr", None).await, Ok(vec![promotion]));
}

#[tokio::test]
async fn explicit_codes_are_all_added_or_none() {
    let env = env().await;
    let promotion = env.create(coupon_promotion()).await;
    env.codes(promotion, &["TAKEN"], None).await;
    let other = env.create(coupon_promotion()).await;
    let refuse = |r: Result<promos::CouponBatch, PromotionError>| match r {
        Err(PromotionError::Rejected(r)) => r,
        other => panic!("{other:?}"),
    };
    let taken = refuse(env.add_coupons(other, CouponSource::Codes(vec!["FRESH-1".into(), "taken".into()]), None).await);
    assert_eq!(taken, PromotionRejection::CouponTaken { code: "TAKEN".into() });
    let twice = refuse(env.add_coupons(other, CouponSource::Codes(vec!["DUP".into(), "dup".into()]), None).await);
    assert_eq!(twice.code(), "coupon_taken");
    let bad = refuse(env.add_coupons(other, CouponSource::Codes(vec!["NO SPACES".into()]), None).await);
    assert_eq!(bad.code(), "invalid_coupon_code");
    assert_eq!(env.count("SELECT count(*) FROM coupons WHERE promotion_id = $1", other).await, 0, "nothing stored");

    let automatic = env.create(PromotionInput { requires_coupon: false, ..coupon_promotion() }).await;
    let r = refuse(env.add_coupons(automatic, CouponSource::Codes(vec!["AUTO".into()]), None).await);
    assert_eq!(r.code(), "promotion_is_automatic");
    let too_many = refuse(
        env.add_coupons(
            other,
            CouponSource::Generate { count: promos::MAX_GENERATED_COUPONS + 1, prefix: String::new() },
            None,
        )
        .await,
    );
    assert_eq!(too_many.code(), "validation_failed");
}

#[tokio::test]
async fn live_promotions_follow_market_window_and_state() {
    let env = env().await;
    let t = now();
    let auto = |markets: &[&str]| PromotionInput {
        requires_coupon: false,
        markets: markets.iter().map(|m| m.to_string()).collect(),
        ..coupon_promotion()
    };
    let everywhere = env.create(PromotionInput { priority: 1, ..auto(&[]) }).await;
    let french = env.create(PromotionInput { priority: 5, ..auto(&["fr"]) }).await;
    env.create(auto(&["de"])).await;
    env.create(PromotionInput { starts_at: Some(t + HOUR), ..auto(&[]) }).await;
    env.create(PromotionInput { ends_at: Some(t), ..auto(&[]) }).await;
    env.create(coupon_promotion()).await;
    let archived = env.create(auto(&[])).await;
    env.store.transaction(|tx| Box::pin(async move { promos::archive_promotion(tx, archived).await })).await.unwrap();

    assert_eq!(env.live("fr").await, vec![french, everywhere], "highest priority first");
    assert_eq!(env.live("jp").await, vec![everywhere]);
}

#[tokio::test]
async fn promotions_are_validated_against_markets_and_the_catalog() {
    let env = env().await;
    let amount =
        |amount: i64| PromotionKind::Order { target: Target::All, min_subtotal: 0, discount: Discount::Amount(amount) };
    let rejection = |r: Result<Uuid, PromotionError>| match r {
        Err(PromotionError::Rejected(r)) => r.code().to_string(),
        other => panic!("{other:?}"),
    };
    let base = coupon_promotion();
    let cases: Vec<(PromotionInput, &str)> = vec![
        (PromotionInput { kind: amount(500), ..base.clone() }, "currency_required"),
        (PromotionInput { kind: amount(500), currency: Some("EUR".into()), ..base.clone() }, "markets_required"),
        (
            PromotionInput {
                kind: amount(500),
                currency: Some("EUR".into()),
                markets: vec!["fr".into(), "gb".into()],
                ..base.clone()
            },
            "currency_mismatch",
        ),
        (PromotionInput { markets: vec!["xx".into()], ..base.clone() }, "unknown_market"),
        (PromotionInput { currency: Some("EUR".into()), ..base.clone() }, "validation_failed"),
        (PromotionInput { kind: percent_off("0"), ..base.clone() }, "validation_failed"),
        (PromotionInput { usage_limit: Some(0), ..base.clone() }, "validation_failed"),
        (PromotionInput { starts_at: Some(now()), ends_at: Some(now() - HOUR), ..base.clone() }, "validation_failed"),
        (
            PromotionInput {
                kind: PromotionKind::Catalog {
                    target: Target::Products([Uuid::new_v4()].into()),
                    discount: Discount::Percent(Rate::parse_percent("5").unwrap()),
                },
                ..base.clone()
            },
            "unknown_product",
        ),
        (
            PromotionInput {
                kind: PromotionKind::BuyXGetY {
                    target: Target::Categories([Uuid::new_v4()].into()),
                    buy: 2,
                    get: 1,
                    percent_off: Rate::parse_percent("100").unwrap(),
                },
                ..base.clone()
            },
            "unknown_category",
        ),
    ];
    for (input, code) in cases {
        assert_eq!(rejection(env.try_create(input.clone()).await), code, "{input:?}");
    }
    let client = env.store.client().await.unwrap();
    let all = PromotionQuery { market: None, status: StatusFilter::All, after: None, limit: 100 };
    assert!(promos::list_promotions(&client, &all).await.unwrap().is_empty(), "nothing stored");

    // A euro amount in the euro markets is fine; the currency is normalized.
    let ok = env
        .create(PromotionInput {
            kind: amount(500),
            currency: Some("eur".into()),
            markets: vec!["DE".into(), "fr".into(), "fr".into()],
            ..base.clone()
        })
        .await;
    let record = promos::get_promotion(&client, ok).await.unwrap().unwrap();
    assert_eq!(record.currency.as_deref(), Some("EUR"));
    assert_eq!(record.promotion.markets, vec!["de".to_string(), "fr".to_string()]);

    // A patch is checked as a whole: moving the euro promotion to Britain is refused.
    let regions = env.regions.clone();
    let patch = PromotionPatch { markets: Some(vec!["gb".into()]), ..Default::default() };
    let refused = env
        .store
        .transaction(|tx| {
            let (regions, patch) = (regions.clone(), patch.clone());
            Box::pin(async move { promos::update_promotion(tx, &regions, ok, &patch).await })
        })
        .await;
    assert!(matches!(&refused, Err(PromotionError::Rejected(r)) if r.code() == "currency_mismatch"), "{refused:?}");
    // Switching to a percentage drops the currency; the kind's other parts stay.
    let patch = PromotionPatch {
        parts: KindParts {
            discount: Some(Discount::Percent(Rate::parse_percent("15").unwrap())),
            ..Default::default()
        },
        ..Default::default()
    };
    let updated = env
        .store
        .transaction(|tx| {
            let (regions, patch) = (regions.clone(), patch.clone());
            Box::pin(async move { promos::update_promotion(tx, &regions, ok, &patch).await })
        })
        .await
        .unwrap();
    assert_eq!(updated.currency, None);
    assert_eq!(updated.promotion.kind, percent_off("15"));
    assert_eq!(KindName::of(&updated.promotion.kind), KindName::Order);
}

#[tokio::test]
async fn listings_page_newest_first_by_market_and_status() {
    let env = env().await;
    let mut ids = Vec::new();
    for i in 0..7 {
        let markets = if i % 2 == 0 { vec!["fr".to_string()] } else { vec!["us".to_string()] };
        ids.push(env.create(PromotionInput { name: format!("P{i}"), markets, ..coupon_promotion() }).await);
    }
    let archived = ids[0];
    env.store.transaction(|tx| Box::pin(async move { promos::archive_promotion(tx, archived).await })).await.unwrap();
    let client = env.store.client().await.unwrap();
    let walk = |market: Option<&'static str>, status: StatusFilter| {
        let client = &client;
        async move {
            let mut out = Vec::new();
            let mut after = None;
            loop {
                let q = PromotionQuery { market, status, after, limit: 2 };
                let page = promos::list_promotions(client, &q).await.unwrap();
                let Some(last) = page.last() else { break };
                after = Some((promos::created_micros(last), last.promotion.id));
                out.extend(page.iter().map(|r| r.promotion.id));
            }
            out
        }
    };
    let newest_first: Vec<Uuid> = ids.iter().rev().copied().collect();
    assert_eq!(walk(None, StatusFilter::All).await, newest_first);
    let active: Vec<Uuid> = newest_first.iter().copied().filter(|id| *id != archived).collect();
    assert_eq!(walk(None, StatusFilter::Active).await, active);
    assert_eq!(walk(None, StatusFilter::Archived).await, vec![archived]);
    let french: Vec<Uuid> =
        active.iter().copied().filter(|id| ids.iter().position(|x| x == id).unwrap() % 2 == 0).collect();
    assert_eq!(walk(Some("fr"), StatusFilter::Active).await, french);
}

/// The largest batch one request may generate is stored in one go, every code unique.
#[tokio::test]
async fn a_full_batch_of_generated_codes_is_stored() {
    let env = env().await;
    let promotion = env.create(coupon_promotion()).await;
    let count = promos::MAX_GENERATED_COUPONS;
    let batch =
        env.add_coupons(promotion, CouponSource::Generate { count, prefix: "BIG-".into() }, Some(1)).await.unwrap();
    assert_eq!(batch.count, u64::from(count));
    let stored = env.count("SELECT count(DISTINCT code) FROM coupons WHERE batch_id = $1", batch.batch_id).await;
    assert_eq!(stored, i64::from(count));
}
