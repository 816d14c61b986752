//! `wasi:http` outgoing requests, checked against the plugin's network grants.

use std::sync::Arc;

use wasmtime_wasi_http::{Error, RequestOptions, WasiBody, WasiHttpHooks};

use super::limits::HTTP_BODY_CHUNK;
use super::network::NetworkPolicy;

/// Sends a plugin's request only if its `host:port` is granted.
pub struct HttpHooks {
    network: Arc<NetworkPolicy>,
}

impl HttpHooks {
    /// Hooks enforcing `network`.
    pub fn new(network: Arc<NetworkPolicy>) -> Self {
        Self { network }
    }
}

type Sent = wasmtime_wasi_http::Result<(
    http::Response<WasiBody>,
    Box<dyn Future<Output = Result<(), Error>> + Send>,
)>;

impl WasiHttpHooks for HttpHooks {
    /// One chunk buffered per outgoing body (and one queued): see
    /// [`HTTP_BODY_CHUNK`].
    fn p2_outgoing_body_buffer_chunks(&mut self) -> usize {
        1
    }

    fn p2_outgoing_body_chunk_size(&mut self) -> usize {
        HTTP_BODY_CHUNK
    }

    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        fut: Box<dyn Future<Output = Result<(), Error>> + Send>,
    ) -> Box<dyn Future<Output = Sent> + Send> {
        drop(fut);
        let network = self.network.clone();
        Box::new(async move {
            let uri = request.uri();
            let host = uri.host().unwrap_or_default().to_owned();
            let https = uri.scheme() == Some(&http::uri::Scheme::HTTPS);
            let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
            if !network.allows_authority(&host, port).await {
                tracing::warn!("denied an HTTP request to {host}:{port}: not granted");
                return Err(Error::HttpRequestDenied);
            }
            let (response, io) = wasmtime_wasi_http::default_send_request(request, options).await?;
            Ok((
                response.map(http_body_util::BodyExt::boxed_unsync),
                Box::new(io) as Box<dyn Future<Output = _> + Send>,
            ))
        })
    }
}
