//! The secondary indexes of the catalog tables, exactly as the migrations define them: a bulk
//! load drops them before it and rebuilds them after, because one sorted index build is much
//! cheaper than millions of random insertions. Primary keys and unique constraints are never
//! touched.

use std::collections::BTreeMap;

use super::CatalogTable;
use crate::migrate::PORTABLE;

/// A `CREATE INDEX` of the migrations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecondaryIndex {
    pub(super) name: String,
    pub(super) table: String,
    /// The statement as written in the migration.
    pub(super) create: String,
}

impl SecondaryIndex {
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The table it indexes, when it is one of the catalog's.
    pub fn table(&self) -> Option<CatalogTable> {
        CatalogTable::named(&self.table)
    }
}

/// The non-unique indexes the portable migrations leave on `tables`, in migration order: every
/// `CREATE INDEX`, minus those a later `DROP INDEX` removed.
pub fn secondary_indexes(tables: &[CatalogTable]) -> Vec<SecondaryIndex> {
    let tables: Vec<&str> = tables.iter().map(|t| t.name()).collect();
    let mut found: BTreeMap<usize, SecondaryIndex> = BTreeMap::new();
    let mut order = 0;
    for migration in PORTABLE {
        for statement in statements(migration.sql) {
            let words: Vec<String> = statement.split_whitespace().map(|w| w.to_ascii_lowercase()).collect();
            let words: Vec<&str> = words.iter().map(String::as_str).collect();
            match words.as_slice() {
                ["create", "index", rest @ ..] => {
                    let rest = rest.strip_prefix(&["if", "not", "exists"]).unwrap_or(rest);
                    if let [name, "on", table, ..] = rest {
                        let table = table.split('(').next().unwrap_or(table);
                        if tables.contains(&table) {
                            found.retain(|_, index| index.name != *name);
                            order += 1;
                            found.insert(
                                order,
                                SecondaryIndex { name: name.to_string(), table: table.to_string(), create: statement },
                            );
                        }
                    }
                }
                ["drop", "index", rest @ ..] => {
                    let rest = rest.strip_prefix(&["if", "exists"]).unwrap_or(rest);
                    for name in rest.iter().map(|n| n.trim_end_matches(',')) {
                        found.retain(|_, index| index.name != name);
                    }
                }
                _ => {}
            }
        }
    }
    found.into_values().collect()
}

/// The statements of a migration file, comments removed.
fn statements(sql: &str) -> Vec<String> {
    let without_comments: String =
        sql.lines().map(|line| line.split_once("--").map_or(line, |(code, _)| code)).collect::<Vec<_>>().join("\n");
    without_comments
        .split(';')
        .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|s| !s.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_migrations_secondary_indexes() {
        let indexes = secondary_indexes(&[CatalogTable::Listing, CatalogTable::Products, CatalogTable::Variants]);
        let names: Vec<&str> = indexes.iter().map(|i| i.name.as_str()).collect();
        for name in ["products_by_category", "variants_by_product", "catalog_listing_by_product"] {
            assert!(names.contains(&name), "{name} in {names:?}");
        }
        for index in &indexes {
            assert!(index.create.starts_with("CREATE INDEX IF NOT EXISTS "), "{}", index.create);
            assert!(index.create.contains(&format!(" ON {} (", index.table)), "{}", index.create);
        }
        let prices: Vec<String> = secondary_indexes(&[CatalogTable::Prices]).into_iter().map(|i| i.name).collect();
        assert_eq!(prices, ["prices_by_key_covering"]);
        assert!(secondary_indexes(&[CatalogTable::Attributes]).is_empty());
    }

    #[test]
    fn statements_drop_comments() {
        let sql = "-- a comment; with a semicolon\nCREATE INDEX IF NOT EXISTS a ON t (x); -- trailing\n\nDROP INDEX a;";
        assert_eq!(statements(sql), vec!["CREATE INDEX IF NOT EXISTS a ON t (x)", "DROP INDEX a"]);
    }
}
