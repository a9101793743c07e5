//! Partner authentication: a bearer JWT becomes a [`Viewer`] (the partner and
//! its effective scopes), or UNAUTHENTICATED.
//!
//! jsonwebtoken's `Validation` checks only `exp` by default; here the
//! algorithm is pinned by configuration, `iss`, `aud`, `exp` and `sub` are
//! required, and `nbf` is honoured, all with the configured leeway.

use std::collections::BTreeSet;
use std::fmt;
use std::time::Duration;

use entity::enums::{PartnerKind, PartnerStatus};
use entity::partner;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::config::{Config, ConfigError, JwtAlgorithm};
use crate::error::{AppError, AppResult};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    CatalogRead,
    CatalogWrite,
    InventoryRead,
    InventoryWrite,
    OrdersRead,
    OrdersWrite,
    FulfillmentWrite,
    ReportsRead,
    PartnersAdmin,
    WebhooksManage,
}

impl Scope {
    pub const ALL: [Scope; 10] = [
        Scope::CatalogRead,
        Scope::CatalogWrite,
        Scope::InventoryRead,
        Scope::InventoryWrite,
        Scope::OrdersRead,
        Scope::OrdersWrite,
        Scope::FulfillmentWrite,
        Scope::ReportsRead,
        Scope::PartnersAdmin,
        Scope::WebhooksManage,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::CatalogRead => "catalog:read",
            Scope::CatalogWrite => "catalog:write",
            Scope::InventoryRead => "inventory:read",
            Scope::InventoryWrite => "inventory:write",
            Scope::OrdersRead => "orders:read",
            Scope::OrdersWrite => "orders:write",
            Scope::FulfillmentWrite => "fulfillment:write",
            Scope::ReportsRead => "reports:read",
            Scope::PartnersAdmin => "partners:admin",
            Scope::WebhooksManage => "webhooks:manage",
        }
    }

    pub fn parse(s: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|scope| scope.as_str() == s)
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of scopes parsed from a space- or comma-separated list. Unknown
/// names are dropped: a token can never gain a scope the gateway does not know.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScopeSet(BTreeSet<Scope>);

impl ScopeSet {
    pub fn parse(list: &str) -> Self {
        Self(
            list.split(|c: char| c.is_whitespace() || c == ',')
                .filter_map(Scope::parse)
                .collect(),
        )
    }
    /// As `parse`, for a list a person typed (`ocop-gateway token
    /// --scopes`): an unknown name is an error that names it, instead of a
    /// token silently minted without it.
    pub fn parse_strict(list: &str) -> Result<Self, String> {
        let unknown: Vec<&str> = list
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter(|s| !s.is_empty() && Scope::parse(s).is_none())
            .collect();
        if unknown.is_empty() {
            Ok(Self::parse(list))
        } else {
            Err(format!(
                "unknown scope {}; the scopes are: {}",
                unknown
                    .iter()
                    .map(|s| format!("`{s}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                Scope::ALL.map(Scope::as_str).join(", ")
            ))
        }
    }
    pub fn intersect(&self, other: &ScopeSet) -> ScopeSet {
        ScopeSet(self.0.intersection(&other.0).copied().collect())
    }
    pub fn contains(&self, scope: Scope) -> bool {
        self.0.contains(&scope)
    }
    pub fn iter(&self) -> impl Iterator<Item = Scope> + '_ {
        self.0.iter().copied()
    }
    pub fn to_claim(&self) -> String {
        self.iter().map(Scope::as_str).collect::<Vec<_>>().join(" ")
    }
}

/// The authenticated caller of one request.
#[derive(Clone, Debug)]
pub struct Viewer {
    pub partner: partner::Model,
    pub scopes: ScopeSet,
}

impl Viewer {
    /// The operator (the OCOP coordination office) sees every partner's orders.
    pub fn is_operator(&self) -> bool {
        self.partner.kind == PartnerKind::Operator
    }
    pub fn partner_id(&self) -> i64 {
        self.partner.id
    }
    pub fn require(&self, scope: Scope) -> AppResult<()> {
        if self.scopes.contains(scope) {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!(
                "this operation needs the `{scope}` scope"
            )))
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    /// Required (it may be empty): a token without it is refused rather
    /// than read as "no scopes", so a wrongly shaped token is found early.
    pub scope: String,
    pub exp: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
}

#[derive(Serialize)]
struct OutgoingClaims<'a> {
    iss: &'a str,
    aud: &'a str,
    #[serde(flatten)]
    claims: &'a Claims,
}

pub struct Authenticator {
    algorithm: Algorithm,
    decoding: DecodingKey,
    /// Present for HS256 only: asymmetric keys come from an identity provider
    /// and the gateway holds no private key.
    encoding: Option<EncodingKey>,
    validation: Validation,
    issuer: String,
    audience: String,
}

impl fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authenticator")
            .field("algorithm", &self.algorithm)
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .finish_non_exhaustive()
    }
}

pub fn algorithm_of(alg: JwtAlgorithm) -> Algorithm {
    match alg {
        JwtAlgorithm::Hs256 => Algorithm::HS256,
        JwtAlgorithm::Rs256 => Algorithm::RS256,
        JwtAlgorithm::Es256 => Algorithm::ES256,
        JwtAlgorithm::EdDsa => Algorithm::EdDSA,
    }
}

impl Authenticator {
    pub fn from_config(config: &Config) -> Result<Self, ConfigError> {
        let algorithm = algorithm_of(config.jwt_algorithm);
        let (decoding, encoding) = match config.jwt_algorithm {
            JwtAlgorithm::Hs256 => {
                let secret = config.effective_secret()?;
                (
                    DecodingKey::from_secret(secret.expose().as_bytes()),
                    Some(EncodingKey::from_secret(secret.expose().as_bytes())),
                )
            }
            alg => {
                let path = config
                    .jwt_public_key_file
                    .as_ref()
                    .ok_or(ConfigError::MissingPublicKey(alg))?;
                let pem =
                    std::fs::read(path).map_err(|source| ConfigError::UnreadablePublicKey {
                        path: path.clone(),
                        source,
                    })?;
                let key = match alg {
                    JwtAlgorithm::Rs256 => DecodingKey::from_rsa_pem(&pem),
                    JwtAlgorithm::Es256 => DecodingKey::from_ec_pem(&pem),
                    _ => DecodingKey::from_ed_pem(&pem),
                }
                .map_err(|_| ConfigError::InvalidPublicKey(alg))?;
                (key, None)
            }
        };
        let mut validation = Validation::new(algorithm);
        validation.set_issuer(&[&config.jwt_issuer]);
        validation.set_audience(&[&config.jwt_audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.leeway = config.jwt_leeway_secs;
        Ok(Self {
            algorithm,
            decoding,
            encoding,
            validation,
            issuer: config.jwt_issuer.clone(),
            audience: config.jwt_audience.clone(),
        })
    }

    /// Checks signature, algorithm, issuer, audience and times. The message
    /// says which check failed (useful to an integrator) but never echoes
    /// the token.
    pub fn verify(&self, token: &str) -> AppResult<Claims> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|e| {
                let why = match e.kind() {
                    ErrorKind::ExpiredSignature => "token has expired",
                    ErrorKind::ImmatureSignature => "token is not valid yet (nbf)",
                    ErrorKind::InvalidIssuer => "token issuer is not accepted",
                    ErrorKind::InvalidAudience => "token audience is not accepted",
                    ErrorKind::InvalidSignature => "token signature is invalid",
                    ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => {
                        "token algorithm is not accepted"
                    }
                    ErrorKind::MissingRequiredClaim(_) => {
                        "token lacks a required claim (exp, iss, aud, sub, scope)"
                    }
                    ErrorKind::Json(e) if e.to_string().contains("missing field `scope`") => {
                        "token lacks a required claim (exp, iss, aud, sub, scope)"
                    }
                    _ => "token is malformed",
                };
                AppError::Unauthenticated(why.into())
            })
    }

    /// Signs a token for `partner` (HS256 deployments only; the `token`
    /// subcommand and the tests use it).
    pub fn mint(
        &self,
        partner: &str,
        scopes: &ScopeSet,
        ttl: Duration,
    ) -> Result<String, MintError> {
        let key = self.encoding.as_ref().ok_or(MintError::NoSigningKey)?;
        mint_with(
            key,
            self.algorithm,
            &self.issuer,
            &self.audience,
            partner,
            scopes,
            ttl,
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MintError {
    #[error(
        "this gateway verifies tokens with a public key; mint them with your identity provider or pass --signing-key-file"
    )]
    NoSigningKey,
    #[error("cannot sign the token: {0}")]
    Sign(#[from] jsonwebtoken::errors::Error),
}

pub fn now_secs() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

pub fn mint_with(
    key: &EncodingKey,
    algorithm: Algorithm,
    issuer: &str,
    audience: &str,
    partner: &str,
    scopes: &ScopeSet,
    ttl: Duration,
) -> Result<String, MintError> {
    let now = now_secs();
    let claims = Claims {
        sub: partner.to_owned(),
        scope: scopes.to_claim(),
        exp: now + ttl.as_secs(),
        iat: Some(now),
        nbf: Some(now),
        jti: Some(uuid::Uuid::new_v4().to_string()),
    };
    let outgoing = OutgoingClaims {
        iss: issuer,
        aud: audience,
        claims: &claims,
    };
    Ok(jsonwebtoken::encode(
        &Header::new(algorithm),
        &outgoing,
        key,
    )?)
}

/// Reads the bearer token from an `Authorization` header value.
pub fn bearer_token(header: &str) -> AppResult<&str> {
    let mut parts = header.trim().splitn(2, ' ');
    match (parts.next(), parts.next()) {
        (Some(scheme), Some(token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(token.trim())
        }
        _ => Err(AppError::Unauthenticated(
            "the Authorization header must be `Bearer <token>`".into(),
        )),
    }
}

/// Turns a verified token's partner into the caller: the partner must be
/// active, and its effective scopes are the token's scopes intersected with
/// what the partner may ever hold.
pub fn viewer_for(partner: partner::Model, claims: &Claims) -> AppResult<Viewer> {
    if partner.status != PartnerStatus::Active {
        return Err(AppError::Unauthenticated(
            "the token's partner is suspended".into(),
        ));
    }
    // Revocation: a token issued at or before the partner's
    // `tokens_valid_after` (second precision, as `iat` has) is refused.
    if let Some(after) = partner.tokens_valid_after
        && claims
            .iat
            .is_none_or(|iat| iat <= after.timestamp().max(0) as u64)
    {
        return Err(AppError::Unauthenticated(
            "the token was revoked; ask for a new one".into(),
        ));
    }
    let granted = ScopeSet::parse(&partner.allowed_scopes);
    let scopes = ScopeSet::parse(&claims.scope).intersect(&granted);
    Ok(Viewer { partner, scopes })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_sets_intersect_and_drop_unknown_names() {
        let token = ScopeSet::parse("catalog:read fulfillment:write root:all");
        let grant = ScopeSet::parse("catalog:read,orders:write");
        assert_eq!(token.intersect(&grant).to_claim(), "catalog:read");
    }

    #[test]
    fn bearer_header_forms() {
        assert_eq!(bearer_token("Bearer abc").ok(), Some("abc"));
        assert_eq!(bearer_token("bearer  abc ").ok(), Some("abc"));
        assert!(bearer_token("Basic abc").is_err());
        assert!(bearer_token("Bearer").is_err());
        assert!(bearer_token("Bearer   ").is_err());
    }
}
