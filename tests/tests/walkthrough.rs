//! The walkthrough (`docs/walkthrough.md`, linked from the README) as written: its shell blocks
//! are one script, run with bash against a stack of every region (a seeded catalog, every
//! partner stand-in), its variables pointing at that stack. A command that fails (an HTTP error,
//! a `jq -e` that finds nothing, a wait that gives up) fails the test with the script's output.

use std::process::Command;

use stack_tests::{ADMIN_TOKEN, Stack, WAREHOUSE_API_KEY};

/// The contents of the ```` ```sh ```` blocks of a Markdown page, in order.
fn shell_blocks(page: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in page.lines() {
        match (&mut current, line.trim_end()) {
            (None, "```sh") => current = Some(String::new()),
            (Some(block), "```") => {
                blocks.push(std::mem::take(block));
                current = None;
            }
            (Some(block), _) => {
                block.push_str(line);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    blocks
}

#[test]
fn shell_blocks_are_read_in_order_and_other_blocks_left_out() {
    let page = "text\n```sh\na=1\n```\n```json\n{}\n```\n```sh\necho $a\n```\n";
    assert_eq!(shell_blocks(page), ["a=1\n", "echo $a\n"]);
}

#[tokio::test]
async fn the_walkthrough_runs_as_written() {
    let stack = Stack::builder().seeded_skus(300).start().await.unwrap();
    let page = std::fs::read_to_string(testkit::workspace_root().join("docs/walkthrough.md")).unwrap();
    let blocks = shell_blocks(&page);
    assert!(blocks.len() >= 8, "the walkthrough's blocks: {}", blocks.len());
    let script = format!("set -euo pipefail\n{}", blocks.join("\n"));
    let url = |port: u16| format!("http://127.0.0.1:{port}");
    let mut bash = Command::new("bash");
    bash.arg("-c")
        .arg(script)
        .env("EDGE", url(stack.edge("eu-west")))
        .env("EDGE_US", url(stack.edge("us-east")))
        .env("STAFF", url(stack.staff("eu-west")))
        .env("ADMIN_TOKEN", ADMIN_TOKEN)
        .env("PAYMENTS", url(stack.payments_port))
        .env("WAREHOUSE", url(stack.warehouse_port))
        .env("WAREHOUSE_KEY", WAREHOUSE_API_KEY)
        .env("PARCELO", url(stack.parcelo_port))
        .env("CLASSICPOST", url(stack.classicpost_port))
        .env("MAIL", format!("http://{}", stack.mail_addr()));
    let output = tokio::task::spawn_blocking(move || bash.output().expect("running bash")).await.unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "the walkthrough failed ({}):\n{stdout}\n{stderr}", output.status);
    println!("{stdout}");
    // What a reader is told they will see.
    assert!(stdout.contains("payment_failed"), "the declined card's order: {stdout}");
    assert!(stdout.contains("\"delivered\""), "the parcel's timeline: {stdout}");
}
