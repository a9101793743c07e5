//! Admission: what a GraphQL request passes before any resolver runs, on
//! every transport (POST and GET `/graphql`, `/graphql/ws`):
//! 1. a persisted query's hash is resolved to its text (or the text is
//!    checked against the hash and remembered);
//! 2. the document is measured before validation (`measure`), once per
//!    text (`documents`);
//! 3. it is validated, and its cost computed, by async-graphql's full
//!    rules, once per document, operation and page sizes;
//! 4. the cost is held to the caller's limit and charged to its budget.
//!
//! The schema that then executes has no extension (an extension puts every
//! field through async-graphql's extension chain) and validates in its
//! fast mode, as the full rules already passed for that document. The full
//! rules run in a second schema (the checker), whose only extension stops
//! each request right after validation, keeping its result.

use std::sync::{Arc, Mutex};

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextValidation};
use async_graphql::parser::types::{BaseType, OperationType, Type};
use async_graphql::{ServerError, ValidationResult, Value, Variables};

use crate::error::{AppError, code};
use crate::graphql::codes;
use crate::graphql::documents::{self, Hash};
use crate::graphql::measure::{self, Measured};
use crate::rate_limit::Budget;

/// A request ready to execute.
pub struct Admitted {
    pub request: async_graphql::Request,
    pub measured: Arc<Measured>,
    pub kind: OperationType,
}

pub enum Refused {
    /// Request errors (nothing ran): parse, validation, limits, budget.
    Errors(Vec<ServerError>),
    /// The operation is of a kind this transport does not run.
    Transport(OperationType),
}

impl From<AppError> for Refused {
    fn from(err: AppError) -> Self {
        Refused::Errors(vec![err.request_error()])
    }
}

/// What admission needs of the gateway: the checking schema, the kept
/// documents and the limits a document is measured against. Built once at
/// start (`AppState`), so this module never reaches up to the whole state.
pub struct Admission {
    /// Validates with every rule and computes costs; never executes.
    pub checker: crate::graphql::GatewaySchema,
    pub documents: documents::Documents,
    pub limits: measure::DocumentLimits,
}

/// Who asks, as far as admission cares.
pub struct Asker<'a> {
    pub budget: Option<&'a Budget>,
    pub max_complexity: usize,
}

pub async fn admit(
    admission: &Admission,
    mut request: async_graphql::Request,
    asker: Asker<'_>,
    runs: &[OperationType],
) -> Result<Admitted, Refused> {
    let hash = persisted(admission, &mut request, asker.budget.is_some())?;
    let measured = match admission.documents.parsed.get(&hash) {
        Some(m) => m,
        None => match measure::measure(&request.query, &admission.limits)? {
            Some(m) => {
                let m = Arc::new(m);
                admission.documents.parsed.insert_sized(
                    hash,
                    m.clone(),
                    request.query.len() * documents::PARSED_BYTES_PER_TEXT_BYTE,
                );
                m
            }
            None => {
                let err = match async_graphql::parser::parse_query(&request.query) {
                    Err(e) => ServerError::from(e),
                    Ok(_) => ServerError::new("the document could not be parsed", None),
                };
                return Err(Refused::Errors(vec![codes::coded(err)]));
            }
        },
    };
    let op = documents::operation(&measured.doc, request.operation_name.as_deref());
    if let Some(op) = op {
        if !runs.contains(&op.ty) {
            return Err(Refused::Transport(op.ty));
        }
        check_variables(op, &request.variables)?;
    }
    let key = documents::cost_key(
        &hash,
        &measured.doc,
        request.operation_name.as_deref(),
        &request.variables,
    );
    let complexity = match admission.documents.costs.get(&key) {
        Some(c) => c,
        None => {
            let c = validate(admission, &request, &measured).await?;
            admission.documents.costs.insert(key, c);
            c
        }
    };
    let cost = complexity.saturating_add(measured.extra_cost);
    if cost > asker.max_complexity {
        return Err(AppError::QueryTooComplex(format!(
            "the query costs {cost}; at most {} is allowed (each totalCount costs {})",
            asker.max_complexity,
            measure::COUNT_COST
        ))
        .into());
    }
    if let Some(budget) = asker.budget {
        budget
            .spend(cost)
            .map_err(|retry_after_secs| AppError::RateLimited { retry_after_secs })?;
    }
    let kind = op.map_or(OperationType::Query, |op| op.ty);
    request.set_parsed_query(measured.doc.clone());
    Ok(Admitted {
        request,
        measured,
        kind,
    })
}

/// Resolves Apollo's automatic persisted queries
/// (`extensions.persistedQuery { version: 1, sha256Hash }`) and returns
/// the hash of the text to run.
/// Resolves a persisted query's hash to its text, or checks a sent text
/// against its hash and keeps it. The text's size is checked first, so
/// nothing larger than a document may be is ever hashed or kept; and only
/// a partner (`may_register`) adds to the kept texts: a caller without a
/// token can use a hash but not fill the cache.
fn persisted(
    admission: &Admission,
    request: &mut async_graphql::Request,
    may_register: bool,
) -> Result<Hash, Refused> {
    measure::check_bytes(&request.query, &admission.limits)?;
    let Some(pq) = request.extensions.get("persistedQuery") else {
        if request.query.is_empty() {
            return Err(AppError::bad_field("query", "the request has no `query`").into());
        }
        return Ok(documents::sha256(request.query.as_bytes()));
    };
    let field = |name: &str| match pq {
        Value::Object(o) => o.get(name).cloned(),
        _ => None,
    };
    if field("version") != Some(Value::from(1)) {
        return Err(AppError::bad_field(
            "extensions.persistedQuery.version",
            "only version 1 of persisted queries is supported",
        )
        .into());
    }
    let hash = match field("sha256Hash") {
        Some(Value::String(text)) => documents::parse_hex(&text.to_ascii_lowercase()),
        _ => None,
    }
    .ok_or_else(|| {
        AppError::bad_field(
            "extensions.persistedQuery.sha256Hash",
            "`sha256Hash` must be the 64 hex digits of the query's SHA-256",
        )
    })?;
    if request.query.is_empty() {
        let Some(text) = admission.documents.persisted.get(&hash) else {
            // Apollo's clients retry with the full text on this message.
            let mut err = AppError::not_found("persisted query").request_error();
            err.message = "PersistedQueryNotFound".into();
            err.extensions
                .get_or_insert_with(Default::default)
                .set("persistedQuery", "NOT_FOUND");
            return Err(Refused::Errors(vec![err]));
        };
        request.query = text.to_string();
        return Ok(hash);
    }
    if documents::sha256(request.query.as_bytes()) != hash {
        return Err(AppError::bad_field(
            "extensions.persistedQuery.sha256Hash",
            "`sha256Hash` is not the SHA-256 of `query`",
        )
        .into());
    }
    if may_register {
        admission.documents.persisted.insert_sized(
            hash,
            Arc::from(request.query.as_str()),
            request.query.len(),
        );
    }
    Ok(hash)
}

/// Variables a document requires (non-null, no default) must be given, and
/// those of the built-in scalars must have their type: otherwise nothing
/// runs, as GraphQL over HTTP asks (a request error, not a field error).
fn check_variables(
    op: &async_graphql::parser::types::OperationDefinition,
    variables: &Variables,
) -> Result<(), Refused> {
    for def in &op.variable_definitions {
        let def = &def.node;
        let name = def.name.node.as_str();
        let value = variables.get(name).filter(|v| **v != Value::Null);
        let field = format!("${name}");
        match value {
            None if !def.var_type.node.nullable && def.default_value.is_none() => {
                return Err(AppError::bad_field(
                    &field,
                    format!(
                        "the variable `${name}` of type `{}` is required",
                        def.var_type.node
                    ),
                )
                .into());
            }
            Some(v) if !fits(&def.var_type.node, v) => {
                return Err(AppError::bad_field(
                    &field,
                    format!("the variable `${name}` must be a `{}`", def.var_type.node),
                )
                .into());
            }
            _ => {}
        }
    }
    Ok(())
}

/// A value against a built-in scalar type (other types are coerced, and
/// their errors reported, by async-graphql).
fn fits(ty: &Type, value: &Value) -> bool {
    let BaseType::Named(name) = &ty.base else {
        return true;
    };
    match (name.as_str(), value) {
        ("Int", Value::Number(n)) => n.as_i64().is_some_and(|i| i32::try_from(i).is_ok()),
        ("Int", _) => false,
        ("Float", v) => matches!(v, Value::Number(_)),
        ("String", v) => matches!(v, Value::String(_)),
        ("Boolean", v) => matches!(v, Value::Boolean(_)),
        ("ID", v) => {
            matches!(v, Value::String(_))
                || matches!(v, Value::Number(n) if n.is_i64() || n.is_u64())
        }
        _ => true,
    }
}

/// The full validation by the checker; returns async-graphql's complexity.
async fn validate(
    admission: &Admission,
    request: &async_graphql::Request,
    measured: &Measured,
) -> Result<usize, Refused> {
    let slot = Slot::default();
    let mut probe = async_graphql::Request::new(request.query.clone())
        .variables(request.variables.clone())
        .data(slot.clone());
    if let Some(name) = &request.operation_name {
        probe = probe.operation_name(name);
    }
    probe.set_parsed_query(measured.doc.clone());
    let response = admission.checker.execute(probe).await;
    let result = slot.0.lock().ok().and_then(|mut s| s.take());
    match result {
        Some(result) => Ok(result.complexity),
        None if response.errors.is_empty() => Err(AppError::internal(std::io::Error::other(
            "validation produced neither a result nor an error",
        ))
        .into()),
        None => Err(Refused::Errors(
            response.errors.into_iter().map(codes::coded).collect(),
        )),
    }
}

#[derive(Clone, Default)]
struct Slot(Arc<Mutex<Option<ValidationResult>>>);

/// The checker's extension: keeps the validation result and stops.
pub struct StopAfterValidation;

impl ExtensionFactory for StopAfterValidation {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(StopAfterValidation)
    }
}

#[async_trait::async_trait]
impl Extension for StopAfterValidation {
    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await?;
        if let Some(slot) = ctx.data_opt::<Slot>()
            && let Ok(mut s) = slot.0.lock()
        {
            *s = Some(result);
        }
        Err(vec![codes::with_code(
            ServerError::new("validated", None),
            code::INTERNAL,
        )])
    }
}
