//! GraphiQL, for a person exploring the API in a browser (`GET /graphql`
//! asking for HTML).

use axum::response::{Html, IntoResponse, Response};

/// GraphiQL, wired for subscriptions too: the Headers tab's JSON is also
/// the `connection_init` payload of `/graphql/ws`.
pub(super) fn page() -> Response {
    Html(include_str!("../../static/graphiql.html")).into_response()
}
