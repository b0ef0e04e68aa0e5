//! `cargo xtask bench checkout`: a flash sale alongside ordinary checkouts, through one edge,
//! with the payment provider stand-in, then an audit of the database and the provider, then
//! pgbench's built-in TPC-B-like script on the same PostgreSQL for scale.
//!
//! First, unmeasured, shoppers fill their carts through the edge the way a browser does
//! (create the cart, add each line; every change answers the cart priced): [`FLASH_BUYERS`]
//! carts of one unit of a new product stocked with [`FLASH_UNITS`] units (spread over
//! [`FLASH_BUCKETS`] rows, as a merchandiser prepares a flash sale), and enough ordinary
//! carts of 1 to 3 other SKUs of the seeded catalog. Their figures are printed too.
//!
//! Then the measured rush: the flash sale's buyers pay on [`FLASH_CONNECTIONS`] connections,
//! all at once, while ordinary shoppers pay on [`ORDINARY_CONNECTIONS`] more for `--seconds`
//! (the flash connections close once the sale's carts are paid, as its buyers leave). Paying is a card token from the
//! provider, then the checkout with an `Idempotency-Key` (retried once with the same key if
//! the answer is lost). Closed loop. `checkout_p99_ms` is over every checkout request
//! (sold-out answers included); `orders_per_s` counts orders confirmed in the window.
//!
//! The audit: `orders_confirmed_flash` (orders of the flash SKU confirmed), `oversold` (flash
//! units sold past the stock, plus units reserved past on-hand anywhere), `double_charges`
//! (orders the provider holds money for more than once), `lost_acknowledged` (orders answered
//! as placed that the database lacks, or answered confirmed and no longer are, or paid at the
//! provider and not confirmed).

use std::collections::{BTreeMap, HashMap};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use tokio_postgres::NoTls;

const MARKET: &str = "fr";
const WAREHOUSE: &str = "eu-par";
pub const FLASH_BUYERS: usize = 1000;
pub const FLASH_UNITS: i64 = 100;
pub const FLASH_CONNECTIONS: usize = 64;
/// Rows the flash sale's stock is spread over.
pub const FLASH_BUCKETS: u16 = 8;
pub const ORDINARY_CONNECTIONS: usize = 32;
const CARD: &str = "4242424242424242";
/// Ordinary carts filled per second of the run (more than can be paid for in the time).
const ORDINARY_CARTS_PER_SECOND: usize = 250;
const WARM_SECONDS: u64 = 5;
const PGBENCH_SCALE: &str = "10";
const PGBENCH_SECONDS: &str = "20";

pub fn run(args: super::Args) -> Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build()?;
    let setup = super::Setup::start(&args, &rt)?;
    let (edge, payments) = (setup.edge_port, setup.payments_port);
    let flash = rt.block_on(flash_product(setup.staff_port))?;
    let ordinary = rt.block_on(ordinary_variants(&setup.url))?;
    eprintln!("flash SKU {flash} with {FLASH_UNITS} units; ordinary purchases drawn from {} SKUs", ordinary.len());
    let prewarmed_mb = rt.block_on(super::prewarm(&setup.url))?;

    // Shoppers fill their carts beforehand (browsing takes minutes; paying is the rush): the
    // flash sale's buyers one unit each, the others 1 to 3 lines of 1 or 2 units.
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let ordinary_carts = ORDINARY_CARTS_PER_SECOND * (args.seconds as usize + WARM_SECONDS as usize);
    let mut carts: Vec<(Vec<(String, u32)>, bool)> = (0..ordinary_carts)
        .map(|_| {
            let n = rng.random_range(1..=3);
            (ordinary.choose_multiple(&mut rng, n).map(|v| (v.clone(), rng.random_range(1..=2))).collect(), false)
        })
        .collect();
    carts.extend((0..FLASH_BUYERS).map(|_| (vec![(flash.clone(), 1)], true)));
    // Shoppers fill their carts in no particular order.
    carts.shuffle(&mut rng);
    eprintln!("filling {} carts ({FLASH_BUYERS} for the flash sale) on 32 connections", carts.len());
    let fill_started = Instant::now();
    let (ready, filling) = rt.block_on(fill_carts(edge, carts, 32))?;
    let fill_seconds = fill_started.elapsed().as_secs_f64();
    let (flash_ready, mut ordinary_ready): (Vec<ReadyCart>, Vec<ReadyCart>) = ready.into_iter().partition(|c| c.2);
    if flash_ready.len() < FLASH_BUYERS {
        bail!("only {} of the flash sale's {FLASH_BUYERS} carts could be filled", flash_ready.len());
    }

    // Warm connections, statements and caches with a few seconds of ordinary checkouts,
    // unmeasured (they are audited with the rest).
    let warm_carts = ordinary_ready
        .split_off(ordinary_ready.len().saturating_sub(ORDINARY_CARTS_PER_SECOND * WARM_SECONDS as usize));
    let warm_run =
        rt.block_on(pay(edge, payments, warm_carts, ORDINARY_CONNECTIONS, 0, Duration::from_secs(WARM_SECONDS)))?;

    eprintln!(
        "flash sale: {FLASH_BUYERS} buyers on {FLASH_CONNECTIONS} connections, with ordinary checkouts on {ORDINARY_CONNECTIONS} more"
    );
    let mut paying = ordinary_ready;
    paying.extend(flash_ready);
    let db_before = rt.block_on(db_counters(&setup.url))?;
    let measured = rt.block_on(pay(
        edge,
        payments,
        paying,
        ORDINARY_CONNECTIONS,
        FLASH_CONNECTIONS,
        Duration::from_secs(args.seconds),
    ))?;
    let db_after = rt.block_on(db_counters(&setup.url))?;
    if measured.errors * 100 > measured.checkouts {
        bail!(
            "{} of {} checkouts failed: the figures would mean nothing (see .local/logs/bench-core.log)",
            measured.errors,
            measured.checkouts
        );
    }

    let mut acknowledged = warm_run.acknowledged.clone();
    acknowledged.extend(measured.acknowledged.iter().cloned());
    let audit = rt.block_on(audit(&setup.url, payments, &flash, &acknowledged))?;
    let pgbench_tps = pgbench(&setup, args.db_connections)?;

    let ms = |q: f64| measured.latency.value_at_quantile(q) as f64 / 1000.0;
    let elapsed = measured.elapsed.as_secs_f64();
    let orders_per_s = measured.confirmed as f64 / elapsed;
    println!("orders_confirmed_flash: {}", audit.confirmed_flash);
    println!("oversold: {}", audit.oversold);
    println!("double_charges: {}", audit.double_charges);
    println!("lost_acknowledged: {}", audit.lost);
    println!("checkout_p99_ms: {:.1}", ms(0.99));
    println!("orders_per_s: {orders_per_s:.1}");
    println!("pgbench_tps: {pgbench_tps:.0}");
    println!("orders_per_pgbench_tps: {:.3}", orders_per_s / pgbench_tps);
    println!("checkout_p50_ms: {:.1}", ms(0.50));
    println!("checkout_p99_ms_flash: {:.1}", measured.flash_latency.value_at_quantile(0.99) as f64 / 1000.0);
    println!("checkout_p50_ms_flash: {:.1}", measured.flash_latency.value_at_quantile(0.50) as f64 / 1000.0);
    println!("checkout_p99_ms_ordinary: {:.1}", measured.ordinary_latency.value_at_quantile(0.99) as f64 / 1000.0);
    println!("checkout_p50_ms_ordinary: {:.1}", measured.ordinary_latency.value_at_quantile(0.50) as f64 / 1000.0);
    let step = |h: &Histogram<u64>, q: f64| h.value_at_quantile(q) as f64 / 1000.0;
    println!("cart_create_p50_ms: {:.1}", step(&filling.cart_latency, 0.5));
    println!("cart_create_p99_ms: {:.1}", step(&filling.cart_latency, 0.99));
    println!("cart_line_p50_ms: {:.1}", step(&filling.line_latency, 0.5));
    println!("cart_line_p99_ms: {:.1}", step(&filling.line_latency, 0.99));
    println!("carts_filled_per_s: {:.0}", (filling.cart_latency.len() as f64) / fill_seconds);
    println!("cart_fill_errors: {}", filling.errors);
    println!("db_commits: {}", db_after.0 - db_before.0);
    println!("db_rollbacks: {}", db_after.1 - db_before.1);
    println!("checkout_p999_ms: {:.1}", ms(0.999));
    println!("checkout_max_ms: {:.1}", ms(1.0));
    println!("flash_buyers: {}", measured.flash_attempts);
    println!("flash_stock_buckets: {FLASH_BUCKETS}");
    println!("flash_sold_out_answers: {}", measured.sold_out);
    println!("flash_units_sold: {}", audit.flash_units_sold);
    println!("orders_confirmed: {}", measured.confirmed);
    println!("checkouts: {}", measured.checkouts);
    println!("checkout_errors: {}", measured.errors);
    println!("checkouts_retried_after_a_lost_answer: {}", measured.retried);
    println!("paid_not_confirmed: {}", audit.paid_not_confirmed);
    println!("amount_mismatches: {}", audit.amount_mismatches);
    println!("provider_authorizations: {}", audit.authorizations);
    println!("flash_connections: {FLASH_CONNECTIONS}");
    println!("ordinary_connections: {ORDINARY_CONNECTIONS}");
    println!("seconds: {elapsed:.1}");
    println!("pgbench_clients: {}", args.db_connections);
    println!("pgbench_scale: {PGBENCH_SCALE}");
    println!("core_db_connections: {}", args.db_connections);
    println!("skus: {}", setup.skus);
    println!("prewarmed_mb: {prewarmed_mb}");
    Ok(())
}

/// The database's committed and rolled-back transactions so far.
async fn db_counters(url: &str) -> Result<(i64, i64)> {
    let (db, conn) = tokio_postgres::connect(url, NoTls).await?;
    tokio::spawn(conn);
    let row = db
        .query_one(
            "SELECT xact_commit::INT8, xact_rollback::INT8 FROM pg_stat_database WHERE datname = current_database()",
            &[],
        )
        .await?;
    Ok((row.get(0), row.get(1)))
}

/// A new product in the market with [`FLASH_UNITS`] units in the market's first warehouse, made
/// through the core's staff listener `staff`.
async fn flash_product(staff: u16) -> Result<String> {
    let mut http = Http::connect(staff).await?;
    let admin = format!("Bearer {}", super::BENCH_ADMIN_TOKEN);
    let auth = [("authorization", admin.as_str())];
    let category = json!({"code": "bench-flash", "translations": {"en": {"name": "Flash sale", "slug": "flash-sale"}, "fr": {"name": "Vente flash", "slug": "vente-flash"}}});
    let (status, body) = http.send("POST", "/admin/v1/categories", &auth, Some(category.to_string())).await?;
    if status != 201 && status != 409 {
        bail!("creating the flash category: {status} {body}");
    }
    // A new code every run, in letters: a long run of digits may look like a card number,
    // which the API refuses.
    let mut seed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_millis();
    let mut code = String::from("FLASH-");
    while seed > 0 {
        code.push(char::from(b'A' + (seed % 26) as u8));
        seed /= 26;
    }
    let product = json!({
        "code": code, "category": "bench-flash", "markets": [MARKET],
        "translations": {"fr": {"name": format!("Vente flash {code}"), "slug": code.to_lowercase()},
                         "en": {"name": format!("Flash sale {code}"), "slug": code.to_lowercase()}},
        "variants": [{"sku": format!("{code}-1"), "prices": {MARKET: {"amount_minor": 1999}}}]
    });
    let (status, body) = http.send("POST", "/admin/v1/products", &auth, Some(product.to_string())).await?;
    if status != 201 {
        bail!("creating the flash product: {status} {body}");
    }
    let id = body["id"].as_str().context("product id")?.to_string();
    let variant = body["variants"][0]["id"].as_str().context("variant id")?.to_string();
    let (status, body) = http.send("POST", &format!("/admin/v1/products/{id}/publish"), &auth, None).await?;
    if status != 200 {
        bail!("publishing the flash product: {status} {body}");
    }
    // Spread over buckets, as a merchandiser prepares a flash sale: that many checkouts of it
    // can then run at once.
    let stock = json!({"on_hand": FLASH_UNITS, "buckets": FLASH_BUCKETS}).to_string();
    let (status, body) =
        http.send("PUT", &format!("/admin/v1/stock/{WAREHOUSE}/{variant}"), &auth, Some(stock)).await?;
    if status != 204 {
        bail!("stocking the flash product: {status} {body}");
    }
    Ok(variant)
}

/// Published variants sold and priced in the market with plenty of stock in its first
/// warehouse.
async fn ordinary_variants(url: &str) -> Result<Vec<String>> {
    let (client, conn) = tokio_postgres::connect(url, NoTls).await?;
    let task = tokio::spawn(conn);
    let variants: Vec<String> = client
        .query(
            "SELECT v.id::TEXT FROM variants v JOIN products p ON p.id = v.product_id \
             JOIN product_markets pm ON pm.product_id = p.id AND pm.market = $1 \
             JOIN prices pr ON pr.variant_id = v.id AND pr.market = $1 \
             JOIN stock s ON s.variant_id = v.id AND s.warehouse = $2 \
             WHERE p.status = 'published' AND s.on_hand - s.reserved - s.safety_stock >= 50 LIMIT 20000",
            &[&MARKET, &WAREHOUSE],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    drop(client);
    let _ = task.await;
    if variants.len() < 100 {
        bail!("only {} variants in stock in {MARKET}: is the catalog seeded?", variants.len());
    }
    Ok(variants)
}

/// One keep-alive HTTP/1.1 connection, reopened when the server closes it.
pub(super) struct Http {
    port: u16,
    sender: SendRequest<Full<Bytes>>,
}

impl Http {
    pub(super) async fn connect(port: u16) -> Result<Self> {
        let stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
        stream.set_nodelay(true)?;
        let (sender, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
        tokio::spawn(conn);
        Ok(Self { port, sender })
    }

    /// Sends one request; returns the status and the body as JSON (Null when it is not).
    pub(super) async fn send(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<String>,
    ) -> Result<(u16, Value)> {
        if self.sender.ready().await.is_err() {
            *self = Self::connect(self.port).await?;
        }
        let mut request = hyper::Request::builder().method(method).uri(path).header("host", "127.0.0.1");
        if body.is_some() {
            request = request.header("content-type", "application/json");
        }
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        let request = request.body(Full::new(Bytes::from(body.unwrap_or_default())))?;
        let exchange = async {
            let response = self.sender.send_request(request).await?;
            let status = response.status().as_u16();
            let bytes = response.into_body().collect().await?.to_bytes();
            anyhow::Ok((status, serde_json::from_slice(&bytes).unwrap_or(Value::Null)))
        };
        match tokio::time::timeout(Duration::from_secs(30), exchange).await {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(e)) => {
                *self = Self::connect(self.port).await?;
                Err(e)
            }
            Err(_) => {
                *self = Self::connect(self.port).await?;
                bail!("{method} {path}: no answer in 30 s")
            }
        }
    }
}

/// An order the shop answered as placed: (id, status answered, flash?).
type Acknowledged = (String, String, bool);

/// A filled cart waiting for its shopper to pay: (cart id, cart token, flash?).
type ReadyCart = (String, String, bool);

/// Fills carts the way a shopper's browser does (create, then add each line; every change
/// answers the cart priced), on `connections` connections. Returns the carts and the latency
/// of each step.
async fn fill_carts(
    edge: u16,
    carts: Vec<(Vec<(String, u32)>, bool)>,
    connections: usize,
) -> Result<(Vec<ReadyCart>, Outcome)> {
    let queue = Arc::new(std::sync::Mutex::new(carts));
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let queue = queue.clone();
        tasks.push(tokio::spawn(async move {
            let mut shop = Http::connect(edge).await?;
            let mut out = Outcome::new()?;
            let mut ready = Vec::new();
            loop {
                let Some((lines, flash)) = queue.lock().map_err(|_| anyhow::anyhow!("poisoned"))?.pop() else { break };
                // A cart that could not be filled is filled again once (another cart, as a
                // shopper would after an error); failures are counted either way.
                let filled = match fill(&mut shop, &lines, &mut out).await {
                    Some(cart) => Some(cart),
                    None => fill(&mut shop, &lines, &mut out).await,
                };
                if let Some((id, token)) = filled {
                    ready.push((id, token, flash));
                }
            }
            anyhow::Ok((ready, out))
        }));
    }
    let (mut ready, mut total) = (Vec::new(), Outcome::new()?);
    for t in tasks {
        let (r, o) = t.await??;
        ready.extend(r);
        total.merge(o)?;
    }
    Ok((ready, total))
}

/// One cart: created, then filled line by line.
async fn fill(shop: &mut Http, lines: &[(String, u32)], out: &mut Outcome) -> Option<(String, String)> {
    let t = Instant::now();
    let created = shop.send("POST", &format!("/v1/{MARKET}/fr/carts"), &[], Some("{}".into())).await;
    out.cart_latency.saturating_record(t.elapsed().as_micros() as u64);
    let cart = match created {
        Ok((201, body)) => body,
        Ok((status, body)) => return failed(out, "creating a cart", format!("{status} {body}")),
        Err(e) => return failed(out, "creating a cart", e.to_string()),
    };
    let (Some(id), Some(token)) = (cart["id"].as_str(), cart["token"].as_str()) else {
        return failed(out, "creating a cart", cart.to_string());
    };
    let headers = [("x-cart-token", token)];
    for (variant, quantity) in lines {
        let body = format!("{{\"quantity\":{quantity}}}");
        let t = Instant::now();
        let added = shop.send("PUT", &format!("/v1/carts/{id}/lines/{variant}"), &headers, Some(body)).await;
        out.line_latency.saturating_record(t.elapsed().as_micros() as u64);
        match added {
            Ok((200, _)) => {}
            Ok((status, body)) => return failed(out, "adding a line", format!("{status} {body}")),
            Err(e) => return failed(out, "adding a line", e.to_string()),
        }
    }
    Some((id.to_string(), token.to_string()))
}

fn failed<T>(out: &mut Outcome, what: &str, detail: String) -> Option<T> {
    out.errors += 1;
    if out.errors <= 3 {
        eprintln!("{what}: {detail}");
    }
    None
}

struct Outcome {
    latency: Histogram<u64>,
    /// The same, of the flash sale's checkouts and of the others.
    flash_latency: Histogram<u64>,
    ordinary_latency: Histogram<u64>,
    /// Latency of filling carts: creating one, adding a line.
    cart_latency: Histogram<u64>,
    line_latency: Histogram<u64>,
    checkouts: u64,
    confirmed: u64,
    errors: u64,
    sold_out: u64,
    retried: u64,
    flash_attempts: usize,
    acknowledged: Vec<Acknowledged>,
    elapsed: Duration,
}

impl Outcome {
    fn new() -> Result<Self> {
        Ok(Self {
            latency: Histogram::new_with_bounds(1, 120_000_000, 3)?,
            flash_latency: Histogram::new_with_bounds(1, 120_000_000, 3)?,
            ordinary_latency: Histogram::new_with_bounds(1, 120_000_000, 3)?,
            cart_latency: Histogram::new_with_bounds(1, 120_000_000, 3)?,
            line_latency: Histogram::new_with_bounds(1, 120_000_000, 3)?,
            checkouts: 0,
            confirmed: 0,
            errors: 0,
            sold_out: 0,
            retried: 0,
            flash_attempts: 0,
            acknowledged: Vec::new(),
            elapsed: Duration::ZERO,
        })
    }

    fn merge(&mut self, other: Outcome) -> Result<()> {
        self.latency.add(&other.latency)?;
        self.flash_latency.add(&other.flash_latency)?;
        self.ordinary_latency.add(&other.ordinary_latency)?;
        self.cart_latency.add(&other.cart_latency)?;
        self.line_latency.add(&other.line_latency)?;
        self.checkouts += other.checkouts;
        self.confirmed += other.confirmed;
        self.errors += other.errors;
        self.sold_out += other.sold_out;
        self.retried += other.retried;
        self.flash_attempts += other.flash_attempts;
        self.acknowledged.extend(other.acknowledged);
        Ok(())
    }
}

/// Shoppers paying for their filled carts: `flash` connections take the flash sale's carts
/// (all of them, whatever the time), `ordinary` connections ordinary ones until `duration` or
/// until none is left.
async fn pay(
    edge: u16,
    payments: u16,
    carts: Vec<ReadyCart>,
    ordinary: usize,
    flash: usize,
    duration: Duration,
) -> Result<Outcome> {
    let started = Instant::now();
    let deadline = started + duration;
    let (flash_carts, ordinary_carts): (Vec<ReadyCart>, Vec<ReadyCart>) = carts.into_iter().partition(|c| c.2);
    let flash_queue = Arc::new(std::sync::Mutex::new(flash_carts));
    let ordinary_queue = Arc::new(std::sync::Mutex::new(ordinary_carts));
    let mut tasks = Vec::new();
    for worker in 0..ordinary + flash {
        let takes_flash = worker >= ordinary;
        let (flash_queue, ordinary_queue) = (flash_queue.clone(), ordinary_queue.clone());
        tasks.push(tokio::spawn(async move {
            let mut rng = rand::rngs::StdRng::seed_from_u64(worker as u64 + started.elapsed().as_nanos() as u64);
            let mut shop = Http::connect(edge).await?;
            let mut provider = Http::connect(payments).await?;
            let mut out = Outcome::new()?;
            loop {
                let cart = if takes_flash {
                    flash_queue.lock().map_err(|_| anyhow::anyhow!("poisoned"))?.pop()
                } else if Instant::now() < deadline {
                    ordinary_queue.lock().map_err(|_| anyhow::anyhow!("poisoned"))?.pop()
                } else {
                    None
                };
                let Some(cart) = cart else { break };
                if cart.2 {
                    out.flash_attempts += 1;
                }
                checkout(&mut shop, &mut provider, &cart, &mut rng, &mut out).await;
            }
            anyhow::Ok(out)
        }));
    }
    let mut total = Outcome::new()?;
    for t in tasks {
        total.merge(t.await??)?;
    }
    total.elapsed = started.elapsed();
    Ok(total)
}

/// A shopper pays: a card token from the provider, then the checkout (retried once with the
/// same key if the answer is lost). The outcome is recorded in `out`.
async fn checkout(shop: &mut Http, provider: &mut Http, cart: &ReadyCart, rng: &mut impl Rng, out: &mut Outcome) {
    let (id, token, flash) = cart;
    let card = json!({"number": CARD, "exp_month": 12, "exp_year": 2034, "cvc": "123"}).to_string();
    let card_token = match provider.send("POST", "/v1/tokens", &[], Some(card)).await {
        Ok((201 | 200, body)) => body["token"].as_str().unwrap_or_default().to_string(),
        Ok((status, body)) => {
            return failed::<()>(out, "tokenizing the card", format!("{status} {body}")).unwrap_or(());
        }
        Err(e) => return failed::<()>(out, "tokenizing the card", e.to_string()).unwrap_or(()),
    };
    let key: String = (0..24).map(|_| char::from(b'a' + rng.random_range(0..26u8))).collect();
    let body = json!({
        "payment_token": card_token, "email": "buyer@example.com",
        "ship_to": {"name": "Camille Martin", "line1": "5 rue de la Paix", "city": "Paris", "postal_code": "75002", "country": "FR"}
    })
    .to_string();
    let headers = [("x-cart-token", token.as_str()), ("idempotency-key", key.as_str())];
    let path = format!("/v1/carts/{id}/checkout");
    let started = Instant::now();
    let mut answer = shop.send("POST", &path, &headers, Some(body.clone())).await;
    if answer.is_err() {
        // The answer was lost: retry with the same key, as a shopper's browser would.
        out.retried += 1;
        answer = shop.send("POST", &path, &headers, Some(body)).await;
    }
    let micros = started.elapsed().as_micros() as u64;
    out.latency.saturating_record(micros);
    if *flash {
        out.flash_latency.saturating_record(micros)
    } else {
        out.ordinary_latency.saturating_record(micros)
    }
    out.checkouts += 1;
    match answer {
        Ok((200 | 201, order)) => {
            let status = order["status"].as_str().unwrap_or_default().to_string();
            if status == "confirmed" {
                out.confirmed += 1;
            }
            out.acknowledged.push((order["id"].as_str().unwrap_or_default().to_string(), status, *flash));
        }
        Ok((409, body)) if body["code"] == "out_of_stock" => out.sold_out += 1,
        Ok((status, body)) => {
            failed::<()>(out, "checking out", format!("{status} {body}"));
        }
        Err(e) => {
            failed::<()>(out, "checking out", e.to_string());
        }
    }
}

#[derive(Debug, Default)]
struct Audit {
    confirmed_flash: i64,
    flash_units_sold: i64,
    oversold: i64,
    double_charges: usize,
    lost: usize,
    paid_not_confirmed: usize,
    amount_mismatches: usize,
    authorizations: usize,
}

/// Waits for pending payments to settle (bounded), then checks the database against what
/// shoppers were told and against the provider's records.
async fn audit(url: &str, payments: u16, flash: &str, acknowledged: &[Acknowledged]) -> Result<Audit> {
    let (db, conn) = tokio_postgres::connect(url, NoTls).await?;
    tokio::spawn(conn);
    let ids: Vec<uuid::Uuid> = acknowledged.iter().filter_map(|(id, _, _)| uuid::Uuid::parse_str(id).ok()).collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let pending: i64 = db
            .query_one("SELECT count(*) FROM orders WHERE id = ANY($1) AND status = 'pending_payment'", &[&ids])
            .await?
            .get(0);
        if pending == 0 || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let flash = uuid::Uuid::parse_str(flash)?;
    let mut audit = Audit::default();
    let row = db
        .query_one(
            "SELECT count(DISTINCT o.id) FILTER (WHERE o.status IN ('confirmed', 'shipped')), \
                    COALESCE(sum(l.quantity) FILTER (WHERE o.status IN ('pending_payment', 'confirmed', 'shipped')), 0)::INT8 \
             FROM orders o JOIN order_lines l ON l.order_id = o.id WHERE l.variant_id = $1",
            &[&flash],
        )
        .await?;
    audit.confirmed_flash = row.get(0);
    audit.flash_units_sold = row.get(1);
    let over_reserved: i64 =
        db.query_one("SELECT COALESCE(sum(GREATEST(reserved - on_hand, 0)), 0)::INT8 FROM stock", &[]).await?.get(0);
    let negative: i64 = db.query_one("SELECT count(*) FROM stock WHERE on_hand < 0 OR reserved < 0", &[]).await?.get(0);
    audit.oversold = (audit.flash_units_sold - FLASH_UNITS).max(0) + over_reserved + negative;

    // What the database says of every order the shoppers were told about.
    let rows = db.query("SELECT id::TEXT, status, total_minor FROM orders WHERE id = ANY($1)", &[&ids]).await?;
    let stored: HashMap<String, (String, i64)> = rows.iter().map(|r| (r.get(0), (r.get(1), r.get(2)))).collect();
    for (id, answered, _) in acknowledged {
        match stored.get(id) {
            None => audit.lost += 1,
            Some((now, _)) if answered == "confirmed" && now != "confirmed" && now != "shipped" => audit.lost += 1,
            Some(_) => {}
        }
    }

    // The provider's side: money held per order, against the orders.
    let provider = format!("Bearer {}", super::BENCH_PAYMENTS_API_KEY);
    let mut http = Http::connect(payments).await?;
    let (status, report) = http.send("GET", "/_audit", &[("authorization", provider.as_str())], None).await?;
    if status != 200 {
        bail!("the provider's audit answered {status}: {report}");
    }
    audit.double_charges = report["double_charges"].as_array().map_or(0, Vec::len);
    let authorizations = report["authorizations"].as_array().cloned().unwrap_or_default();
    audit.authorizations = authorizations.len();
    let mut holding: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for a in &authorizations {
        if matches!(a["status"].as_str(), Some("authorized" | "captured")) {
            let reference = a["reference"].as_str().unwrap_or_default().to_string();
            holding.entry(reference).or_default().push(a["amount_minor"].as_i64().unwrap_or(0));
        }
    }
    let references: Vec<uuid::Uuid> = holding.keys().filter_map(|r| uuid::Uuid::parse_str(r).ok()).collect();
    let rows = db.query("SELECT id::TEXT, status, total_minor FROM orders WHERE id = ANY($1)", &[&references]).await?;
    let paid_orders: HashMap<String, (String, i64)> = rows.iter().map(|r| (r.get(0), (r.get(1), r.get(2)))).collect();
    for (reference, amounts) in &holding {
        match paid_orders.get(reference) {
            Some((status, total)) => {
                if status != "confirmed" && status != "shipped" {
                    audit.paid_not_confirmed += 1;
                }
                if amounts.iter().any(|a| a != total) {
                    audit.amount_mismatches += 1;
                }
            }
            None => audit.paid_not_confirmed += 1,
        }
    }
    audit.lost += audit.paid_not_confirmed;
    Ok(audit)
}

/// pgbench's built-in TPC-B-like script on the same PostgreSQL, in a database of its own;
/// returns its transactions per second.
fn pgbench(setup: &super::Setup, clients: usize) -> Result<f64> {
    let pgbench = testkit::pg_bin_dir()
        .map(|d| d.join("pgbench"))
        .ok()
        .filter(|p| p.exists())
        .unwrap_or_else(|| "pgbench".into());
    let port = setup.pg_port.to_string();
    let base = ["-h", "127.0.0.1", "-p", port.as_str(), "-U", "postgres"];
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    rt.block_on(async {
        let url = setup.url.rsplit_once('/').map(|(server, _)| format!("{server}/postgres")).context("database URL")?;
        let (admin, conn) = tokio_postgres::connect(&url, NoTls).await?;
        tokio::spawn(conn);
        admin.batch_execute("DROP DATABASE IF EXISTS pgbench").await?;
        admin.batch_execute("CREATE DATABASE pgbench").await?;
        anyhow::Ok(())
    })?;
    eprintln!("pgbench: initializing scale {PGBENCH_SCALE}");
    let init = Command::new(&pgbench)
        .args(base)
        .args(["-i", "-q", "-s", PGBENCH_SCALE, "pgbench"])
        .output()
        .context("running pgbench -i")?;
    if !init.status.success() {
        bail!("pgbench -i failed: {}", String::from_utf8_lossy(&init.stderr));
    }
    eprintln!("pgbench: TPC-B-like, {clients} clients, {PGBENCH_SECONDS} s");
    let clients = clients.to_string();
    let run = Command::new(&pgbench)
        .args(base)
        .args(["-b", "tpcb-like", "-c", clients.as_str(), "-j", "2", "-T", PGBENCH_SECONDS, "pgbench"])
        .output()
        .context("running pgbench")?;
    if !run.status.success() {
        bail!("pgbench failed: {}", String::from_utf8_lossy(&run.stderr));
    }
    let stdout = String::from_utf8_lossy(&run.stdout);
    stdout
        .lines()
        .find_map(|l| {
            l.strip_prefix("tps = ").and_then(|rest| rest.split_whitespace().next()).and_then(|n| n.parse::<f64>().ok())
        })
        .with_context(|| format!("no tps in pgbench's output:\n{stdout}"))
}
