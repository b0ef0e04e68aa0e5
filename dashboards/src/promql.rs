//! The metric names a PromQL expression (or a Grafana query) reads: enough of PromQL's lexical
//! structure to tell a metric from a function, a keyword, a label or a duration.

use std::collections::BTreeSet;

/// Words that are never metric names: operators, aggregation operators and modifiers.
const KEYWORDS: &[&str] = &[
    "and",
    "or",
    "unless",
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "bool",
    "offset",
    "sum",
    "avg",
    "min",
    "max",
    "count",
    "stddev",
    "stdvar",
    "topk",
    "bottomk",
    "quantile",
    "count_values",
    "group",
    "limitk",
    "limit_ratio",
    "inf",
    "nan",
    "Inf",
    "NaN",
];

/// Keywords followed by a parenthesized list of label names.
const LABEL_LISTS: &[&str] = &["by", "without", "on", "ignoring", "group_left", "group_right"];

/// Every metric name `expr` reads. Grafana's `label_values(metric, label)` yields its metric.
pub fn metrics(expr: &str) -> BTreeSet<String> {
    let chars: Vec<char> = expr.chars().collect();
    let mut out = BTreeSet::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '"' | '\'' | '`' => i = skip_string(&chars, i),
            '{' => i = skip_to(&chars, i, '{', '}'),
            '[' => i = skip_to(&chars, i, '[', ']'),
            '$' => {
                i += 1;
                if chars.get(i) == Some(&'{') {
                    i = skip_to(&chars, i, '{', '}');
                } else {
                    while i < chars.len() && is_word(chars[i]) {
                        i += 1;
                    }
                }
            }
            c if c.is_ascii_digit() || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) => {
                while i < chars.len() && (is_word(chars[i]) || chars[i] == '.') {
                    i += 1;
                }
            }
            c if c.is_ascii_alphabetic() || c == '_' || c == ':' => {
                let start = i;
                while i < chars.len() && is_word(chars[i]) {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                let mut next = i;
                while next < chars.len() && chars[next].is_whitespace() {
                    next += 1;
                }
                let call = chars.get(next) == Some(&'(');
                if LABEL_LISTS.contains(&word.as_str()) {
                    if call {
                        i = skip_to(&chars, next, '(', ')');
                    }
                } else if word == "label_values" && call {
                    // label_values(metric, label) or label_values(label)
                    let end = skip_to(&chars, next, '(', ')');
                    let inner: String = chars[next + 1..end.saturating_sub(1).max(next + 1)].iter().collect();
                    if let Some((metric, _)) = inner.split_once(',') {
                        out.extend(metrics(metric));
                    }
                    i = end;
                } else if !call && !KEYWORDS.contains(&word.as_str()) {
                    out.insert(word);
                }
            }
            _ => i += 1,
        }
    }
    out
}

fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == ':'
}

/// The index after the string starting at `start`.
fn skip_string(chars: &[char], start: usize) -> usize {
    let quote = chars[start];
    let mut i = start + 1;
    while i < chars.len() {
        match chars[i] {
            '\\' if quote != '`' => i += 2,
            c if c == quote => return i + 1,
            _ => i += 1,
        }
    }
    i
}

/// The index after the bracket closing the one at `start`, strings inside skipped.
fn skip_to(chars: &[char], start: usize, open: char, close: char) -> usize {
    let mut depth = 0;
    let mut i = start;
    while i < chars.len() {
        let c = chars[i];
        if c == '"' || c == '\'' || c == '`' {
            i = skip_string(chars, i);
            continue;
        }
        if c == open {
            depth += 1;
        } else if c == close {
            depth -= 1;
            if depth == 0 {
                return i + 1;
            }
        }
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(expr: &str, expected: &[&str]) {
        let found: Vec<String> = metrics(expr).into_iter().collect();
        assert_eq!(found, expected, "{expr}");
    }

    #[test]
    fn finds_metrics_and_nothing_else() {
        check(
            r#"sum by (journey, region) (rate(edge_http_requests_total{journey="browse",code="5xx"}[5m]))"#,
            &["edge_http_requests_total"],
        );
        check(
            r#"histogram_quantile(0.99, sum by (le) (rate(core_http_request_duration_seconds_bucket{region=~"$region"}[$__rate_interval])))"#,
            &["core_http_request_duration_seconds_bucket"],
        );
        check(
            "slo:sli_error:ratio_rate1h > (14.4 * 0.001) and slo:sli_error:ratio_rate5m > 0.0144",
            &["slo:sli_error:ratio_rate1h", "slo:sli_error:ratio_rate5m"],
        );
        check("a / on (region) group_left (journey) b offset 5m", &["a", "b"]);
        check("label_values(edge_http_requests_total, region)", &["edge_http_requests_total"]);
        check(r#"up{job="core", path="{x}"} == 1e3"#, &["up"]);
        check("sum without (route) (x) / ignoring(code) y", &["x", "y"]);
    }
}
