//! Deterministic synthetic catalog, bulk-loaded with COPY (being written).
