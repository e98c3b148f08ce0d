//! Outbound HTTP: a plugin reaches only the `host:port` pairs on its `allow_hosts` list.
//! Anything else is refused before a connection is made, with `HTTP-request-denied`, and
//! logged with the host it tried.

use std::sync::Arc;
use std::time::Duration;
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody, WasiHttpHooks};

/// The allow-list of one plugin.
pub struct AllowList {
    plugin: Arc<str>,
    hosts: Arc<[String]>,
    /// No wait of a request (connecting, the first byte, between bytes) may outlast a
    /// plugin call.
    longest_wait: Duration,
}

impl AllowList {
    /// The hosts `plugin` may reach, with waits bounded by its `call_timeout`.
    pub fn new(plugin: Arc<str>, hosts: Arc<[String]>, longest_wait: Duration) -> Self {
        AllowList {
            plugin,
            hosts,
            longest_wait,
        }
    }

    /// Whether a request to `authority` (with the scheme's default port when it has none)
    /// is allowed.
    pub fn allows(&self, authority: &str, https: bool) -> bool {
        let with_port = if has_port(authority) {
            authority.to_ascii_lowercase()
        } else {
            format!(
                "{}:{}",
                authority.to_ascii_lowercase(),
                if https { 443 } else { 80 }
            )
        };
        self.hosts
            .iter()
            .any(|h| h.eq_ignore_ascii_case(&with_port))
    }
}

fn has_port(authority: &str) -> bool {
    // `[::1]:80` has a port; `[::1]` does not.
    match authority.rsplit_once(':') {
        Some((host, port)) => !port.is_empty() && !host.ends_with('[') && !port.ends_with(']'),
        None => false,
    }
}

type Sent = Box<
    dyn Future<
            Output = Result<
                (
                    http::Response<WasiBody>,
                    Box<dyn Future<Output = Result<(), Error>> + Send>,
                ),
                Error,
            >,
        > + Send,
>;

impl WasiHttpHooks for AllowList {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        fut: Box<dyn Future<Output = Result<(), Error>> + Send>,
    ) -> Sent {
        _ = fut;
        let https = request.uri().scheme() == Some(&http::uri::Scheme::HTTPS);
        let authority = request
            .uri()
            .authority()
            .map(|a| a.as_str().to_owned())
            .unwrap_or_default();
        if !self.allows(&authority, https) {
            tracing::warn!(plugin = %self.plugin, host = %authority, "plugin tried to reach a host not on its allow_hosts; refused");
            return Box::new(async { Err(Error::HttpRequestDenied) });
        }
        let cap =
            |t: Option<Duration>| Some(t.map_or(self.longest_wait, |t| t.min(self.longest_wait)));
        let options = options.unwrap_or_default();
        let options = Some(RequestOptions {
            connect_timeout: cap(options.connect_timeout),
            first_byte_timeout: cap(options.first_byte_timeout),
            between_bytes_timeout: cap(options.between_bytes_timeout),
        });
        Box::new(async move {
            use http_body_util::BodyExt;
            let (response, io) = wasmtime_wasi_http::default_send_request(request, options).await?;
            Ok((
                response.map(BodyExt::boxed_unsync),
                Box::new(io) as Box<dyn Future<Output = Result<(), Error>> + Send>,
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_listed_host_port_pairs_are_allowed() {
        let list = AllowList::new(
            Arc::from("hook"),
            vec![
                "127.0.0.1:9000".to_string(),
                "hec.example.com:443".to_string(),
            ]
            .into(),
            Duration::from_secs(5),
        );
        assert!(list.allows("127.0.0.1:9000", false));
        assert!(!list.allows("127.0.0.1:9001", false));
        assert!(!list.allows("127.0.0.1", false));
        assert!(list.allows("HEC.example.com", true));
        assert!(!list.allows("hec.example.com", false));
        assert!(!list.allows("evil.example.com:443", true));
    }
}
