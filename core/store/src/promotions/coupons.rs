//! Coupon codes of a promotion: added as explicit codes or generated in batches of up to
//! 100,000 (drawn from a cryptographically secure generator), and listed by code.

use std::collections::HashSet;

use core_domain::promotions::{
    CODE_ALPHABET, CouponSource, GENERATED_CODE_LEN, PromotionRejection, check_coupon_request,
};
use deadpool_postgres::GenericClient;
use rand::Rng;
use time::OffsetDateTime;
use uuid::Uuid;

use super::PromotionError;
use crate::{Prepared, StoreError};

/// Rows per `INSERT` when adding coupons.
const INSERT_CHUNK: usize = 5_000;

/// What [`add_coupons`] added.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CouponBatch {
    pub batch_id: Uuid,
    pub count: u64,
}

/// Random codes from a cryptographically secure generator, so that codes cannot be guessed
/// from others.
fn generate_codes(prefix: &str, count: usize, taken: &mut HashSet<String>) -> Vec<String> {
    let mut rng = rand::rng();
    let mut out = Vec::with_capacity(count);
    while out.len() < count {
        let mut code = String::with_capacity(prefix.len() + GENERATED_CODE_LEN);
        code.push_str(prefix);
        for _ in 0..GENERATED_CODE_LEN {
            code.push(char::from(CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())]));
        }
        if taken.insert(code.clone()) {
            out.push(code);
        }
    }
    out
}

/// Inserts codes, skipping those already taken; returns the codes inserted.
async fn insert_codes(
    client: &impl GenericClient,
    promotion: Uuid,
    batch: Uuid,
    usage_limit: Option<i64>,
    codes: &[String],
) -> Result<Vec<String>, StoreError> {
    let mut inserted = Vec::with_capacity(codes.len());
    for chunk in codes.chunks(INSERT_CHUNK) {
        let rows = client
            .query_cached(
                "INSERT INTO coupons (code, promotion_id, usage_limit, batch_id) \
                 SELECT code, $2::UUID, $3::INT8, $4::UUID FROM unnest($1::TEXT[]) AS c (code) \
                 ON CONFLICT (code) DO NOTHING RETURNING code",
                &[&chunk, &promotion, &usage_limit, &batch],
            )
            .await?;
        inserted.extend(rows.iter().map(|r| r.get::<_, String>(0)));
    }
    Ok(inserted)
}

/// Adds coupon codes to a promotion that requires one, as one batch. Explicit codes are all
/// added or none (`coupon_taken` names the first one already used, by this or another
/// promotion); generated codes are unique, drawn again until `count` are stored. `usage_limit`
/// is each code's own limit (1 for single-use codes).
pub async fn add_coupons(
    client: &impl GenericClient,
    promotion: Uuid,
    source: &CouponSource,
    usage_limit: Option<i64>,
) -> Result<CouponBatch, PromotionError> {
    // Validate the request before touching the promotion.
    let explicit = check_coupon_request(source, usage_limit)?;
    let row = client
        .query_opt_cached(
            "SELECT requires_coupon, archived_at IS NOT NULL FROM promotions WHERE id = $1",
            &[&promotion],
        )
        .await?
        .ok_or(PromotionError::NotFound)?;
    if row.get::<_, bool>(1) {
        return Err(PromotionRejection::Archived.into());
    }
    if !row.get::<_, bool>(0) {
        return Err(PromotionRejection::Automatic.into());
    }
    let batch_id = Uuid::new_v4();
    match (explicit, source) {
        (Some(codes), _) => {
            let inserted: HashSet<String> =
                insert_codes(client, promotion, batch_id, usage_limit, &codes).await?.into_iter().collect();
            if let Some(code) = codes.iter().find(|c| !inserted.contains(*c)) {
                return Err(PromotionRejection::CouponTaken { code: code.clone() }.into());
            }
            Ok(CouponBatch { batch_id, count: codes.len() as u64 })
        }
        (None, CouponSource::Generate { count, prefix }) => {
            let prefix = prefix.to_ascii_uppercase();
            let mut taken = HashSet::with_capacity(*count as usize);
            let mut stored = 0usize;
            // A collision with an existing code is rare (50 random bits); draw again for those.
            for _ in 0..10 {
                let want = *count as usize - stored;
                if want == 0 {
                    break;
                }
                let codes = generate_codes(&prefix, want, &mut taken);
                stored += insert_codes(client, promotion, batch_id, usage_limit, &codes).await?.len();
            }
            if stored != *count as usize {
                return Err(StoreError::Schema("could not draw unique coupon codes".into()).into());
            }
            Ok(CouponBatch { batch_id, count: u64::from(*count) })
        }
        (None, CouponSource::Codes(_)) => unreachable!("explicit codes were normalized above"),
    }
}

/// A coupon code as the merchandiser sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CouponRecord {
    pub code: String,
    pub promotion_id: Uuid,
    pub usage_limit: Option<i64>,
    /// Redemptions counted against `usage_limit` (kept only when there is one).
    pub uses: i64,
    pub batch_id: Uuid,
    pub created_at: OffsetDateTime,
}

/// A page of a promotion's coupons, by code.
#[derive(Clone, Debug)]
pub struct CouponQuery<'a> {
    pub promotion: Uuid,
    /// Only the codes of this batch.
    pub batch: Option<Uuid>,
    /// Strictly after this code.
    pub after: Option<&'a str>,
    pub limit: u32,
}

/// A promotion's coupons in code order, keyset-paginated on the code; `NotFound` when the
/// promotion does not exist.
pub async fn list_coupons(
    client: &impl GenericClient,
    query: &CouponQuery<'_>,
) -> Result<Vec<CouponRecord>, PromotionError> {
    if client.query_opt_cached("SELECT id FROM promotions WHERE id = $1", &[&query.promotion]).await?.is_none() {
        return Err(PromotionError::NotFound);
    }
    // Every code sorts after the empty string: the first page needs no other statement.
    let after = query.after.unwrap_or("");
    let limit = i64::from(query.limit);
    let rows = match query.batch {
        None => {
            client
                .query_cached(
                    "SELECT code, promotion_id, usage_limit, uses, batch_id, created_at FROM coupons \
                     WHERE promotion_id = $1 AND code > $2 ORDER BY code LIMIT $3",
                    &[&query.promotion, &after, &limit],
                )
                .await?
        }
        Some(batch) => {
            client
                .query_cached(
                    "SELECT code, promotion_id, usage_limit, uses, batch_id, created_at FROM coupons \
                     WHERE batch_id = $1 AND promotion_id = $2 AND code > $3 ORDER BY code LIMIT $4",
                    &[&batch, &query.promotion, &after, &limit],
                )
                .await?
        }
    };
    Ok(rows
        .iter()
        .map(|r| CouponRecord {
            code: r.get(0),
            promotion_id: r.get(1),
            usage_limit: r.get(2),
            uses: r.get(3),
            batch_id: r.get(4),
            created_at: r.get(5),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use core_domain::promotions::normalize_code;

    use super::*;

    #[test]
    fn generated_codes_use_the_unambiguous_alphabet() {
        let mut taken = HashSet::new();
        let codes = generate_codes("SUMMER-", 500, &mut taken);
        assert_eq!(codes.len(), 500);
        assert_eq!(taken.len(), 500);
        for c in &codes {
            let random = c.strip_prefix("SUMMER-").unwrap();
            assert_eq!(random.len(), GENERATED_CODE_LEN);
            assert!(random.bytes().all(|b| CODE_ALPHABET.contains(&b)), "{c}");
            assert!(!random.contains(['0', 'O', '1', 'I']), "{c}");
            assert_eq!(normalize_code(c).as_deref(), Some(c.as_str()));
        }
    }
}
