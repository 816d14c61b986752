//! What went wrong with a registry, said as the operator needs it: an
//! unreachable registry, refused access and where the credentials came
//! from, each error with its causes.

/// Where a session's credentials came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credentials {
    /// `--registry-token-file`.
    TokenFile,
    /// The docker config, or a credential helper it names.
    DockerConfig,
    /// None found: anonymous.
    None,
}

impl Credentials {
    /// What an operator refused access should do, in words.
    pub fn advice(self) -> &'static str {
        match self {
            Self::TokenFile => "the token of --registry-token-file was refused",
            Self::DockerConfig => {
                "the credentials for it in the docker config ($DOCKER_CONFIG/config.json or ~/.docker/config.json, or its credential helper) were refused"
            }
            Self::None => {
                "no credentials for it were found: give --registry-token-file, or log in (`docker login`, `oras login`) so that $DOCKER_CONFIG/config.json or ~/.docker/config.json holds them"
            }
        }
    }
}

/// The registry's error, said as the operator needs it: unreachable
/// registries and refused access named as such.
pub fn explain(
    registry: &str,
    credentials: Credentials,
    error: oci_client::errors::OciDistributionError,
) -> anyhow::Error {
    use oci_client::errors::OciDistributionError as E;
    match error {
        E::RequestError(ref request) if request.is_connect() || request.is_timeout() => {
            unreachable(registry, request)
        }
        E::UnauthorizedError { .. } | E::AuthenticationFailure(_) => {
            anyhow::anyhow!(
                "{registry} refused access ({error}): {}",
                credentials.advice()
            )
        }
        other => anyhow::Error::new(other),
    }
}

/// "cannot reach REGISTRY", with why; when TLS met a server that answers in
/// plain HTTP, also what to do about it.
pub fn unreachable(registry: &str, error: &reqwest::Error) -> anyhow::Error {
    let why = chain(error);
    // rustls's words for a handshake answered with something not TLS.
    let hint = if why.contains("InvalidContentType") {
        " (it answers in plain HTTP, not TLS: for a registry on loopback, pass --plain-http)"
    } else {
        ""
    };
    anyhow::anyhow!("cannot reach {registry}: {why}{hint}")
}

/// An error and its sources, one after the other.
pub fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
