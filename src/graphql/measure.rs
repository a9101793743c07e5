//! Measures a GraphQL document before async-graphql validates it.
//!
//! async-graphql's depth, directive and complexity rules expand every
//! fragment spread again wherever it is used, with no memo, and compare the
//! limits only afterwards: a 600-byte document of 9 fragments each spreading
//! the next 8 times costs seconds of CPU that no timeout can interrupt
//! (validation is synchronous). So, in the spirit of graphql-armor, the
//! document is measured first, in time linear in its size:
//! 1. its tokens are counted by a lexer before it is even parsed;
//! 2. it is parsed once (the parsed document is handed on, not re-parsed);
//! 3. its expanded size (fields, aliases, `totalCount`s, and the root fields
//!    of a mutation) is computed once per fragment, memoised, saturating.
//!
//! Only when every number is within its limit does validation run, on a
//! document whose expansion is known to be small.

use std::collections::HashMap;

use async_graphql::parser::types::{ExecutableDocument, OperationType, Selection, SelectionSet};
use async_graphql::parser::{Positioned, parse_query};

use crate::error::AppError;

/// Limits on a document's shape, checked before validation.
#[derive(Clone, Copy, Debug)]
pub struct DocumentLimits {
    /// Lexical tokens in the document (names, punctuators, values).
    pub max_tokens: usize,
    /// Bytes of the document's text.
    pub max_bytes: usize,
    /// Bytes of one string literal (large values go in variables).
    pub max_string_bytes: usize,
    /// Aliased fields, counted after expanding fragments.
    pub max_aliases: usize,
    /// Fields, counted after expanding fragments.
    pub max_fields: usize,
    /// Directives written in the document.
    pub max_directives: usize,
    /// Root fields of a mutation operation: mutations run one after the
    /// other, each with its own transaction.
    pub max_mutation_fields: usize,
}

/// What a measured document adds to async-graphql's complexity.
pub struct Measured {
    pub doc: ExecutableDocument,
    /// `totalCount` runs its own COUNT over the filtered set, whatever the
    /// page size: each one is charged [`COUNT_COST`].
    pub extra_cost: usize,
    /// Root fields of each mutation operation, by operation name: what an
    /// HTTP request that runs it spends of its mutation cap (a batch's
    /// documents share one cap).
    pub mutation_roots: Vec<(Option<String>, usize)>,
}

impl Measured {
    /// The mutations that running `operation` performs (0 for a query).
    pub fn mutations_in(&self, operation: Option<&str>) -> usize {
        self.mutation_roots
            .iter()
            .find(|(name, _)| operation.is_none() || name.as_deref() == operation)
            .map_or(0, |(_, n)| *n)
    }
}

pub use crate::graphql::cost::COUNT_COST;

/// Measures `query`. `Ok(None)`: the document does not parse; async-graphql
/// parses it again and reports the syntax error with its position.
pub fn measure(query: &str, limits: &DocumentLimits) -> Result<Option<Measured>, AppError> {
    check_bytes(query, limits)?;
    let (tokens, longest_string) = count_tokens(query, limits.max_tokens);
    if tokens > limits.max_tokens {
        return Err(too_complex(format!(
            "the document has more than {} tokens",
            limits.max_tokens
        )));
    }
    if longest_string > limits.max_string_bytes {
        return Err(too_complex(format!(
            "a string in the document has more than {} bytes: send large values as variables",
            limits.max_string_bytes
        )));
    }
    let Ok(doc) = parse_query(query) else {
        return Ok(None);
    };
    let directives = count_directives(&doc);
    if directives > limits.max_directives {
        return Err(too_complex(format!(
            "the document has {directives} directives; at most {} are allowed",
            limits.max_directives
        )));
    }
    let mut sizes = Sizes::new(&doc);
    let mut total = Size::default();
    let mut mutation_roots = Vec::new();
    for (name, op) in doc.operations.iter() {
        let size = sizes.of(&op.node.selection_set)?;
        if op.node.ty == OperationType::Mutation {
            let roots = sizes.root_fields(&op.node.selection_set)?;
            mutation_roots.push((name.map(|n| n.to_string()), roots));
            if roots > limits.max_mutation_fields {
                return Err(too_complex(format!(
                    "a request may run at most {} mutations; this one has {roots}",
                    limits.max_mutation_fields
                )));
            }
        }
        total = total.plus(size);
    }
    if total.fields > limits.max_fields {
        return Err(too_complex(format!(
            "the document selects more than {} fields once its fragments are expanded",
            limits.max_fields
        )));
    }
    if total.aliases > limits.max_aliases {
        return Err(too_complex(format!(
            "the document uses more than {} aliases once its fragments are expanded",
            limits.max_aliases
        )));
    }
    Ok(Some(Measured {
        doc,
        extra_cost: total
            .total_counts
            .saturating_mul(COUNT_COST)
            .saturating_add(query.len() / crate::graphql::cost::BYTES_PER_COST),
        mutation_roots,
    }))
}

fn too_complex(message: String) -> AppError {
    AppError::QueryTooComplex(message)
}

/// Counts lexical tokens, stopping early once past `stop`. Commas,
/// whitespace and comments are not tokens (as in the GraphQL grammar).
/// A document's text is refused past `max_bytes`, before it is parsed,
/// hashed for a persisted query or kept anywhere.
pub fn check_bytes(query: &str, limits: &DocumentLimits) -> Result<(), AppError> {
    if query.len() > limits.max_bytes {
        return Err(too_complex(format!(
            "the document has {} bytes; at most {} are allowed (send large values as variables)",
            query.len(),
            limits.max_bytes
        )));
    }
    Ok(())
}

/// The document's tokens (counting stops past `stop`) and the bytes of its
/// longest string literal.
fn count_tokens(text: &str, stop: usize) -> (usize, usize) {
    let bytes = text.as_bytes();
    let (mut i, mut n, mut longest) = (0, 0, 0);
    while i < bytes.len() && n <= stop {
        match bytes[i] {
            b' ' | b'\t' | b'\n' | b'\r' | b',' => i += 1,
            0xEF if bytes[i..].starts_with(&[0xEF, 0xBB, 0xBF]) => i += 3,
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                i += 3;
                let start = i;
                while i < bytes.len() && !bytes[i..].starts_with(b"\"\"\"") {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                longest = longest.max(i.min(bytes.len()) - start);
                i += 3;
                n += 1;
            }
            b'"' => {
                i += 1;
                let start = i;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                longest = longest.max(i.min(bytes.len()) - start);
                i += 1;
                n += 1;
            }
            b'.' if bytes[i..].starts_with(b"...") => {
                i += 3;
                n += 1;
            }
            c if c == b'_' || c == b'-' || c.is_ascii_alphanumeric() => {
                while i < bytes.len()
                    && (bytes[i] == b'_'
                        || bytes[i] == b'.'
                        || bytes[i] == b'+'
                        || bytes[i] == b'-'
                        || bytes[i].is_ascii_alphanumeric())
                {
                    i += 1;
                }
                n += 1;
            }
            _ => {
                // A punctuator, or a byte the parser will refuse.
                i += 1;
                n += 1;
            }
        }
    }
    (n, longest)
}

fn count_directives(doc: &ExecutableDocument) -> usize {
    fn in_set(set: &SelectionSet) -> usize {
        set.items
            .iter()
            .map(|item| match &item.node {
                Selection::Field(f) => f.node.directives.len() + in_set(&f.node.selection_set.node),
                Selection::FragmentSpread(s) => s.node.directives.len(),
                Selection::InlineFragment(i) => {
                    i.node.directives.len() + in_set(&i.node.selection_set.node)
                }
            })
            .sum()
    }
    let operations: usize = doc
        .operations
        .iter()
        .map(|(_, op)| {
            op.node.directives.len()
                + op.node
                    .variable_definitions
                    .iter()
                    .map(|v| v.node.directives.len())
                    .sum::<usize>()
                + in_set(&op.node.selection_set.node)
        })
        .sum();
    let fragments: usize = doc
        .fragments
        .values()
        .map(|f| f.node.directives.len() + in_set(&f.node.selection_set.node))
        .sum();
    operations + fragments
}

/// The expanded size of a selection set.
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
struct Size {
    fields: usize,
    aliases: usize,
    total_counts: usize,
}

impl Size {
    fn plus(self, other: Size) -> Size {
        Size {
            fields: self.fields.saturating_add(other.fields),
            aliases: self.aliases.saturating_add(other.aliases),
            total_counts: self.total_counts.saturating_add(other.total_counts),
        }
    }
}

/// Expanded sizes, memoised per fragment so that each fragment is walked
/// once however often it is spread.
struct Sizes<'a> {
    doc: &'a ExecutableDocument,
    done: HashMap<&'a str, Size>,
    /// Fragments being walked: spreading one of them again is a cycle.
    walking: Vec<&'a str>,
}

impl<'a> Sizes<'a> {
    fn new(doc: &'a ExecutableDocument) -> Self {
        Self {
            doc,
            done: HashMap::new(),
            walking: Vec::new(),
        }
    }

    fn of(&mut self, set: &'a Positioned<SelectionSet>) -> Result<Size, AppError> {
        let mut size = Size::default();
        for item in &set.node.items {
            let add = match &item.node {
                Selection::Field(f) => {
                    let field = &f.node;
                    let own = Size {
                        fields: 1,
                        aliases: usize::from(field.alias.is_some()),
                        total_counts: usize::from(field.name.node.as_str() == "totalCount"),
                    };
                    own.plus(self.of(&field.selection_set)?)
                }
                Selection::InlineFragment(i) => self.of(&i.node.selection_set)?,
                Selection::FragmentSpread(s) => {
                    self.fragment(s.node.fragment_name.node.as_str())?
                }
            };
            size = size.plus(add);
        }
        Ok(size)
    }

    fn fragment(&mut self, name: &'a str) -> Result<Size, AppError> {
        if let Some(size) = self.done.get(name) {
            return Ok(*size);
        }
        if self.walking.contains(&name) {
            return Err(AppError::bad_input(format!(
                "fragment `{name}` spreads itself"
            )));
        }
        // An unknown fragment is validation's to report; it adds nothing.
        let Some((key, fragment)) = self.doc.fragments.get_key_value(name) else {
            return Ok(Size::default());
        };
        self.walking.push(key.as_str());
        let size = self.of(&fragment.node.selection_set)?;
        self.walking.pop();
        self.done.insert(key.as_str(), size);
        Ok(size)
    }

    /// Root fields of an operation, with fragments expanded.
    fn root_fields(&mut self, set: &'a Positioned<SelectionSet>) -> Result<usize, AppError> {
        let mut n = 0usize;
        for item in &set.node.items {
            n = n.saturating_add(match &item.node {
                Selection::Field(_) => 1,
                Selection::InlineFragment(i) => self.root_fields(&i.node.selection_set)?,
                Selection::FragmentSpread(s) => {
                    let name = s.node.fragment_name.node.as_str();
                    match self.doc.fragments.get_key_value(name) {
                        Some((_, f)) if !self.walking.contains(&name) => {
                            self.walking.push(name);
                            let roots = self.root_fields(&f.node.selection_set);
                            self.walking.pop();
                            roots?
                        }
                        Some(_) => {
                            return Err(AppError::bad_input(format!(
                                "fragment `{name}` spreads itself"
                            )));
                        }
                        None => 0,
                    }
                }
            });
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: DocumentLimits = DocumentLimits {
        max_tokens: 2_000,
        max_bytes: 32 * 1024,
        max_string_bytes: 8 * 1024,
        max_aliases: 30,
        max_fields: 1_000,
        max_directives: 50,
        max_mutation_fields: 10,
    };

    fn explosion(levels: usize, fanout: usize) -> String {
        let mut doc = String::from("{ ...F0 }");
        for i in 0..levels {
            let spreads = format!("...F{} ", i + 1).repeat(fanout);
            doc.push_str(&format!(" fragment F{i} on Query {{ {spreads} }}"));
        }
        doc.push_str(&format!(" fragment F{levels} on Query {{ __typename }}"));
        doc
    }

    #[test]
    fn tokens_are_counted_like_the_grammar_counts_them() {
        assert_eq!(count_tokens("{ a, b }", 100).0, 4);
        assert_eq!(count_tokens("# comment\n{ a(x: \"s, t\") }", 100), (8, 4));
        assert_eq!(count_tokens("{ ...F }", 100).0, 4);
        assert_eq!(count_tokens("query($v: Int = -1.5e3) { a }", 100).0, 12);
        assert_eq!(count_tokens(&"{a}".repeat(1_000), 10).0, 11);
        assert_eq!(count_tokens("{ a(x: \"\"\"long\nblock\"\"\") }", 100).1, 10);
    }

    #[test]
    fn a_fragment_explosion_is_refused_from_its_memoised_size() {
        let doc = explosion(9, 8);
        assert!(doc.len() < 800, "{}", doc.len());
        // 8^9 expanded fields: this returns at all only because each
        // fragment's size is computed once.
        let err = measure(&doc, &LIMITS).err().map(|e| e.code());
        assert_eq!(err, Some("QUERY_TOO_COMPLEX"));
        // A small, legitimate reuse of fragments passes.
        assert!(matches!(measure(&explosion(2, 3), &LIMITS), Ok(Some(_))));
    }

    #[test]
    fn large_documents_and_long_strings_are_refused_before_parsing() {
        let big = format!("{{ a(x: \"{}\") }}", "x".repeat(8 * 1024 + 1));
        assert!(measure(&big, &LIMITS).is_err(), "a long string literal");
        let long = format!("{{ a }} {}", "#".repeat(32 * 1024));
        assert!(measure(&long, &LIMITS).is_err(), "a long document");
        let fine = format!("{{ a(x: \"{}\") }}", "x".repeat(8 * 1024));
        let measured = measure(&fine, &LIMITS).ok().flatten().map(|m| m.extra_cost);
        assert_eq!(measured, Some(8), "charged a unit per KiB of text");
    }

    #[test]
    fn aliases_directives_mutations_and_counts_are_measured_after_expansion() {
        let aliased = format!(
            "{{ ...A }} fragment A on Query {{ {} }}",
            (0..31)
                .map(|i| format!("a{i}: __typename "))
                .collect::<String>()
        );
        assert!(measure(&aliased, &LIMITS).is_err());
        let directives = format!("{{ {} }}", "__typename @skip(if: false) ".repeat(51));
        assert!(measure(&directives, &LIMITS).is_err());
        let mutations = format!(
            "mutation {{ ...M }} fragment M on Mutation {{ {} }}",
            (0..11)
                .map(|i| format!("m{i}: cancelOrder(id: \"x\") {{ id }} "))
                .collect::<String>()
        );
        assert!(measure(&mutations, &LIMITS).is_err());
        let counted = measure(
            "{ a: products(first: 0) { totalCount } b: products(first: 0) { ...C } } fragment C on ProductConnection { totalCount }",
            &LIMITS,
        );
        assert_eq!(
            counted.ok().flatten().map(|m| m.extra_cost),
            Some(2 * COUNT_COST)
        );
    }

    #[test]
    fn cycles_are_refused_and_syntax_errors_left_to_the_parser() {
        let cycle = "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }";
        assert_eq!(
            measure(cycle, &LIMITS).err().map(|e| e.code()),
            Some("BAD_USER_INPUT")
        );
        assert!(matches!(measure("{ unclosed", &LIMITS), Ok(None)));
    }
}
