//! Goose load test for ocop-gateway. One workload per run, chosen by
//! `OCOP_WORKLOAD` (W1, W2, W3, W4, W4P, FLOOR, REPORTS or ORIGIN); goose's own flags (`-H`, `-u`,
//! `-t` ...) set host, users and duration. `bench/run` drives it; see
//! BENCHMARKS.md.
//!
//! Each goose user is one HTTP connection acting for one partner (tokens
//! from `OCOP_TOKENS`, one per line). Before the attack, the catalogue's
//! product ids and each partner's stores are read through the API itself.
//! At the end a one-line JSON summary per request kind is printed and
//! appended to `OCOP_SUMMARY` when set.

use std::io::Write;
use std::sync::{Arc, OnceLock};

use goose::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Workload {
    W1,
    W2,
    W3,
    W4,
    /// Placing only: two-line orders over 500 products, none cancelled,
    /// to measure what one placed order costs.
    W4P,
    Floor,
    /// The dashboard: the three reports over the last 90 local days, with
    /// a think time (`OCOP_WAIT_MS`) between pages.
    Reports,
    /// Shoppers scanning stamps: anonymous `GET`s of random products'
    /// origin pages (the `stampUrl` the API gives), HTML in Vietnamese.
    Origin,
}

struct Fixture {
    tokens: Vec<String>,
    /// The store each token's partner orders for.
    stores: Vec<String>,
    products: Vec<String>,
    /// The path of each product's origin page (its `stampUrl` without the host).
    stamps: Vec<String>,
    /// (id, minOrderQuantity) of the products every W4 order draws from
    /// (50; W4P: 500).
    hot: Vec<(String, i64)>,
    /// YYYY-MM-DD, within the year ahead the gateway accepts.
    delivery_date: String,
}

static FIXTURE: OnceLock<Arc<Fixture>> = OnceLock::new();

const CATEGORIES: [&str; 6] = [
    "FOOD",
    "BEVERAGES",
    "HERBAL_PRODUCTS",
    "TEXTILES_GARMENTS",
    "HANDICRAFTS_SOUVENIRS",
    "RURAL_TOURISM",
];

/// What integrators type: Vietnamese words without their diacritics.
const WORDS: [&str; 24] = [
    "mat ong",
    "nuoc mam",
    "tra",
    "ca phe",
    "gao",
    "mien dong",
    "banh da",
    "ruou",
    "tinh dau",
    "tho cam",
    "khan lua",
    "gom",
    "non la",
    "huu co",
    "shan tuyet",
    "hoa sen",
    "que",
    "gung",
    "ha giang",
    "lam dong",
    "thai nguyen",
    "ben tre",
    "soc trang",
    "dac san",
];

const W1: &str =
    "query($c: Category!) { products(first: 50, filter: { category: $c, minStars: 4 }) {
  edges { node { id sku nameVi stars wholesalePrice producer { name province } available } } } }";
const W2: &str =
    "query($id: ID!) { product(id: $id) { available stock { location { code } available } } }";
const W3: &str = "query($q: String!) { products(first: 20, filter: { search: $q }) {
  edges { node { id sku nameVi producer { name } } } } }";
const PLACE: &str = "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) {
  replayed order { id status total } } }";
const CANCEL: &str =
    "mutation($id: ID!) { cancelOrder(id: $id, reason: \"load test\") { id status } }";

#[derive(Clone)]
struct Session {
    token: String,
    store: String,
    rng: StdRng,
    orders: u64,
}

fn fixture() -> &'static Arc<Fixture> {
    FIXTURE
        .get()
        .expect("the fixture is loaded before the attack starts")
}

async fn on_start(user: &mut GooseUser) -> TransactionResult {
    let fx = fixture();
    let i = user.weighted_users_index % fx.tokens.len();
    user.set_session_data(Session {
        token: fx.tokens[i].clone(),
        store: fx.stores[i].clone(),
        rng: StdRng::seed_from_u64(user.weighted_users_index as u64),
        orders: 0,
    });
    Ok(())
}

/// Posts one GraphQL operation; a non-200 status or any `errors` entry is
/// a failure. Returns `data`.
async fn graphql(
    user: &mut GooseUser,
    name: &str,
    query: &str,
    variables: Value,
) -> Result<Option<Value>, Box<TransactionError>> {
    let token = user.get_session_data_unchecked::<Session>().token.clone();
    let builder = user
        .get_request_builder(&GooseMethod::Post, "/graphql")?
        .bearer_auth(token)
        .json(&json!({ "query": query, "variables": variables }));
    let request = GooseRequest::builder()
        .method(GooseMethod::Post)
        .path("/graphql")
        .name(name)
        .set_request_builder(builder)
        .build();
    let mut goose = user.request(request).await?;
    let body = match goose.response {
        Ok(response) => response.json::<Value>().await.ok(),
        Err(_) => None,
    };
    match body {
        Some(body) if body.get("errors").is_none() => Ok(body.get("data").cloned()),
        Some(body) => {
            // Tagged with the error code, so the summary counts errors by code.
            let code = body["errors"][0]["extensions"]["code"]
                .as_str()
                .unwrap_or("NO_CODE")
                .to_owned();
            let text = body.to_string();
            user.set_failure(&code, &mut goose.request, None, Some(&text))?;
            Ok(None)
        }
        None => {
            user.set_failure("no JSON body", &mut goose.request, None, None)?;
            Ok(None)
        }
    }
}

/// A dashboard shows the top 50 products (every row is in the CSV export).
const SALES: &str = "query($from: Date!, $to: Date!, $g: SalesGroupBy!) { salesReport(from: $from, to: $to, groupBy: $g, first: 50) { key units revenue } }";
const FULFILMENT: &str = "query($from: Date!, $to: Date!) { fulfillmentReport(from: $from, to: $to) { orders fillRate onTimeRate cancelRate leadTimeHours { placedToConfirmed { p50 p90 } placedToDelivered { p50 p90 } } } }";
const LOW_STOCK: &str = "{ lowStock(maxDaysOfCover: 30) { product { sku } location { code } available dailyUnits daysOfCover } }";

/// One dashboard page: sales by day and by product, fulfilment, low stock.
async fn reports(user: &mut GooseUser) -> TransactionResult {
    let today = (chrono::Utc::now() + chrono::Duration::hours(7)).date_naive();
    let window = json!({ "from": (today - chrono::Duration::days(89)).to_string(), "to": today.to_string() });
    let by = |g: &str| {
        let mut v = window.clone();
        v["g"] = json!(g);
        v
    };
    graphql(user, "R salesReport DAY", SALES, by("DAY")).await?;
    graphql(user, "R salesReport PRODUCT", SALES, by("PRODUCT")).await?;
    graphql(user, "R fulfillmentReport", FULFILMENT, window.clone()).await?;
    graphql(user, "R lowStock", LOW_STOCK, json!({})).await?;
    Ok(())
}

async fn origin_page(user: &mut GooseUser) -> TransactionResult {
    let fx = fixture();
    let session = user.get_session_data_unchecked_mut::<Session>();
    let path = fx.stamps[session.rng.random_range(0..fx.stamps.len())].clone();
    let request = GooseRequest::builder()
        .method(GooseMethod::Get)
        .path(path.as_str())
        .name("ORIGIN page")
        .build();
    let mut goose = user.request(request).await?;
    let ok = matches!(&goose.response, Ok(r) if r.status().is_success());
    if !ok {
        user.set_failure("origin page failed", &mut goose.request, None, None)?;
    }
    Ok(())
}

async fn w1(user: &mut GooseUser) -> TransactionResult {
    let session = user.get_session_data_unchecked_mut::<Session>();
    let c = CATEGORIES[session.rng.random_range(0..CATEGORIES.len())];
    graphql(user, "W1 catalogue page", W1, json!({ "c": c })).await?;
    Ok(())
}

fn random_product(user: &mut GooseUser) -> String {
    let fx = fixture();
    let session = user.get_session_data_unchecked_mut::<Session>();
    fx.products[session.rng.random_range(0..fx.products.len())].clone()
}

async fn w2(user: &mut GooseUser) -> TransactionResult {
    let id = random_product(user);
    graphql(user, "W2 stock poll", W2, json!({ "id": id })).await?;
    Ok(())
}

async fn w3(user: &mut GooseUser) -> TransactionResult {
    let session = user.get_session_data_unchecked_mut::<Session>();
    let q = WORDS[session.rng.random_range(0..WORDS.len())];
    graphql(user, "W3 search", W3, json!({ "q": q })).await?;
    Ok(())
}

/// One order of 1-3 hot products; every other order is cancelled again,
/// which releases its stock and keeps the hot set from running dry.
async fn w4(user: &mut GooseUser) -> TransactionResult {
    let fx = fixture();
    let session = user.get_session_data_unchecked_mut::<Session>();
    let key = next_order_key(session, "bench");
    let count = session.rng.random_range(1..=3);
    let mut lines: Vec<Value> = Vec::new();
    let mut used = Vec::new();
    while lines.len() < count {
        let (id, moq) = &fx.hot[session.rng.random_range(0..fx.hot.len())];
        if used.contains(id) {
            continue;
        }
        used.push(id.clone());
        let qty = moq * session.rng.random_range(1..=2);
        lines.push(json!({ "productId": id, "quantity": qty }));
    }
    let cancel = session.rng.random_bool(0.5);
    let input = order_input(&key, &session.store, &fx.delivery_date, lines);
    let data = graphql(user, "W4 placeOrder", PLACE, input).await?;
    let id = data
        .as_ref()
        .and_then(|d| d["placeOrder"]["order"]["id"].as_str())
        .map(str::to_owned);
    if let (true, Some(id)) = (cancel, id) {
        graphql(user, "W4 cancelOrder", CANCEL, json!({ "id": id })).await?;
    }
    Ok(())
}

/// One order of two lines at their minimum quantity, never cancelled:
/// what placing costs, alone.
async fn w4p(user: &mut GooseUser) -> TransactionResult {
    let fx = fixture();
    let session = user.get_session_data_unchecked_mut::<Session>();
    let key = next_order_key(session, "bench-p");
    let a = session.rng.random_range(0..fx.hot.len());
    let b = (a + session.rng.random_range(1..fx.hot.len())) % fx.hot.len();
    let lines: Vec<Value> = [a, b]
        .iter()
        .map(|i| json!({ "productId": fx.hot[*i].0, "quantity": fx.hot[*i].1 }))
        .collect();
    let input = order_input(&key, &session.store, &fx.delivery_date, lines);
    graphql(user, "W4P placeOrder", PLACE, input).await?;
    Ok(())
}

/// Distinguishes this run's idempotency keys from earlier runs' on the
/// same database (the users' random sequences are seeded, so they repeat).
fn run_id() -> u64 {
    static RUN: OnceLock<u64> = OnceLock::new();
    *RUN.get_or_init(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
    })
}

/// `placeOrder`'s variables, the key doubling as the buyer's reference.
fn order_input(key: &str, store: &str, delivery_date: &str, lines: Vec<Value>) -> Value {
    json!({ "input": {
        "idempotencyKey": key,
        "buyerReference": key,
        "storeId": store,
        "requestedDeliveryDate": delivery_date,
        "lines": lines,
    }})
}

/// A new idempotency key for this user's next order.
fn next_order_key(session: &mut Session, prefix: &str) -> String {
    session.orders += 1;
    format!(
        "{prefix}-{}-{}-{}-{}",
        run_id(),
        user_key(session),
        session.orders,
        session.rng.random::<u32>()
    )
}

fn user_key(session: &Session) -> String {
    session.store.chars().rev().take(8).collect()
}

async fn floor(user: &mut GooseUser) -> TransactionResult {
    let id = random_product(user);
    let path = format!("/floor/stock/{id}");
    let request = GooseRequest::builder()
        .method(GooseMethod::Get)
        .path(path.as_str())
        .name("FLOOR stock lookup")
        .build();
    let mut goose = user.request(request).await?;
    let ok = matches!(&goose.response, Ok(r) if r.status().is_success());
    if !ok {
        user.set_failure("floor lookup failed", &mut goose.request, None, None)?;
    }
    Ok(())
}

type Setup = Result<(), Box<dyn std::error::Error>>;

async fn post(
    client: &reqwest::Client,
    host: &str,
    token: &str,
    query: &str,
    variables: Value,
) -> Result<Value, Box<dyn std::error::Error>> {
    let body: Value = client
        .post(format!("{host}/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await?
        .json()
        .await?;
    if let Some(errors) = body.get("errors") {
        return Err(format!("setup query failed: {errors}").into());
    }
    Ok(body["data"].clone())
}

async fn load_fixture(workload: Workload, host: &str) -> Setup {
    let read = |var: &str| std::env::var(var).map_err(|_| format!("{var} is not set"));
    let tokens: Vec<String> = std::fs::read_to_string(read("OCOP_TOKENS")?)?
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    if tokens.is_empty() {
        return Err("OCOP_TOKENS holds no token".into());
    }
    let host = host.trim_end_matches('/');
    let client = reqwest::Client::new();
    let mut products = Vec::new();
    let mut hot = Vec::new();
    let mut stamps = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let data = post(
            &client,
            host,
            &tokens[0],
            "query($after: String) { products(first: 100, after: $after, filter: { orderable: true }) {
               pageInfo { hasNextPage endCursor } nodes { id minOrderQuantity stampUrl } } }",
            json!({ "after": after }),
        )
        .await?;
        let page = &data["products"];
        for node in page["nodes"].as_array().into_iter().flatten() {
            let id = node["id"].as_str().unwrap_or_default().to_owned();
            // Past the small demo catalogue: products stocked everywhere.
            let hot_size = if workload == Workload::W4P { 500 } else { 50 };
            if hot.len() < hot_size && products.len() >= 200 && products.len() % 7 == 3 {
                hot.push((id.clone(), node["minOrderQuantity"].as_i64().unwrap_or(1)));
            }
            if let Some(url) = node["stampUrl"].as_str() {
                stamps.push(url.strip_prefix(host).unwrap_or(url).to_owned());
            }
            products.push(id);
        }
        if !page["pageInfo"]["hasNextPage"].as_bool().unwrap_or(false) {
            break;
        }
        after = page["pageInfo"]["endCursor"].as_str().map(str::to_owned);
    }
    let mut stores = Vec::new();
    if matches!(workload, Workload::W4 | Workload::W4P) {
        for token in &tokens {
            let data = post(
                &client,
                host,
                token,
                "{ viewer { partner { stores { id } } } }",
                json!({}),
            )
            .await?;
            stores.push(
                data["viewer"]["partner"]["stores"][0]["id"]
                    .as_str()
                    .ok_or("a W4 partner has no store")?
                    .to_owned(),
            );
        }
    } else {
        stores = vec![String::new(); tokens.len()];
    }
    eprintln!(
        "fixture: {} products, {} hot, {} partner tokens",
        products.len(),
        hot.len(),
        tokens.len()
    );
    // Shoppers scan what is on the shelves near them: `OCOP_ORIGIN_HOT`
    // products, not the whole country's catalogue.
    if let Some(hot) = std::env::var("OCOP_ORIGIN_HOT")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
    {
        stamps.truncate(hot.max(1));
    }
    let delivery_date = read("OCOP_DELIVERY_DATE")?;
    let fixture = Fixture {
        delivery_date,
        tokens,
        stores,
        products,
        stamps,
        hot,
    };
    FIXTURE
        .set(Arc::new(fixture))
        .map_err(|_| "fixture loaded twice")?;
    Ok(())
}

fn host_from_args() -> String {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == "-H" || a == "--host")
        .and_then(|i| args.get(i + 1).cloned())
        .unwrap_or_else(|| "http://127.0.0.1:8080".into())
}

fn summarize(metrics: &GooseMetrics, workload: Workload) -> Setup {
    let duration = metrics.duration.max(1) as f64;
    let mut lines = Vec::new();
    for (name, agg) in &metrics.requests {
        let data = &agg.raw_data;
        let ms = |p: f32| data.percentile_us(p) as f64 / 1000.0;
        let by_code: serde_json::Map<String, Value> = metrics
            .errors
            .values()
            .filter(|e| name.ends_with(e.name.as_str()))
            .map(|e| (e.error.clone(), json!(e.occurrences)))
            .collect();
        let line = json!({
            "error_codes": by_code,
            "workload": format!("{workload:?}").to_uppercase(),
            "request": name,
            "requests": data.counter,
            "rps": (data.counter as f64 / duration * 10.0).round() / 10.0,
            "p50_ms": ms(0.50),
            "p95_ms": ms(0.95),
            "p99_ms": ms(0.99),
            "errors": agg.fail_count,
            "seconds": metrics.duration,
        });
        println!("{line}");
        lines.push(line.to_string());
    }
    if let Ok(path) = std::env::var("OCOP_SUMMARY") {
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        for line in lines {
            writeln!(file, "{line}")?;
        }
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let workload = match std::env::var("OCOP_WORKLOAD").as_deref() {
        Ok("W1") => Workload::W1,
        Ok("W2") => Workload::W2,
        Ok("W3") => Workload::W3,
        Ok("W4") => Workload::W4,
        Ok("W4P") => Workload::W4P,
        Ok("FLOOR") => Workload::Floor,
        Ok("REPORTS") => Workload::Reports,
        Ok("ORIGIN") => Workload::Origin,
        _ => {
            return Err(
                "OCOP_WORKLOAD must be W1, W2, W3, W4, W4P, FLOOR, REPORTS or ORIGIN".into(),
            );
        }
    };
    load_fixture(workload, &host_from_args()).await?;
    let run = match workload {
        Workload::W1 => transaction!(w1),
        Workload::W2 => transaction!(w2),
        Workload::W3 => transaction!(w3),
        Workload::W4 => transaction!(w4),
        Workload::W4P => transaction!(w4p),
        Workload::Floor => transaction!(floor),
        Workload::Reports => transaction!(reports),
        Workload::Origin => transaction!(origin_page),
    };
    let wait_ms: u64 = std::env::var("OCOP_WAIT_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut scenario = scenario!("ocop")
        .register_transaction(transaction!(on_start).set_on_start())
        .register_transaction(run);
    if wait_ms > 0 {
        let wait = std::time::Duration::from_millis(wait_ms);
        scenario = scenario.set_wait_time(wait, wait)?;
    }
    let metrics = GooseAttack::initialize()?
        .register_scenario(scenario)
        .execute()
        .await?;
    summarize(&metrics, workload)
}
