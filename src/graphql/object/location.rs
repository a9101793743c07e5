use std::sync::Arc;

use async_graphql::{ID, Object};
use entity::location;

use crate::ids::{self, Kind};

/// A warehouse or distribution point that holds stock.
pub struct LocationNode(pub Arc<location::Model>);

#[Object(name = "Location")]
impl LocationNode {
    pub(crate) async fn id(&self) -> ID {
        ids::encode(Kind::Location, self.0.id)
    }
    /// Short stable code, e.g. `HN-LONGBIEN`.
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn province(&self) -> &str {
        &self.0.province
    }
}
