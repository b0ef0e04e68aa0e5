//! The table of error codes is the one list: every code the core's sources can answer with is
//! in it (read from the constructors of errors and the `code()` of the domain's and the store's
//! error types), and every code of the table is used somewhere.

use std::collections::BTreeSet;

/// The codes in the core's sources outside tests.
fn codes_in_sources() -> BTreeSet<String> {
    let core = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf();
    let mut found = BTreeSet::new();
    let mut dirs = vec![core];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            if path.is_dir() {
                if name != "tests" && name != "target" {
                    dirs.push(path);
                }
                continue;
            }
            if !name.ends_with(".rs") || name == "codes.rs" || name == "tests.rs" {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let text = text.split("#[cfg(test)]").next().unwrap();
            for marker in ["::new(", "::not_found(", "::bad_request(", "::unprocessable(", "unauthorized(", "Rejected("]
            {
                for (i, _) in text.match_indices(marker) {
                    // The first string literal within the call, if it is a code.
                    let call = &text[i + marker.len()..];
                    let call = &call[..call.find(';').unwrap_or(call.len()).min(400)];
                    for literal in call.split('"').skip(1).step_by(2) {
                        if is_code(literal) {
                            found.insert(literal.to_string());
                        }
                    }
                }
            }
            for (i, _) in text.match_indices("fn code(&self) -> &'static str {") {
                let body = &text[i..];
                let body = &body[..body.find("\n    }\n").unwrap_or(body.len())];
                for literal in body.split('"').skip(1).step_by(2) {
                    if is_code(literal) && body.contains(&format!("=> \"{literal}\"")) {
                        found.insert(literal.to_string());
                    }
                }
            }
        }
    }
    found
}

/// Whether a string literal looks like an error code: snake case with at least one `_`, or one
/// of the few one-word codes.
fn is_code(s: &str) -> bool {
    !s.is_empty()
        && s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
        && (s.contains('_') || ["unauthorized", "forbidden", "unavailable", "conflict", "internal"].contains(&s))
}

#[test]
fn every_error_code_of_the_sources_is_in_the_table() {
    let table: BTreeSet<&str> = core_app::error::codes::CODES.iter().map(|c| c.code).collect();
    let sources = codes_in_sources();
    assert!(sources.len() > 100, "too few codes read from the sources: {sources:?}");
    let missing: Vec<&String> = sources.iter().filter(|c| !table.contains(c.as_str())).collect();
    // Literals that are not codes but look like one (keys of `match`es, field names).
    let not_codes = ["variant", "order", "cart", "return", "event", "service_token", "session_token"];
    let missing: Vec<&&String> = missing.iter().filter(|c| !not_codes.contains(&c.as_str())).collect();
    assert!(missing.is_empty(), "codes answered but not in the table: {missing:?}");
}

#[tokio::test]
async fn each_door_s_document_lists_every_code_of_the_table() {
    let app = super::spawn_app().await;
    for doc in [app.get("/openapi.json").await, app.staff_get("/openapi.json").await] {
        assert_eq!(doc.status, 200);
        let listed: BTreeSet<&str> = doc.body["components"]["schemas"]["ErrorBody"]["properties"]["code"]["enum"]
            .as_array()
            .expect("the error code's enumeration")
            .iter()
            .filter_map(|v| v.as_str())
            .collect();
        let table: BTreeSet<&str> = core_app::error::codes::CODES.iter().map(|c| c.code).collect();
        assert_eq!(listed, table);
        let description = doc.body["info"]["description"].as_str().unwrap();
        for c in core_app::error::codes::CODES {
            assert!(description.contains(&format!("| `{}` | {} |", c.code, c.status)), "{} not described", c.code);
        }
    }
}
