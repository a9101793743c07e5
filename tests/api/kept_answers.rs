//! Kept answers retire only when what they read changes: for every kind
//! of write, the answers it touches are computed again (and equal what a
//! fresh computation gives), and the answers it does not touch are still
//! served from memory (no statement runs). On one replica, and on
//! PostgreSQL across two (the write on the other replica, heard through
//! NOTIFY).

use ocop_gateway::db::changes::{Key, Table};
use serde_json::{Value, json};

use crate::helpers::*;

/// One answer a chain's integration polls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Watch {
    /// One product's name and stock (P1, the product written).
    StockP1,
    /// The same of another product (P2, never written).
    StockP2,
    /// A page of P1's category with availability.
    Page,
    /// The same page with names only (no stock read).
    Names,
    /// AEON's orders with their lines.
    OrdersAeon,
    /// WinMart's orders.
    OrdersWinmart,
    /// What AEON pays for P1.
    Offer,
    /// WinMart's own record.
    ViewerWinmart,
}

use Watch::*;

const ALL: [Watch; 8] = [
    StockP1,
    StockP2,
    Page,
    Names,
    OrdersAeon,
    OrdersWinmart,
    Offer,
    ViewerWinmart,
];

struct Fixture {
    p1: Value,
    p2: Value,
    moq1: i64,
    category: Value,
    aeon_store: Value,
    location: Value,
}

impl Watch {
    fn partner(self) -> &'static str {
        match self {
            OrdersWinmart | ViewerWinmart => "winmart",
            _ => "aeon-vn",
        }
    }

    /// The document and its variables. `fresh` changes the document's text
    /// but not its meaning (a trailing comment): another key, so it is
    /// computed now, whatever is kept.
    fn request(self, f: &Fixture, fresh: bool) -> (String, Value) {
        const STOCK: &str = "query($id: ID!) { product(id: $id) { sku nameVi available stock { location { code } onHand reserved available } } }";
        let (query, vars) = match self {
            StockP1 => (STOCK, json!({ "id": f.p1 })),
            StockP2 => (STOCK, json!({ "id": f.p2 })),
            Page => (
                "query($c: Category) { products(first: 50, filter: { category: $c }) { nodes { sku available } } }",
                json!({ "c": f.category }),
            ),
            Names => (
                "query($c: Category) { products(first: 50, filter: { category: $c }) { nodes { sku nameVi } } }",
                json!({ "c": f.category }),
            ),
            OrdersAeon | OrdersWinmart => (
                "{ orders(first: 10) { nodes { id status lines { quantity acceptedQuantity shippedQuantity } } } }",
                json!({}),
            ),
            Offer => (
                "query($id: ID!) { product(id: $id) { offer { unitPrice minimumQuantity } } }",
                json!({ "id": f.p1 }),
            ),
            ViewerWinmart => ("{ viewer { partner { name status } } }", json!({})),
        };
        let query = if fresh {
            format!("{query} # computed now")
        } else {
            query.to_owned()
        };
        (query, vars)
    }
}

/// An answer as a poller sees it: its status and body.
async fn ask(app: &TestApp, w: Watch, f: &Fixture, fresh: bool) -> (u16, Value) {
    let (query, vars) = w.request(f, fresh);
    let res = app
        .gql_as(w.partner(), ALL_RETAIL_SCOPES, &query, vars)
        .await;
    (res.status.as_u16(), res.body)
}

/// Asks, and says whether the answer came from memory (no statement).
async fn ask_counting(app: &TestApp, w: Watch, f: &Fixture) -> ((u16, Value), bool) {
    app.reset_statements();
    let answer = ask(app, w, f, false).await;
    (answer, app.statement_count() == 0)
}

async fn fixture(app: &TestApp) -> Fixture {
    let ps = products(app, 2).await;
    let p1 = app
        .gql_as(
            "aeon-vn",
            ALL_RETAIL_SCOPES,
            "query($id: ID!) { product(id: $id) { category } }",
            json!({ "id": ps[0].0 }),
        )
        .await;
    Fixture {
        p1: ps[0].0.clone(),
        p2: ps[1].0.clone(),
        moq1: ps[0].1,
        category: p1.expect_data()["product"]["category"].clone(),
        aeon_store: store_of(app, "aeon-vn").await,
        location: app.a_location().await,
    }
}

/// A write, and what it must retire (with a changed answer) and keep.
struct Case {
    name: &'static str,
    changes: &'static [Watch],
    keeps: &'static [Watch],
}

/// Computes and keeps every watched answer; returns them.
async fn prime(app: &TestApp, f: &Fixture) -> Vec<(u16, Value)> {
    let mut before = Vec::new();
    for w in ALL {
        before.push(ask(app, w, f, false).await);
        let (_, kept) = ask_counting(app, w, f).await;
        assert!(kept, "{w:?} is kept once computed");
    }
    before
}

/// After a write: each answer in `changes` is computed again, differs from
/// before and equals a fresh computation; each in `keeps` comes from
/// memory and still equals a fresh computation.
async fn check(app: &TestApp, f: &Fixture, case: &Case, before: &[(u16, Value)]) {
    for w in case.changes {
        let (answer, kept) = ask_counting(app, *w, f).await;
        let fresh = ask(app, *w, f, true).await;
        // (A refusal may cost no statement either: the partner's record is
        // cached, refreshed by the first request after the change.)
        assert!(
            !kept || answer.0 != 200,
            "{}: {w:?} was served from memory: {answer:?}",
            case.name
        );
        assert_eq!(answer, fresh, "{}: {w:?} is not what it is now", case.name);
        let was = &before[ALL.iter().position(|x| x == w).unwrap_or(0)];
        assert_ne!(&answer, was, "{}: {w:?} did not change", case.name);
    }
    for w in case.keeps {
        let (answer, kept) = ask_counting(app, *w, f).await;
        assert!(kept, "{}: {w:?} was retired", case.name);
        assert_eq!(answer, ask(app, *w, f, true).await, "{}: {w:?}", case.name);
    }
}

const HUB: &str = "hanoi-ocop-hub";

fn table(name: &str) -> Table {
    Table::named(name).expect("a table of ours")
}

/// Every kind of write, in an order that makes each possible (the order
/// placed is then acknowledged, shipped, cancelled...), each made on
/// `router` (this replica or another). `heard(t, since)` returns once this
/// replica knows of a change to table `t` after epoch `since`.
async fn run_cases(
    app: &TestApp,
    router: &axum::Router,
    f: &Fixture,
    heard: impl AsyncFn(Table, u64),
) {
    let epoch = || app.state.db.changes().epoch();
    let hub = app.token(HUB, OPERATOR_SCOPES);
    let aeon = app.token("aeon-vn", ALL_RETAIL_SCOPES);
    let on = async |token: &str, query: &str, vars: Value| -> Value {
        let res = gql_on(router, Some(token), query, vars).await;
        res.expect_data().clone()
    };

    // An order placed by AEON for P1.
    let before = prime(app, f).await;
    let since = epoch();
    let placed = on(
        &aeon,
        PLACE,
        input(
            "kept-answers-1",
            &f.aeon_store,
            vec![(f.p1.clone(), f.moq1 * 2)],
        ),
    )
    .await;
    heard(table("order_event"), since).await;
    let order = placed["placeOrder"]["order"]["id"].clone();
    check(
        app,
        f,
        &Case {
            name: "order placed",
            changes: &[StockP1, Page, OrdersAeon],
            keeps: &[StockP2, Names, OrdersWinmart, Offer, ViewerWinmart],
        },
        &before,
    )
    .await;

    // Acknowledged in part: half is released.
    let before = prime(app, f).await;
    let lines = on(
        &hub,
        "query($id: ID!) { order(id: $id) { lines { id } } }",
        json!({ "id": order }),
    )
    .await;
    let since = epoch();
    on(
        &hub,
        "mutation($id: ID!, $input: ConfirmOrderInput) { confirmOrder(id: $id, input: $input) { status } }",
        json!({ "id": order, "input": { "lines": [{ "lineId": lines["order"]["lines"][0]["id"], "acceptedQuantity": f.moq1, "reason": "short" }] } }),
    )
    .await;
    heard(table("order_event"), since).await;
    check(
        app,
        f,
        &Case {
            name: "order acknowledged",
            changes: &[StockP1, Page, OrdersAeon],
            keeps: &[StockP2, Names, OrdersWinmart, Offer, ViewerWinmart],
        },
        &before,
    )
    .await;

    // Shipped: on hand and reserved fall together.
    let before = prime(app, f).await;
    let since = epoch();
    on(
        &hub,
        "mutation($id: ID!, $input: ShipOrderInput) { shipOrder(id: $id, input: $input) { status } }",
        json!({ "id": order, "input": { "carrier": "GHN", "trackingReference": "K1", "packages": [{
            "sscc": sscc(4_242), "lines": [{ "lineId": lines["order"]["lines"][0]["id"], "quantity": f.moq1 }] }] } }),
    )
    .await;
    heard(table("order_event"), since).await;
    check(
        app,
        f,
        &Case {
            name: "order shipped",
            changes: &[StockP1, OrdersAeon],
            keeps: &[StockP2, Names, OrdersWinmart, Offer, ViewerWinmart],
        },
        &before,
    )
    .await;

    // A second order, cancelled: its reservation goes back.
    let since = epoch();
    let second = on(
        &aeon,
        PLACE,
        input(
            "kept-answers-2",
            &f.aeon_store,
            vec![(f.p1.clone(), f.moq1)],
        ),
    )
    .await["placeOrder"]["order"]["id"]
        .clone();
    heard(table("order_event"), since).await;
    let before = prime(app, f).await;
    let since = epoch();
    on(
        &aeon,
        "mutation($id: ID!) { cancelOrder(id: $id, reason: \"not needed\") { status } }",
        json!({ "id": second }),
    )
    .await;
    heard(table("order_event"), since).await;
    check(
        app,
        f,
        &Case {
            name: "order cancelled",
            changes: &[StockP1, Page, OrdersAeon],
            keeps: &[StockP2, Names, OrdersWinmart, Offer, ViewerWinmart],
        },
        &before,
    )
    .await;

    // A stock receipt and an adjustment of P1.
    for (name, mutation) in [
        (
            "stock received",
            "mutation($p: ID!, $l: ID!) { receiveStock(input: { productId: $p, locationId: $l, quantity: 9 }) { onHand } }",
        ),
        (
            "stock adjusted",
            "mutation($p: ID!, $l: ID!) { adjustStock(input: { productId: $p, locationId: $l, delta: -2, reason: \"count\" }) { onHand } }",
        ),
    ] {
        let before = prime(app, f).await;
        let since = epoch();
        on(&hub, mutation, json!({ "p": f.p1, "l": f.location })).await;
        heard(table("inventory_level"), since).await;
        check(
            app,
            f,
            &Case {
                name,
                changes: &[StockP1, Page],
                keeps: &[
                    StockP2,
                    Names,
                    OrdersAeon,
                    OrdersWinmart,
                    Offer,
                    ViewerWinmart,
                ],
            },
            &before,
        )
        .await;
    }

    // A contract price for AEON on P1.
    let before = prime(app, f).await;
    let aeon_id = partner_id(app, "aeon-vn").await;
    let since = epoch();
    on(
        &hub,
        "mutation($i: SetContractPriceInput!) { setContractPrice(input: $i) { unitPrice } }",
        json!({ "i": { "partnerId": aeon_id, "productId": f.p1, "unitPrice": 1_234, "minimumQuantity": 1 } }),
    )
    .await;
    heard(table("contract_price"), since).await;
    check(
        app,
        f,
        &Case {
            name: "contract price",
            changes: &[Offer],
            keeps: &[
                StockP1,
                StockP2,
                Page,
                Names,
                OrdersAeon,
                OrdersWinmart,
                ViewerWinmart,
            ],
        },
        &before,
    )
    .await;

    // A product write: P1 renamed.
    let before = prime(app, f).await;
    let version = on(
        &hub,
        "query($id: ID!) { product(id: $id) { version } }",
        json!({ "id": f.p1 }),
    )
    .await["product"]["version"]
        .clone();
    let since = epoch();
    on(
        &hub,
        "mutation($id: ID!, $v: Int!) { updateProduct(id: $id, expectedVersion: $v, input: { nameVi: \"Tên mới của sản phẩm\" }) { version } }",
        json!({ "id": f.p1, "v": version }),
    )
    .await;
    heard(table("product"), since).await;
    check(
        app,
        f,
        &Case {
            name: "product renamed",
            changes: &[StockP1, Names],
            keeps: &[StockP2, OrdersAeon, OrdersWinmart, ViewerWinmart],
        },
        &before,
    )
    .await;

    // WinMart suspended: its answers are refused, AEON's stay kept.
    let before = prime(app, f).await;
    let winmart_id = partner_id(app, "winmart").await;
    let since = epoch();
    on(
        &hub,
        "mutation($id: ID!) { suspendPartner(id: $id, reason: \"audit\") { status } }",
        json!({ "id": winmart_id }),
    )
    .await;
    heard(table("partner"), since).await;
    check(
        app,
        f,
        &Case {
            name: "partner suspended",
            changes: &[OrdersWinmart, ViewerWinmart],
            keeps: &[StockP1, StockP2, Page, Names, OrdersAeon, Offer],
        },
        &before,
    )
    .await;
    let (status, _) = ask(app, ViewerWinmart, f, false).await;
    assert_eq!(status, 401, "a suspended partner is refused, not answered");
}

#[tokio::test]
async fn each_write_retires_what_it_touches_and_nothing_else() {
    let app = TestApp::with_config(|c| c.response_cache_entries = 1_000).await;
    app.listening().await;
    let f = fixture(&app).await;
    // Commits on this replica are applied before the mutation answers.
    run_cases(&app, &app.router, &f, async |_, _| {}).await;
}

#[tokio::test]
async fn a_write_on_another_replica_retires_the_same_answers_here() {
    if backend() != Backend::Postgres {
        skip(
            "a_write_on_another_replica_retires_the_same_answers_here",
            "on SQLite one process owns the file (docs/http.md)",
        );
        return;
    }
    let app = TestApp::with_config(|c| c.response_cache_entries = 1_000).await;
    app.listening().await;
    let other = app.replica().await;
    let f = fixture(&app).await;
    let changes = app.state.db.changes().clone();
    // The other replica's commit is heard here through NOTIFY (all of a
    // commit's changes in one): wait until it names the write's table.
    run_cases(&app, &other, &f, async |t, since| {
        let heard = async {
            while changes.changed_key(Key::Table(t)) <= since {
                changes.until_after(changes.epoch()).await;
            }
        };
        tokio::time::timeout(std::time::Duration::from_secs(10), heard)
            .await
            .expect("the other replica's commit was heard");
    })
    .await;
}

/// A certificate lapses at midnight, Asia/Ho_Chi_Minh: the answer kept
/// the day before is not served on the day after (the business day is
/// part of what a kept answer is kept under).
#[tokio::test]
async fn a_certificate_lapsing_at_midnight_is_never_served_as_valid() {
    let app = TestApp::with_config(|c| c.response_cache_entries = 100).await;
    app.listening().await;
    let f = fixture(&app).await;
    let query = "query($id: ID!) { product(id: $id) { certificate { expiresOn status } } }";
    let vars = json!({ "id": f.p1 });
    let today = app
        .gql_as("aeon-vn", ALL_RETAIL_SCOPES, query, vars.clone())
        .await;
    let cert = today.expect_data()["product"]["certificate"].clone();
    assert_ne!(cert["status"], "EXPIRED", "{cert}");
    app.reset_statements();
    app.gql_as("aeon-vn", ALL_RETAIL_SCOPES, query, vars.clone())
        .await
        .expect_data();
    assert_eq!(app.statement_count(), 0, "kept today");
    let expires: chrono::NaiveDate = cert["expiresOn"]
        .as_str()
        .and_then(|d| d.parse().ok())
        .expect("expiresOn");
    let days = (expires - ocop_gateway::domain::clock::business_today()).num_days() + 1;
    let after = ocop_gateway::domain::clock::shifted(
        chrono::Duration::days(days),
        app.gql_as("aeon-vn", ALL_RETAIL_SCOPES, query, vars),
    )
    .await;
    assert_eq!(
        after.expect_data()["product"]["certificate"]["status"],
        "EXPIRED",
        "the day after it lapsed"
    );
}
