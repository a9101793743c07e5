use async_graphql::{Context, Enum, ID, Object};
use entity::{partner, store};

use crate::auth::Viewer;
use crate::graphql::context::loader;
use crate::graphql::loader::StoresByPartnerLoader;
use crate::ids::{self, Kind};

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::enums::PartnerKind")]
pub enum PartnerKind {
    /// A supermarket or convenience chain that buys OCOP products.
    RetailChain,
    /// The OCOP coordination office running the gateway.
    Operator,
}

/// The calling partner and what its token may do.
pub struct ViewerNode(pub Viewer);

#[Object(name = "Viewer")]
impl ViewerNode {
    /// The partner the token was issued to.
    async fn partner(&self) -> PartnerNode {
        PartnerNode(self.0.partner.clone())
    }
    /// Effective scopes: those in the token that the partner may hold.
    async fn scopes(&self) -> Vec<&'static str> {
        self.0.scopes.iter().map(|s| s.as_str()).collect()
    }
}

/// A retail chain (or the operator) connected to the gateway.
pub struct PartnerNode(pub partner::Model);

#[Object(name = "Partner")]
impl PartnerNode {
    async fn id(&self) -> ID {
        ids::encode(Kind::Partner, self.0.id)
    }
    /// Stable partner code, the `sub` of its tokens (e.g. `aeon-vn`).
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn kind(&self) -> PartnerKind {
        self.0.kind.into()
    }
    /// Ship-to points of this partner. Only the partner itself (or the
    /// operator) sees them.
    async fn stores(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<StoreNode>> {
        let stores = loader::<StoresByPartnerLoader>(ctx)?
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        Ok(stores.into_iter().map(StoreNode).collect())
    }
}

/// A partner's ship-to point, such as one supermarket branch.
pub struct StoreNode(pub store::Model);

#[Object(name = "Store")]
impl StoreNode {
    /// Pass this as `storeId` when placing an order.
    async fn id(&self) -> ID {
        ids::encode(Kind::Store, self.0.id)
    }
    /// The partner's own code for the branch.
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn address(&self) -> &str {
        &self.0.address
    }
    async fn province(&self) -> &str {
        &self.0.province
    }
}
