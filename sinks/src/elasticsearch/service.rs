//! HTTP to the cluster's nodes. A request goes to the node that answered last; when that
//! node cannot be reached, times out, or answers 502/503/504 (a proxy or a node that is
//! starting or leaving), the next node is tried, then the one after, once each. Every
//! request carries the configured credentials; URLs are logged without them.

use super::config::ElasticsearchConfig;
use super::tls;
use crate::BuildError;
use base64::Engine;
use bytes::Bytes;
use reqwest::header::{AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE, HeaderValue};
use reqwest::{Method, Url};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// The HTTP client and the nodes it talks to.
pub struct Service {
    client: reqwest::Client,
    nodes: Vec<Node>,
    /// The node tried first: the last one that answered.
    preferred: AtomicUsize,
    request_timeout: Duration,
}

struct Node {
    url: Url,
    auth: Option<HeaderValue>,
}

/// A request body.
pub struct Body {
    /// The bytes sent (already compressed when `gzip`).
    pub bytes: Bytes,
    /// `application/json` or `application/x-ndjson`.
    pub content_type: &'static str,
    /// Whether `bytes` is gzip-compressed.
    pub gzip: bool,
}

/// What a node answered.
#[derive(Debug)]
pub struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// The whole body.
    pub body: Bytes,
    /// The node that answered (without credentials), for messages.
    pub node: String,
}

/// No node answered: why, node by node.
#[derive(Debug, Clone)]
pub struct Unreachable(pub String);

impl Service {
    /// The client for a sink's nodes, credentials and TLS options.
    pub fn new(config: &ElasticsearchConfig) -> Result<Self, BuildError> {
        let auth = configured_auth(config)?;
        let nodes = config
            .nodes()
            .into_iter()
            .map(|n| {
                let auth = match (&auth, &n.credentials) {
                    (Some(a), _) => Some(a.clone()),
                    (None, Some((user, password))) => Some(basic(user, password).map_err(|e| {
                        BuildError(format!(
                            "the credentials in `elasticsearch_url` {}: {e}",
                            n.url
                        ))
                    })?),
                    (None, None) => None,
                };
                Ok(Node { url: n.url, auth })
            })
            .collect::<Result<Vec<_>, BuildError>>()?;
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(tls::client_config(config)?)
            .timeout(config.request_timeout)
            .connect_timeout(config.request_timeout.min(Duration::from_secs(5)))
            .pool_idle_timeout(Duration::from_secs(50))
            .user_agent(concat!("pump/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| BuildError(format!("cannot set up the HTTP client: {}", chain(&e))))?;
        Ok(Service {
            client,
            nodes,
            preferred: AtomicUsize::new(0),
            request_timeout: config.request_timeout,
        })
    }

    /// The nodes, for logs.
    pub fn describe_nodes(&self) -> String {
        let urls: Vec<&str> = self.nodes.iter().map(|n| n.url.as_str()).collect();
        urls.join(", ")
    }

    /// Sends a request (`path` relative to the node URL, such as `_bulk`), failing over
    /// from node to node; the answer of the first node that gives one.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Body>,
    ) -> Result<Reply, Unreachable> {
        let n = self.nodes.len();
        let start = self.preferred.load(Ordering::Relaxed) % n.max(1);
        let mut failures = Vec::new();
        for k in 0..n {
            let i = (start + k) % n;
            let node = &self.nodes[i];
            let url = match node.url.join(path) {
                Ok(u) => u,
                Err(e) => {
                    failures.push(format!("{}: bad request path `{path}`: {e}", node.url));
                    continue;
                }
            };
            let mut request = self.client.request(method.clone(), url);
            if let Some(auth) = &node.auth {
                request = request.header(AUTHORIZATION, auth.clone());
            }
            if let Some(body) = body {
                request = request
                    .header(CONTENT_TYPE, body.content_type)
                    .body(body.bytes.clone());
                if body.gzip {
                    request = request.header(CONTENT_ENCODING, "gzip");
                }
            }
            let result = match request.send().await {
                Ok(response) => {
                    let status = response.status().as_u16();
                    response.bytes().await.map(|b| (status, b))
                }
                Err(e) => Err(e),
            };
            match result {
                Ok((status, body)) => {
                    let reply = Reply {
                        status,
                        body,
                        node: node.url.to_string(),
                    };
                    if matches!(status, 502..=504) && k + 1 < n {
                        failures.push(format!("{}: HTTP {status}", node.url));
                        self.preferred.store((i + 1) % n, Ordering::Relaxed);
                        continue;
                    }
                    self.preferred.store(i, Ordering::Relaxed);
                    return Ok(reply);
                }
                Err(e) => {
                    let why = if e.is_timeout() {
                        format!(
                            "no answer within {:?} (`request_timeout`)",
                            self.request_timeout
                        )
                    } else {
                        // The node is named already; the URL would repeat it.
                        chain(&e.without_url())
                    };
                    failures.push(format!("{}: {why}", node.url));
                    self.preferred.store((i + 1) % n, Ordering::Relaxed);
                }
            }
        }
        Err(Unreachable(failures.join("; ")))
    }
}

/// The `Authorization` header the options ask for, if any.
fn configured_auth(config: &ElasticsearchConfig) -> Result<Option<HeaderValue>, BuildError> {
    if let (Some(user), Some(password)) = (&config.auth_basic_username, &config.auth_basic_password)
    {
        return basic(user, password).map(Some).map_err(|e| {
            BuildError(format!(
                "`auth_basic_username` / `auth_basic_password`: {e}"
            ))
        });
    }
    if let Some(key) = &config.auth_api_key {
        let encoded = match &config.auth_api_key_id {
            Some(id) => base64::engine::general_purpose::STANDARD.encode(format!("{id}:{key}")),
            None => key.clone(),
        };
        return sensitive(&format!("ApiKey {encoded}"))
            .map(Some)
            .map_err(|e| BuildError(format!("`auth_api_key`: {e}")));
    }
    Ok(None)
}

fn basic(user: &str, password: &str) -> Result<HeaderValue, String> {
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    sensitive(&format!("Basic {encoded}"))
}

fn sensitive(value: &str) -> Result<HeaderValue, String> {
    let mut v = HeaderValue::from_str(value)
        .map_err(|_| "it contains characters an HTTP header cannot carry".to_string())?;
    v.set_sensitive(true);
    Ok(v)
}

/// An error with its causes, `a: b: c`.
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let s_text = s.to_string();
        if !text.contains(&s_text) {
            text.push_str(": ");
            text.push_str(&s_text);
        }
        source = s.source();
    }
    text
}

/// Test access to the node list.
#[cfg(test)]
impl Service {
    pub fn node_auth(&self) -> Vec<(String, Option<String>)> {
        self.nodes
            .iter()
            .map(|n| {
                (
                    n.url.to_string(),
                    n.auth
                        .as_ref()
                        .and_then(|a| a.to_str().ok().map(str::to_owned)),
                )
            })
            .collect()
    }
}
