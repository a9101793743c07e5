//! What the gateway needs to call out over HTTPS (an S3 bucket; later,
//! partners' webhook receivers): the process's rustls crypto provider.

/// Installs ring as the process's rustls provider: reqwest (built without
/// one, to avoid a second crypto library next to sqlx's ring) asks for it.
/// Safe to call more than once.
pub fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
