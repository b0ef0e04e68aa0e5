//! After the whole suite (`cargo xtask test`): no card number the tests sent is anywhere it could
//! be kept. Every file of the run's log folder (the logs of every process the tests started) and
//! a dump of every database of the test cluster (`pg_dumpall`) are read with the same card number
//! finder the core's input guard uses (any shape: separators, other scripts' digits); a number
//! found that is among those the tests sent (recorded by the tests in the log folder's
//! `cards-sent.txt`, and the payment stand-in's test cards) fails the run, with where it was.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};
use testkit::PgServer;

/// The payment provider stand-in's test cards, which many tests send to it.
const STAND_IN_CARDS: [&str; 6] = [
    "4242424242424242",
    "4000000000000002",
    "4000000000009995",
    "4000000000003220",
    "4000000000000259",
    "5555555555554444",
];

/// Where a sent card number was found.
struct Finding {
    place: String,
    number: String,
}

pub fn check(pg: &PgServer, logs: &Path) -> Result<()> {
    let mut sent: BTreeSet<String> = STAND_IN_CARDS.iter().map(|s| s.to_string()).collect();
    let recorded = logs.join(testkit::CARDS_SENT_FILE);
    if let Ok(text) = std::fs::read_to_string(&recorded) {
        sent.extend(text.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_string));
    }
    let mut findings = Vec::new();
    let mut files = 0;
    let mut bytes = 0u64;
    let mut stack = vec![logs.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path == recorded {
                continue;
            }
            let content = std::fs::read(&path)?;
            files += 1;
            bytes += content.len() as u64;
            let text = String::from_utf8_lossy(&content);
            for (i, line) in text.lines().enumerate() {
                for number in telemetry::card_numbers::find_all(line) {
                    if sent.contains(&number) {
                        findings.push(Finding { place: format!("{}:{}", path.display(), i + 1), number });
                    }
                }
            }
        }
    }
    let (databases, dump_bytes) = search_dump(pg, &sent, &mut findings)?;
    eprintln!(
        "card numbers sent by the tests: {}; searched {files} log files ({} MB) and {databases} databases ({} MB dumped): {} found",
        sent.len(),
        bytes / 1_000_000,
        dump_bytes / 1_000_000,
        findings.len()
    );
    if !findings.is_empty() {
        for f in findings.iter().take(50) {
            eprintln!("  {}: {}", f.place, masked(&f.number));
        }
        bail!("{} card numbers the tests sent were written to logs or databases", findings.len());
    }
    Ok(())
}

/// Reads a dump of every database, line by line; returns the databases seen and the bytes read.
fn search_dump(pg: &PgServer, sent: &BTreeSet<String>, findings: &mut Vec<Finding>) -> Result<(usize, u64)> {
    let dumpall = testkit::pg_bin_dir()?.join("pg_dumpall");
    let mut child = Command::new(&dumpall)
        .args(["-h", "127.0.0.1", "-p", &pg.port().to_string(), "-U", "postgres", "--no-role-passwords"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("running {}", dumpall.display()))?;
    let stdout = child.stdout.take().context("pg_dumpall's output")?;
    let mut database = String::from("(cluster)");
    let mut databases = 0;
    let mut bytes = 0u64;
    let mut line = Vec::new();
    let mut reader = BufReader::with_capacity(1 << 20, stdout);
    while reader.read_until(b'\n', &mut line)? > 0 {
        bytes += line.len() as u64;
        let text = String::from_utf8_lossy(&line);
        if let Some(name) = text.strip_prefix("\\connect ") {
            database = name.trim().to_string();
            databases += 1;
        } else {
            for number in telemetry::card_numbers::find_all(&text) {
                if sent.contains(&number) {
                    findings.push(Finding { place: format!("database {database}"), number });
                }
            }
        }
        line.clear();
    }
    if !child.wait()?.success() {
        bail!("pg_dumpall failed");
    }
    Ok((databases, bytes))
}

/// A card number as a report may show it: its first six and last four digits.
fn masked(number: &str) -> String {
    let n = number.len();
    format!("{}{}{}", &number[..6], "*".repeat(n.saturating_sub(10)), &number[n.saturating_sub(4)..])
}
