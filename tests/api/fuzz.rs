//! A property-based fuzzer: GraphQL documents and variables generated from
//! `schema.graphql` (valid ones, wrong ones, and broken text), sent through
//! the real router as an anonymous caller, a retail chain and the operator.
//! Whatever is sent: never a panic, never a 5xx, never SQL or a path in a
//! message, every error carrying one of the contract's codes, each request answered in time, and
//! the stock invariants hold after the run.
//!
//! `FUZZ_CASES` sets the number of cases (default 300, what CI runs); a
//! longer run: `FUZZ_CASES=20000 cargo test --test api fuzz -- --nocapture`.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use async_graphql::parser::types::{BaseType, Type, TypeKind, TypeSystemDefinition};
use ocop_gateway::domain::inventory::check_invariants;
use proptest::prelude::*;
use proptest::test_runner::{Config as RunnerConfig, TestCaseError, TestRunner};
use serde_json::{Value, json};

use crate::helpers::*;

const CODES: [&str; 9] = [
    "UNAUTHENTICATED",
    "FORBIDDEN",
    "NOT_FOUND",
    "BAD_USER_INPUT",
    "INSUFFICIENT_STOCK",
    "CONFLICT",
    "RATE_LIMITED",
    "QUERY_TOO_COMPLEX",
    "INTERNAL",
];
const LEAKS: [&str; 9] = [
    "SELECT ", "INSERT ", "UPDATE ", "sqlite", "postgres", "/src/", ".rs:", "sqlx", "panicked",
];
/// The catalogue's mutations, which the run must reach.
const CATALOGUE_WRITES: [&str; 11] = [
    "createProducer",
    "updateProducer",
    "createProduct",
    "updateProduct",
    "submitProduct",
    "reviewProduct",
    "discontinueProduct",
    "recordCertificate",
    "addProductImage",
    "removeProductImage",
    "setListingRequirements",
];
/// Far above any honest request; a document that takes this long is a bug.
const TIME_BUDGET: Duration = Duration::from_secs(5);

/// The schema as the generator needs it.
struct Model {
    objects: HashMap<String, Vec<FieldDef>>,
    inputs: HashMap<String, Vec<(String, Type)>>,
    enums: HashMap<String, Vec<String>>,
}

struct FieldDef {
    name: String,
    args: Vec<(String, Type)>,
    ty: Type,
}

impl Model {
    fn load() -> Self {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql");
        let sdl = std::fs::read_to_string(path).expect("schema.graphql");
        let doc = async_graphql::parser::parse_schema(sdl).expect("parses");
        let mut model = Model {
            objects: HashMap::new(),
            inputs: HashMap::new(),
            enums: HashMap::new(),
        };
        for def in doc.definitions {
            let TypeSystemDefinition::Type(t) = def else {
                continue;
            };
            let name = t.node.name.node.to_string();
            match t.node.kind {
                TypeKind::Object(o) => {
                    let fields = o
                        .fields
                        .into_iter()
                        .map(|f| FieldDef {
                            name: f.node.name.node.to_string(),
                            args: f
                                .node
                                .arguments
                                .into_iter()
                                .map(|a| (a.node.name.node.to_string(), a.node.ty.node))
                                .collect(),
                            ty: f.node.ty.node,
                        })
                        .collect();
                    model.objects.insert(name, fields);
                }
                TypeKind::InputObject(i) => {
                    let fields = i
                        .fields
                        .into_iter()
                        .map(|f| (f.node.name.node.to_string(), f.node.ty.node))
                        .collect();
                    model.inputs.insert(name, fields);
                }
                TypeKind::Enum(e) => {
                    let values = e
                        .values
                        .into_iter()
                        .map(|v| v.node.value.node.to_string())
                        .collect();
                    model.enums.insert(name, values);
                }
                _ => {}
            }
        }
        model
    }
}

fn named(ty: &Type) -> &str {
    match &ty.base {
        BaseType::Named(name) => name.as_str(),
        BaseType::List(inner) => named(inner),
    }
}

/// Turns a list of choices into a document: each choice picks among the
/// options at one step, so proptest shrinks a failure to few choices.
struct Gen<'a> {
    model: &'a Model,
    choices: &'a [u16],
    at: usize,
    /// Real ids from the demo data, so that some mutations do write.
    ids: &'a [String],
    /// Whether this document may name fields that do not exist.
    unknown_fields: bool,
}

impl Gen<'_> {
    fn pick(&mut self, n: usize) -> usize {
        // Past the end of the choices, a fixed pseudo-random sequence.
        let c = self
            .choices
            .get(self.at)
            .copied()
            .unwrap_or_else(|| (self.at.wrapping_mul(2_654_435_761) >> 7) as u16);
        self.at += 1;
        usize::from(c) % n.max(1)
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.pick(100) < percent
    }

    fn document(&mut self) -> String {
        self.unknown_fields = self.chance(10);
        let mutation = self.chance(20);
        let root = if mutation { "Mutation" } else { "Query" };
        let body = self.selection(root, 0);
        let mut doc = if mutation {
            format!("mutation {body}")
        } else if self.chance(50) {
            format!("query Q {body}")
        } else {
            body
        };
        if self.chance(15) {
            doc.push_str(" fragment F on Query { __typename }");
            doc = doc.replacen('{', "{ ...F ", 1);
        }
        if self.chance(10) {
            doc = self.break_text(doc);
        }
        doc
    }

    fn selection(&mut self, type_name: &str, depth: usize) -> String {
        let Some(fields) = self.model.objects.get(type_name) else {
            return "{ __typename }".into();
        };
        let mut out = String::from("{ ");
        let mut used = std::collections::HashSet::new();
        for _ in 0..1 + self.pick(4) {
            if self.unknown_fields && self.chance(20) {
                out.push_str("notAField ");
                continue;
            }
            let field = &fields[self.pick(fields.len())];
            // The same field twice with other arguments is a validation
            // error; mostly, alias it as a client would.
            if !used.insert(field.name.as_str()) && self.chance(90) || self.chance(5) {
                out.push_str(&format!("a{}: ", self.at));
            }
            out.push_str(&field.name);
            let mut args = Vec::new();
            for (name, ty) in &field.args {
                if !ty.nullable || self.chance(50) {
                    args.push(format!("{name}: {}", self.value(ty, 0)));
                }
            }
            if !args.is_empty() {
                out.push_str(&format!("({})", args.join(", ")));
            }
            if self.chance(5) {
                out.push_str(" @skip(if: false)");
            }
            let target = named(&field.ty);
            if self.model.objects.contains_key(target) {
                if depth >= 5 {
                    out.push_str(" { __typename }");
                } else {
                    out.push(' ');
                    out.push_str(&self.selection(target, depth + 1));
                }
            }
            out.push(' ');
        }
        out.push('}');
        out
    }

    fn value(&mut self, ty: &Type, depth: usize) -> String {
        if self.chance(3) {
            // The wrong kind of value, or a variable nobody declared.
            return [
                "null",
                "\"x\"",
                "-1",
                "[1, 2]",
                "{ a: 1 }",
                "$v",
                "2147483648",
                "true",
            ][self.pick(8)]
            .into();
        }
        if let BaseType::List(inner) = &ty.base {
            let n = self.pick(3);
            let items: Vec<String> = (0..n).map(|_| self.value(inner, depth + 1)).collect();
            return format!("[{}]", items.join(", "));
        }
        let name = named(ty);
        if let Some(values) = self.model.enums.get(name) {
            return values[self.pick(values.len())].clone();
        }
        if let Some(fields) = self.model.inputs.get(name) {
            if depth > 3 {
                return "{}".into();
            }
            let mut parts = Vec::new();
            for (field, ty) in fields {
                if !ty.nullable || self.chance(60) {
                    parts.push(format!("{field}: {}", self.value(ty, depth + 1)));
                }
            }
            return format!("{{ {} }}", parts.join(", "));
        }
        match name {
            "Int" => ["0", "1", "5", "20", "100", "101", "-3", "100000"][self.pick(8)].into(),
            "Boolean" => ["true", "false"][self.pick(2)].into(),
            "ID" if !self.ids.is_empty() && self.chance(70) => {
                format!("\"{}\"", self.ids[self.pick(self.ids.len())])
            }
            "Date" | "NaiveDate" => {
                let date =
                    chrono::Utc::now().date_naive() + chrono::Days::new(self.pick(400) as u64);
                [
                    "\"2020-01-01\"".to_owned(),
                    format!("\"{date}\""),
                    "\"not a date\"".into(),
                ][self.pick(3)]
                .clone()
            }
            "VND" => ["0", "1000", "\"12345\"", "9007199254740992", "-5"][self.pick(5)].into(),
            _ => [
                "\"\"",
                "\"gom bat trang\"",
                "\"Nước mắm\"",
                "\"%_\\\\\"",
                "\"' OR 1=1 --\"",
                "\"BT-BINH-HOASEN\"",
                "\"k-fuzz\"",
            ][self.pick(7)]
            .into(),
        }
    }

    /// Breaks the text the way a buggy client or an attacker would.
    fn break_text(&mut self, doc: String) -> String {
        let cut = self.pick(doc.len().max(1));
        let at = (0..=cut)
            .rev()
            .find(|i| doc.is_char_boundary(*i))
            .unwrap_or(0);
        match self.pick(4) {
            0 => doc[..at].to_owned(),
            1 => format!(
                "{}{}{}",
                &doc[..at],
                ["{", "}", "(", ")", "$", "@", "\"", "...", "#"][self.pick(9)],
                &doc[at..]
            ),
            2 => format!("{}{}", &doc[..at], doc),
            _ => format!("{doc} {doc}"),
        }
    }
}

fn variables(choice: u16) -> Value {
    match choice % 16 {
        0 => json!([1, 2]),
        1 => json!({ "v": 1 }),
        2 => json!({ "v": "x", "first": -1 }),
        3 => json!({ "v": { "deep": [null, true, 1.5] } }),
        4..=9 => Value::Null,
        _ => json!({}),
    }
}

fn check_answer(res: &GqlResponse, doc: &str, elapsed: Duration) -> Result<(), TestCaseError> {
    let context = || format!("document: {doc}\nanswer: {} {}", res.status, res.body);
    prop_assert!(elapsed < TIME_BUDGET, "took {elapsed:?}\n{}", context());
    prop_assert!(res.status.as_u16() < 500, "a 5xx\n{}", context());
    prop_assert!(res.body.is_object(), "not a JSON object\n{}", context());
    let text = res.body.to_string();
    for leak in LEAKS {
        prop_assert!(!text.contains(leak), "leaks {leak:?}\n{}", context());
    }
    if let Some(errors) = res.body.get("errors").and_then(Value::as_array) {
        for err in errors {
            let code = err["extensions"]["code"].as_str().unwrap_or_default();
            prop_assert!(CODES.contains(&code), "uncoded error {err}\n{}", context());
            prop_assert!(code != "INTERNAL", "an internal error\n{}", context());
        }
    }
    Ok(())
}

#[test]
fn generated_documents_never_break_the_gateway() {
    let cases = std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    // Anonymous requests are metered per address, and every in-process
    // request shares one; the fuzzer wants answers, not 429s.
    let app = rt.block_on(TestApp::with_config(|c| c.anon_rate_limit_rps = 0));
    let ids: Vec<String> = rt.block_on(async {
        let res = app
            .gql_as(
                "aeon-vn",
                "catalog:read",
                "{ products(first: 5) { nodes { id producer { id } } } locations { id } viewer { partner { id stores { id } } } }",
                json!({}),
            )
            .await;
        let mut ids = Vec::new();
        let mut collect = |v: &Value| {
            if let Some(s) = v.as_str() {
                ids.push(s.to_owned());
            }
        };
        let data = res.expect_data();
        for p in data["products"]["nodes"].as_array().into_iter().flatten() {
            collect(&p["id"]);
            collect(&p["producer"]["id"]);
        }
        for l in data["locations"].as_array().into_iter().flatten() {
            collect(&l["id"]);
        }
        collect(&data["viewer"]["partner"]["id"]);
        for s in data["viewer"]["partner"]["stores"].as_array().into_iter().flatten() {
            collect(&s["id"]);
        }
        ids
    });
    let model = Model::load();
    // A producer too: catalogue writes have a caller of their own.
    rt.block_on(async {
        let (producer, _) = producers(&app).await;
        producer_partner(&app, "htx-fuzz", &producer).await;
    });
    let tokens = [
        None,
        Some(app.token("aeon-vn", ALL_RETAIL_SCOPES)),
        Some(app.token("hanoi-ocop-hub", OPERATOR_SCOPES)),
        Some(app.token("htx-fuzz", PRODUCER_SCOPES)),
    ];
    let catalogue_writes = std::cell::Cell::new(0usize);
    let mut runner = TestRunner::new(RunnerConfig {
        cases,
        failure_persistence: None,
        ..RunnerConfig::default()
    });
    let strategy = (
        proptest::collection::vec(any::<u16>(), 8..400),
        any::<u16>(),
        0..tokens.len(),
    );
    let outcomes = std::cell::RefCell::new(std::collections::BTreeMap::<String, usize>::new());
    let result = runner.run(&strategy, |(choices, vars, who)| {
        let doc = Gen {
            model: &model,
            choices: &choices,
            at: 0,
            ids: &ids,
            unknown_fields: false,
        }
        .document();
        if CATALOGUE_WRITES.iter().any(|m| doc.contains(m)) {
            catalogue_writes.set(catalogue_writes.get() + 1);
        }
        let started = Instant::now();
        let res = rt.block_on(app.gql(tokens[who].as_deref(), &doc, variables(vars)));
        let outcome = res.code().unwrap_or("data").to_owned();
        if std::env::var("FUZZ_SHOW").is_ok_and(|v| v == outcome) {
            println!("{doc}\n  -> {}", res.body["errors"][0]["message"]);
        }
        *outcomes.borrow_mut().entry(outcome).or_default() += 1;
        check_answer(&res, &doc, started.elapsed())
    });
    // What the run covered (seen with --nocapture).
    println!(
        "fuzz outcomes: {:?}; {} documents named a catalogue write",
        outcomes.borrow(),
        catalogue_writes.get()
    );
    if let Err(err) = result {
        panic!("{err}");
    }
    assert!(
        catalogue_writes.get() > 0,
        "the generator reaches the catalogue's mutations"
    );
    let mismatches = rt.block_on(check_invariants(&app.db)).expect("check");
    assert_eq!(mismatches, vec![], "stock invariants after the fuzz run");
}
