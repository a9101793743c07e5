//! What a configuration must satisfy before the gateway serves, and what
//! it implies (the secret in force, the introspection policy, the clock).

use super::*;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("JWT_SECRET is required in production when JWT_ALGORITHM is HS256")]
    MissingSecret,
    #[error("JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes")]
    ShortSecret,
    #[error("the development JWT secret is refused in production; set JWT_SECRET")]
    DevelopmentSecretInProduction,
    #[error(
        "the development JWT secret only serves on a loopback address; set JWT_SECRET to serve on {0}"
    )]
    DevelopmentSecretOnNetwork(SocketAddr),
    #[error("BENCH_FLOOR exposes stock without authentication and is refused in production")]
    BenchFloorInProduction,
    #[error("OCOP_CLOCK_OFFSET_DAYS moves the clock and is refused in production")]
    ClockOffsetInProduction,
    #[error("the media store cannot be used: {0}")]
    Media(String),
    #[error("JWT_PUBLIC_KEY_FILE is required when JWT_ALGORITHM is {0:?}")]
    MissingPublicKey(JwtAlgorithm),
    #[error("cannot read JWT_PUBLIC_KEY_FILE {path}: {source}")]
    UnreadablePublicKey {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("JWT_PUBLIC_KEY_FILE is not a valid PEM key for {0:?}")]
    InvalidPublicKey(JwtAlgorithm),
    #[error("PUBLIC_BASE_URL {0}")]
    PublicBaseUrl(&'static str),
    #[error("WEBHOOK_SECRET_KEY is required in production (32 bytes, base64 or hex)")]
    MissingWebhookKey,
    #[error("WEBHOOK_SECRET_KEY must be 32 bytes, as base64 or 64 hex digits")]
    InvalidWebhookKey,
    #[error("WEBHOOK_RETRY_SCHEDULE needs at least one wait")]
    EmptyRetrySchedule,
    #[error(
        "LEDGER_RETENTION_DAYS must be 0 (keep every row) or at least {0} (EVENTS_REPLAY_DAYS, and 2 for webhook retries)"
    )]
    LedgerRetentionTooShort(i64),
}

impl Config {
    /// The defaults, as `cargo run` with an empty environment would have them.
    pub fn development() -> Self {
        use clap::Parser;
        #[derive(Parser)]
        struct Only {
            #[command(flatten)]
            config: Config,
        }
        // Parsing an empty argument list cannot fail: every field has a default.
        match Only::try_parse_from(["ocop-gateway"]) {
            Ok(only) => only.config,
            Err(e) => panic!("configuration defaults are invalid: {e}"),
        }
    }

    /// Refuses to serve where the development secret would be reachable
    /// from other machines: anyone can mint tokens with it.
    pub fn check_serving(&self) -> Result<(), ConfigError> {
        if self.jwt_algorithm == JwtAlgorithm::Hs256
            && self.effective_secret()?.expose() == DEVELOPMENT_JWT_SECRET
            && !self.bind_addr.ip().is_loopback()
        {
            return Err(ConfigError::DevelopmentSecretOnNetwork(self.bind_addr));
        }
        let shortest = self.events_replay_days.max(2);
        if self.ledger_retention_days != 0 && self.ledger_retention_days < shortest {
            return Err(ConfigError::LedgerRetentionTooShort(shortest));
        }
        Ok(())
    }

    /// The introspection policy in force.
    pub fn introspection(&self) -> Introspection {
        self.introspection.unwrap_or(match self.env {
            Environment::Development => Introspection::Public,
            Environment::Production => Introspection::Authenticated,
        })
    }

    /// How far the clock runs ahead (`OCOP_CLOCK_OFFSET_DAYS`).
    pub fn clock_shift(&self) -> chrono::Duration {
        chrono::Duration::days(self.clock_offset_days)
    }

    /// The key webhook secrets are sealed with. Development without
    /// `WEBHOOK_SECRET_KEY` uses a fixed key whose name says what it is;
    /// production refuses to start without one.
    pub fn webhook_key(&self) -> Result<[u8; 32], ConfigError> {
        use base64::Engine;
        if self.webhooks.webhook_retry_schedule.is_empty() {
            return Err(ConfigError::EmptyRetrySchedule);
        }
        let Some(key) = &self.webhooks.webhook_secret_key else {
            if self.env == Environment::Production {
                return Err(ConfigError::MissingWebhookKey);
            }
            let digest =
                <sha2::Sha256 as sha2::Digest>::digest(b"ocop-gateway DEVELOPMENT webhook key");
            return Ok(digest.into());
        };
        let text = key.expose().trim();
        let bytes = if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            (0..32)
                .map(|i| u8::from_str_radix(&text[i * 2..i * 2 + 2], 16))
                .collect::<Result<Vec<u8>, _>>()
                .map_err(|_| ConfigError::InvalidWebhookKey)?
        } else {
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .map_err(|_| ConfigError::InvalidWebhookKey)?
        };
        bytes.try_into().map_err(|_| ConfigError::InvalidWebhookKey)
    }

    /// The origin pages' public address without a trailing `/`
    /// (`PUBLIC_BASE_URL`; in development `http://BIND_ADDR` by default),
    /// or none: then no stamp is offered.
    pub fn public_base(&self) -> Result<Option<String>, ConfigError> {
        let Some(url) = &self.public_base_url else {
            return Ok((self.env == Environment::Development)
                .then(|| format!("http://{}", self.bind_addr)));
        };
        let url = url.trim().trim_end_matches('/');
        let rest = match (url.strip_prefix("https://"), url.strip_prefix("http://")) {
            (Some(rest), _) => rest,
            (None, Some(rest)) if self.env == Environment::Development => rest,
            (None, Some(_)) => {
                return Err(ConfigError::PublicBaseUrl(
                    "must be https:// outside development: stamps are scanned on any network",
                ));
            }
            _ => return Err(ConfigError::PublicBaseUrl("must start with https://")),
        };
        if rest.is_empty()
            || rest.contains(['/', '?', '#', '@', '\\'])
            || rest.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(ConfigError::PublicBaseUrl(
                "must be a scheme and a host (and port) only, such as https://ocop.example.vn",
            ));
        }
        Ok(Some(url.to_owned()))
    }

    pub fn is_sqlite(&self) -> bool {
        self.database_url.expose().starts_with("sqlite:")
    }

    /// The HS256 secret in force, applying the development fallback and the
    /// production rules.
    pub fn effective_secret(&self) -> Result<Secret, ConfigError> {
        let secret = match (&self.jwt_secret, self.env) {
            (Some(s), _) => s.clone(),
            (None, Environment::Development) => Secret::new(DEVELOPMENT_JWT_SECRET),
            (None, Environment::Production) => return Err(ConfigError::MissingSecret),
        };
        if self.env == Environment::Production && secret.expose() == DEVELOPMENT_JWT_SECRET {
            return Err(ConfigError::DevelopmentSecretInProduction);
        }
        if secret.expose().len() < MIN_SECRET_BYTES {
            return Err(ConfigError::ShortSecret);
        }
        Ok(secret)
    }
}
