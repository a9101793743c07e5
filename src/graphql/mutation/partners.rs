use async_graphql::{Context, ID, Object};
use entity::enums::PartnerStatus;

use crate::auth::Scope;
use crate::domain::{partners, pricing};
use crate::graphql::context::{db, viewer};
use crate::graphql::cost;
use crate::graphql::guard::ScopeGuard;
use crate::graphql::input::partner::{
    AddStoreInput, CreatePartnerInput, IssuePartnerTokenInput, SetContractPriceInput,
    UpdatePartnerInput,
};
use crate::graphql::object::partner::{ContractPriceNode, IssuedTokenNode, PartnerNode, StoreNode};
use crate::ids::{self, Kind};

#[derive(Default)]
pub struct PartnerMutation;

fn partner_id(id: &ID) -> async_graphql::Result<i64> {
    Ok(ids::decode(Kind::Partner, id, "id")?)
}

/// Partner administration (`partners:admin`, the operator). Every change
/// is recorded in the partner's `auditTrail`.
#[Object]
impl PartnerMutation {
    /// A retail chain's own listing rules (required fields, images and
    /// shelf life at least), measured on top of the label law in its
    /// products' `completeness`.
    #[graphql(
        guard = "ScopeGuard(Scope::PartnersAdmin)",
        complexity = "cost::MUTATION + child_complexity"
    )]
    async fn set_listing_requirements(
        &self,
        ctx: &Context<'_>,
        partner_id: ID,
        input: crate::graphql::object::partner::ListingRequirementsInput,
    ) -> async_graphql::Result<PartnerNode> {
        let id = crate::ids::decode(crate::ids::Kind::Partner, &partner_id, "partnerId")?;
        let rules = crate::domain::catalog::completeness::Requirements {
            required_fields: input.required_fields,
            min_images: usize::try_from(input.min_images.unwrap_or(0)).unwrap_or(usize::MAX),
            min_shelf_life_days: input.min_shelf_life_days,
        };
        let actor = viewer(ctx)?.partner_id();
        Ok(PartnerNode(
            crate::domain::catalog::listing::set(db(ctx)?, actor, id, rules).await?,
        ))
    }

    /// Onboards a retail chain, or a producer tied to one producer; it can
    /// call as soon as it has a token.
    #[graphql(
        guard = "ScopeGuard(Scope::PartnersAdmin)",
        complexity = "cost::MUTATION + child_complexity"
    )]
    async fn create_partner(
        &self,
        ctx: &Context<'_>,
        input: CreatePartnerInput,
    ) -> async_graphql::Result<PartnerNode> {
        let actor = viewer(ctx)?.partner_id();
        Ok(PartnerNode(
            partners::create_partner(db(ctx)?, actor, input.into_domain()?).await?,
        ))
    }

    /// Changes a partner's name, grants or rate limits.
    #[graphql(
        guard = "ScopeGuard(Scope::PartnersAdmin)",
        complexity = "cost::MUTATION + child_complexity"
    )]
    async fn update_partner(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdatePartnerInput,
    ) -> async_graphql::Result<PartnerNode> {
        let actor = viewer(ctx)?.partner_id();
        let partner =
            partners::update_partner(db(ctx)?, actor, partner_id(&id)?, input.into()).await?;
        Ok(PartnerNode(partner))
    }

    /// Adds a ship-to store to a partner.
    #[graphql(
        guard = "ScopeGuard(Scope::PartnersAdmin)",
        complexity = "cost::MUTATION + child_complexity"
    )]
    async fn add_store(
        &self,
        ctx: &Context<'_>,
        input: AddStoreInput,
    ) -> async_graphql::Result<StoreNode> {
        let actor = viewer(ctx)?.partner_id();
        let store = partners::add_store(db(ctx)?, actor, input.into_domain()?).await?;
        Ok(StoreNode(store))
    }

    /// Suspends a partner: its tokens are refused on every replica within
    /// `PARTNER_CACHE_TTL_MS` (at most 5 s). A reason is required.
    #[graphql(
        guard = "ScopeGuard(Scope::PartnersAdmin)",
        complexity = "cost::MUTATION + child_complexity"
    )]
    async fn suspend_partner(
        &self,
        ctx: &Context<'_>,
        id: ID,
        reason: String,
    ) -> async_graphql::Result<PartnerNode> {
        let actor = viewer(ctx)?.partner_id();
        let partner = partners::set_status(
            db(ctx)?,
            actor,
            partner_id(&id)?,
            PartnerStatus::Suspended,
            Some(&reason),
        )
        .await?;
        Ok(PartnerNode(partner))
    }

    /// Lifts a suspension (within the same few seconds).
    #[graphql(
        guard = "ScopeGuard(Scope::PartnersAdmin)",
        complexity = "cost::MUTATION + child_complexity"
    )]
    async fn reactivate_partner(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<PartnerNode> {
        let actor = viewer(ctx)?.partner_id();
        let partner = partners::set_status(
            db(ctx)?,
            actor,
            partner_id(&id)?,
            PartnerStatus::Active,
            None,
        )
        .await?;
        Ok(PartnerNode(partner))
    }

    /// Refuses every token issued to the partner up to now (by `iat`,
    /// within the same few seconds on every replica); tokens issued after
    /// (from the next second on) work.
    #[graphql(
        guard = "ScopeGuard(Scope::PartnersAdmin)",
        complexity = "cost::MUTATION + child_complexity"
    )]
    async fn revoke_partner_tokens(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<PartnerNode> {
        let actor = viewer(ctx)?.partner_id();
        let partner = partners::revoke_tokens(db(ctx)?, actor, partner_id(&id)?).await?;
        Ok(PartnerNode(partner))
    }

    /// Sets what a partner pays for a product from `validFrom` on, with
    /// its quantity rules and price breaks. Only that partner sees it (as
    /// `Product.offer`), and `placeOrder` charges it.
    #[graphql(
        guard = "ScopeGuard(Scope::PartnersAdmin)",
        complexity = "cost::MUTATION + child_complexity"
    )]
    async fn set_contract_price(
        &self,
        ctx: &Context<'_>,
        input: SetContractPriceInput,
    ) -> async_graphql::Result<ContractPriceNode> {
        let actor = viewer(ctx)?.partner_id();
        let contract = pricing::set_contract_price(db(ctx)?, actor, input.into_domain()?).await?;
        Ok(ContractPriceNode(contract))
    }

    /// Issues a token for a partner (`partners:admin`, when this gateway
    /// signs its own tokens): the scopes asked, never more than the
    /// partner's grants, for 5 minutes to 30 days. Recorded in the
    /// partner's audit trail (scopes and expiry, not the token). Shown
    /// once: hand it to the partner over a safe channel.
    #[graphql(
        guard = "ScopeGuard(Scope::PartnersAdmin)",
        complexity = "cost::MUTATION + child_complexity"
    )]
    async fn issue_partner_token(
        &self,
        ctx: &Context<'_>,
        input: IssuePartnerTokenInput,
    ) -> async_graphql::Result<IssuedTokenNode> {
        let data = crate::graphql::context::request_data(ctx)?;
        let issued = crate::domain::tokens::issue(
            &data.db,
            &data.auth,
            viewer(ctx)?,
            partner_id(&input.partner_id)?,
            &input.scopes,
            i64::from(input.expires_in_minutes),
        )
        .await?;
        Ok(IssuedTokenNode(issued))
    }
}
