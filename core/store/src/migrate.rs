//! Forward-only migrations: the portable set for both databases, then the CockroachDB-only set
//! when `SELECT version()` says CockroachDB, or the PostgreSQL-only set (storage settings) when
//! it does not. Every file is idempotent (`IF NOT EXISTS`), is
//! applied at most once (recorded in `schema_migrations`), and is never edited once landed.

use crate::StoreError;

/// One migration file.
#[derive(Clone, Copy, Debug)]
pub struct Migration {
    /// File name, for example `0001_categories.sql`; the order of application.
    pub name: &'static str,
    pub sql: &'static str,
}

macro_rules! m {
    ($set:literal, $name:literal) => {
        Migration { name: $name, sql: include_str!(concat!("../migrations/", $set, "/", $name)) }
    };
}

/// The portable set, applied on PostgreSQL and CockroachDB.
pub const PORTABLE: &[Migration] = &[
    m!("portable", "0001_categories.sql"),
    m!("portable", "0002_category_ancestors.sql"),
    m!("portable", "0003_category_translations.sql"),
    m!("portable", "0004_attributes.sql"),
    m!("portable", "0005_attribute_translations.sql"),
    m!("portable", "0006_attribute_options.sql"),
    m!("portable", "0007_attribute_option_translations.sql"),
    m!("portable", "0008_products.sql"),
    m!("portable", "0009_product_translations.sql"),
    m!("portable", "0010_product_markets.sql"),
    m!("portable", "0011_variants.sql"),
    m!("portable", "0012_prices.sql"),
    m!("portable", "0013_catalog_listing.sql"),
    m!("portable", "0014_idempotency_keys.sql"),
    m!("portable", "0015_catalog_listing_facet_keys.sql"),
    m!("portable", "0016_catalog_listing_newest_covering.sql"),
    m!("portable", "0017_catalog_listing_price_covering.sql"),
    m!("portable", "0018_promotions.sql"),
    m!("portable", "0019_coupons.sql"),
    m!("portable", "0020_promotion_customer_uses.sql"),
    m!("portable", "0021_promotion_redemptions.sql"),
    m!("portable", "0023_sale_prices.sql"),
    m!("portable", "0024_price_changes.sql"),
    m!("portable", "0025_market_backfills.sql"),
    m!("portable", "0026_variants_covering.sql"),
    m!("portable", "0027_products_covering.sql"),
    m!("portable", "0028_prices_covering.sql"),
    m!("portable", "0030_users.sql"),
    m!("portable", "0031_sessions.sql"),
    m!("portable", "0032_addresses.sql"),
    m!("portable", "0033_staff.sql"),
    m!("portable", "0034_staff_sessions.sql"),
    m!("portable", "0040_stock.sql"),
    m!("portable", "0041_reservations.sql"),
    m!("portable", "0042_carts.sql"),
    m!("portable", "0043_cart_lines.sql"),
    m!("portable", "0044_orders.sql"),
    m!("portable", "0045_order_lines.sql"),
    m!("portable", "0046_state_transitions.sql"),
    m!("portable", "0047_payments.sql"),
    m!("portable", "0048_payment_events.sql"),
    m!("portable", "0049_returns.sql"),
    m!("portable", "0050_return_lines.sql"),
    m!("portable", "0051_outbox.sql"),
    m!("portable", "0052_stock_buckets.sql"),
    m!("portable", "0053_catalog_changes.sql"),
    m!("portable", "0060_outbox_delivery_state.sql"),
    m!("portable", "0061_outbox_due.sql"),
    m!("portable", "0062_outbox_deliveries.sql"),
    m!("portable", "0063_stock_feed_deltas.sql"),
    m!("portable", "0064_stock_feed_issues.sql"),
    m!("portable", "0065_shipments.sql"),
    m!("portable", "0070_shipment_labels.sql"),
    m!("portable", "0071_tracking_events.sql"),
    m!("portable", "0072_variant_weights.sql"),
    m!("portable", "0073_cart_shipping_option.sql"),
    m!("portable", "0074_order_shipping_choice.sql"),
    m!("portable", "0075_variants_weight_covering.sql"),
    m!("portable", "0076_return_labels.sql"),
    m!("portable", "0090_unused_indexes.sql"),
    m!("portable", "0091_outbox_due_in_order.sql"),
    m!("portable", "0092_catalog_changes_without_product.sql"),
    m!("portable", "0093_staff_audit.sql"),
    m!("portable", "0094_partner_events_unapplied.sql"),
    m!("portable", "0098_catalog_change_tags.sql"),
    m!("portable", "0099_catalog_change_metadata.sql"),
    m!("portable", "0100_order_line_labels.sql"),
    m!("portable", "0101_partner_events_unapplied_ids.sql"),
];

/// The CockroachDB-only set (localities), applied after the portable set.
pub const COCKROACH: &[Migration] = &[
    m!("cockroach", "0001_localities.sql"),
    m!("cockroach", "0002_promotions.sql"),
    m!("cockroach", "0003_pricing.sql"),
    m!("cockroach", "0004_accounts.sql"),
    m!("cockroach", "0005_orders.sql"),
    m!("cockroach", "0006_catalog_changes.sql"),
    m!("cockroach", "0010_outbox_deliveries.sql"),
    m!("cockroach", "0011_fulfilment.sql"),
    m!("cockroach", "0020_carriers.sql"),
    m!("cockroach", "0021_return_labels.sql"),
    m!("cockroach", "0022_audit_and_unapplied_events.sql"),
];

/// The PostgreSQL-only set (storage settings CockroachDB does not have), applied after the
/// portable set.
pub const POSTGRES: &[Migration] = &[m!("postgres", "0001_queue_vacuum.sql")];

const BOOKKEEPING: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    migration_set TEXT NOT NULL,
    name TEXT NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (migration_set, name)
)";

/// Which database the store talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    Postgres,
    Cockroach,
}

pub async fn flavor(client: &tokio_postgres::Client) -> Result<Flavor, StoreError> {
    let row = client.query_one("SELECT version()", &[]).await?;
    let version: String = row.get(0);
    Ok(if version.starts_with("CockroachDB") { Flavor::Cockroach } else { Flavor::Postgres })
}

/// What [`migrate`] did.
#[derive(Debug, Default)]
pub struct Report {
    pub flavor: Option<Flavor>,
    /// Names of the files applied by this run (`portable/0001_…`).
    pub applied: Vec<String>,
}

/// Connects to `url` and applies every pending migration (see [`migrate`]).
pub async fn migrate_url(url: &str, regions: &[String]) -> Result<Report, StoreError> {
    let (mut client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    migrate(&mut client, regions).await
}

/// Applies every pending migration. `regions` are the database regions to declare on
/// CockroachDB (the ids of the folders in `regions/`, primary first); unused on PostgreSQL.
/// Safe to run concurrently from several processes and to run again.
pub async fn migrate(client: &mut tokio_postgres::Client, regions: &[String]) -> Result<Report, StoreError> {
    let flavor = flavor(client).await?;
    // Concurrent `CREATE TABLE IF NOT EXISTS` can still collide in PostgreSQL's catalog; the
    // loser retries and finds the table.
    for attempt in 1.. {
        match client.batch_execute(BOOKKEEPING).await.map_err(StoreError::from) {
            Ok(()) => break,
            Err(e) if attempt < 10 && concurrent_ddl(&e) => {
                tokio::time::sleep(std::time::Duration::from_millis(50 * attempt)).await;
            }
            Err(e) => return Err(e),
        }
    }
    let mut report = Report { flavor: Some(flavor), applied: Vec::new() };
    apply_set(client, "portable", PORTABLE, &mut report).await?;
    match flavor {
        Flavor::Cockroach => {
            declare_regions(client, regions).await?;
            apply_set(client, "cockroach", COCKROACH, &mut report).await?;
        }
        Flavor::Postgres => apply_set(client, "postgres", POSTGRES, &mut report).await?,
    }
    Ok(report)
}

async fn apply_set(
    client: &mut tokio_postgres::Client,
    set: &str,
    migrations: &[Migration],
    report: &mut Report,
) -> Result<(), StoreError> {
    for m in migrations {
        // One file per transaction; a concurrent migrator loses on the primary key and sees
        // the file applied when it looks again.
        for attempt in 1.. {
            let tx = client.transaction().await?;
            let done = tx
                .query_opt(
                    "SELECT name FROM schema_migrations WHERE migration_set = $1 AND name = $2",
                    &[&set, &m.name],
                )
                .await?
                .is_some();
            if done {
                tx.rollback().await?;
                break;
            }
            let result = async {
                tx.batch_execute(m.sql).await?;
                tx.execute("INSERT INTO schema_migrations (migration_set, name) VALUES ($1, $2)", &[&set, &m.name])
                    .await?;
                tx.commit().await
            }
            .await;
            match result.map_err(StoreError::from) {
                Ok(()) => {
                    report.applied.push(format!("{set}/{}", m.name));
                    break;
                }
                Err(e) if attempt < 10 && concurrent_ddl(&e) => {
                    // Another migrator is applying the same file: wait for it, then look again.
                    tokio::time::sleep(std::time::Duration::from_millis(50 * attempt)).await;
                    continue;
                }
                Err(e) => {
                    return Err(StoreError::Schema(format!("{set}/{}: {e}", m.name)));
                }
            }
        }
    }
    Ok(())
}

/// Errors a concurrent migrator's DDL causes: serialization failures, and the duplicate
/// catalog entries PostgreSQL reports when two `CREATE … IF NOT EXISTS` race (23505, 42710,
/// 42P07).
fn concurrent_ddl(e: &StoreError) -> bool {
    if e.is_serialization_failure() || matches!(e, StoreError::Conflict { .. }) {
        return true;
    }
    let StoreError::Db(db) = e else { return false };
    matches!(db.code().map(|c| c.code()), Some("42710" | "42P07"))
}

async fn declare_regions(client: &tokio_postgres::Client, regions: &[String]) -> Result<(), StoreError> {
    let db: String = client.query_one("SELECT current_database()", &[]).await?.get(0);
    let db = quote_ident(&db);
    let Some((primary, others)) = regions.split_first() else {
        return Err(StoreError::Schema("no regions to declare".into()));
    };
    // Identifiers cannot be bound as parameters; they come from our own regions folder and are
    // quoted.
    client.batch_execute(&format!("ALTER DATABASE {db} SET PRIMARY REGION {}", quote_ident(primary))).await?;
    for region in others {
        client.batch_execute(&format!("ALTER DATABASE {db} ADD REGION IF NOT EXISTS {}", quote_ident(region))).await?;
    }
    Ok(())
}

fn quote_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// Names of the migrations not yet applied (`portable/0003_…`); empty when the schema is
/// current. Cores refuse to start on a schema that is behind.
pub async fn pending(client: &tokio_postgres::Client) -> Result<Vec<String>, StoreError> {
    let flavor = flavor(client).await?;
    let exists = client
        .query_opt("SELECT table_name FROM information_schema.tables WHERE table_name = 'schema_migrations'", &[])
        .await?
        .is_some();
    let applied: Vec<(String, String)> = if exists {
        client
            .query("SELECT migration_set, name FROM schema_migrations", &[])
            .await?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect()
    } else {
        Vec::new()
    };
    let mut sets = vec![("portable", PORTABLE)];
    sets.push(match flavor {
        Flavor::Cockroach => ("cockroach", COCKROACH),
        Flavor::Postgres => ("postgres", POSTGRES),
    });
    Ok(sets
        .into_iter()
        .flat_map(|(set, ms)| ms.iter().map(move |m| (set, m.name)))
        .filter(|(set, name)| !applied.iter().any(|(s, n)| s == set && n == name))
        .map(|(set, name)| format!("{set}/{name}"))
        .collect())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn created_tables() -> BTreeSet<String> {
        PORTABLE
            .iter()
            .flat_map(|m| m.sql.lines())
            .filter_map(|l| l.trim().strip_prefix("CREATE TABLE IF NOT EXISTS "))
            .map(|rest| rest.split_whitespace().next().unwrap_or_default().to_string())
            .collect()
    }

    fn localities() -> Vec<(String, String)> {
        COCKROACH
            .iter()
            .flat_map(|m| m.sql.lines())
            .filter_map(|l| {
                let rest = l.trim().strip_prefix("ALTER TABLE ")?;
                let (table, locality) = rest.split_once(" SET LOCALITY ")?;
                Some((table.trim().to_string(), locality.trim_end_matches(';').trim().to_string()))
            })
            .collect()
    }

    /// The CockroachDB-only set gives every table of the portable schema a locality, names
    /// only tables that exist, and homes regional rows on a column the portable schema has.
    #[test]
    fn cockroach_set_stays_in_step_with_the_portable_schema() {
        let tables = created_tables();
        let localities = localities();
        let placed: BTreeSet<String> = localities.iter().map(|(t, _)| t.clone()).collect();
        assert_eq!(placed, tables, "tables without a locality, or localities of unknown tables");
        assert_eq!(placed.len(), localities.len(), "a table has two localities");
        let all_portable: String = PORTABLE.iter().map(|m| m.sql).collect();
        for (table, locality) in &localities {
            if let Some(column) = locality.strip_prefix("REGIONAL BY ROW AS ") {
                let cockroach: String = COCKROACH.iter().map(|m| m.sql).collect();
                let decl = format!("ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} crdb_internal_region");
                let start = cockroach.find(&decl).unwrap_or_else(|| panic!("{table}: no computed {column}"));
                let computed = &cockroach[start..start + cockroach[start..].find(';').unwrap()];
                let source =
                    if computed.contains("(region::") || computed.contains("(region ") { "region" } else { "market" };
                let table_sql =
                    &all_portable[all_portable.find(&format!("CREATE TABLE IF NOT EXISTS {table}")).unwrap()..];
                let table_sql = &table_sql[..table_sql.find(");").unwrap()];
                assert!(
                    table_sql.contains(&format!("\n    {source} TEXT NOT NULL")),
                    "{table}: portable schema lacks `{source}`"
                );
            } else {
                assert_eq!(locality, "GLOBAL", "{table}");
            }
        }
    }

    /// Files are applied in name order, and every file in the folders is listed.
    #[test]
    fn migration_lists_match_the_folders() {
        for (set, list) in [("portable", PORTABLE), ("cockroach", COCKROACH)] {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(set);
            let mut files: Vec<String> = std::fs::read_dir(dir)
                .unwrap()
                .map(|e| e.unwrap().file_name().into_string().unwrap())
                .filter(|n| n.ends_with(".sql"))
                .collect();
            files.sort();
            let listed: Vec<String> = list.iter().map(|m| m.name.to_string()).collect();
            assert_eq!(listed, files, "{set}");
        }
    }

    /// Application SQL never names the CockroachDB region column and never selects `*`.
    #[test]
    fn application_sql_stays_portable() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut stack = vec![src];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                let code: String = text
                    .split("#[cfg(test)]")
                    .next()
                    .unwrap_or_default()
                    .lines()
                    .filter(|l| !l.trim_start().starts_with("//"))
                    .collect();
                for banned in ["region_home", "crdb_region", "SELECT *", "pg_advisory", "LISTEN ", "NOTIFY ", "UPSERT "]
                {
                    assert!(!code.contains(banned), "{} uses `{banned}`", path.display());
                }
            }
        }
    }
}
