//! Connections to Redis: a single server (with TLS and reconnection) or a Redis Cluster.

use crate::config::SourceConfig;
use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::cluster::ClusterClientBuilder;
use redis::cluster_async::ClusterConnection;
use redis::{Cmd, IntoConnectionInfo, Pipeline, RedisFuture, TlsCertificates, Value};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// One connection to Redis, cheap to clone (clones share the socket).
#[derive(Clone)]
pub enum RedisConn {
    /// A single server, reconnecting with backoff when the server goes away.
    Single(ConnectionManager),
    /// A Redis Cluster; commands are routed by key slot.
    Cluster(ClusterConnection),
}

impl ConnectionLike for RedisConn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            RedisConn::Single(c) => c.req_packed_command(cmd),
            RedisConn::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            RedisConn::Single(c) => c.req_packed_commands(pipeline, offset, count),
            RedisConn::Cluster(c) => c.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            RedisConn::Single(c) => c.get_db(),
            RedisConn::Cluster(c) => c.get_db(),
        }
    }
}

/// Opens connections with the `[source]` settings.
#[derive(Clone)]
pub struct Connector {
    target: Target,
    config: ConnectionManagerConfig,
    /// A printable address without credentials, for messages.
    display: String,
}

#[derive(Clone)]
enum Target {
    Single(Box<redis::Client>),
    Cluster(Box<redis::cluster::ClusterClient>),
}

impl Connector {
    /// Checks the Redis settings and prepares connections (nothing is opened yet).
    pub fn new(config: &SourceConfig) -> Result<Self, redis::RedisError> {
        let certs = tls_certificates(config)?;
        let url = |u: &str| {
            if config.tls_insecure_skip_verify && !u.contains('#') {
                format!("{u}#insecure")
            } else {
                u.to_string()
            }
        };
        let with_credentials = |u: &str| -> Result<redis::ConnectionInfo, redis::RedisError> {
            let info = url(u).into_connection_info()?;
            let mut redis = info.redis_settings().clone();
            if let Some(user) = &config.username {
                redis = redis.set_username(user);
            }
            if let Some(pass) = &config.password {
                redis = redis.set_password(pass);
            }
            Ok(info.set_redis_settings(redis))
        };
        let target = if config.cluster {
            let mut nodes = vec![with_credentials(&config.redis_url)?];
            for u in &config.cluster_urls {
                nodes.push(with_credentials(u)?);
            }
            let mut b = ClusterClientBuilder::new(nodes)
                .connection_timeout(config.connect_timeout)
                .response_timeout(config.response_timeout);
            if let Some(user) = &config.username {
                b = b.username(user);
            }
            if let Some(pass) = &config.password {
                b = b.password(pass);
            }
            if let Some(certs) = certs {
                b = b.certs(certs);
            }
            Target::Cluster(Box::new(b.build()?))
        } else {
            let info = with_credentials(&config.redis_url)?;
            Target::Single(Box::new(match certs {
                Some(certs) => redis::Client::build_with_tls(info, certs)?,
                None => redis::Client::open(info)?,
            }))
        };
        let cm = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(config.connect_timeout))
            .set_response_timeout(Some(config.response_timeout))
            .set_min_delay(Duration::from_millis(100))
            .set_max_delay(Duration::from_secs(5))
            .set_number_of_retries(6);
        Ok(Connector {
            target,
            config: cm,
            display: redact(&config.redis_url),
        })
    }

    /// The Redis address without credentials.
    pub fn display(&self) -> &str {
        &self.display
    }

    /// Opens a new connection of its own (a sink reading large entries should not share
    /// its socket with the others).
    pub async fn connect(&self) -> Result<RedisConn, redis::RedisError> {
        match &self.target {
            Target::Single(client) => Ok(RedisConn::Single(
                ConnectionManager::new_with_config((**client).clone(), self.config.clone()).await?,
            )),
            Target::Cluster(client) => Ok(RedisConn::Cluster(client.get_async_connection().await?)),
        }
    }

    /// Opens a connection, retrying with backoff until Redis answers or `shutdown` fires.
    pub async fn connect_with_retry(&self, shutdown: &CancellationToken) -> Option<RedisConn> {
        let mut delay = Duration::from_millis(200);
        loop {
            match self.connect().await {
                Ok(c) => return Some(c),
                Err(e) => {
                    tracing::warn!(redis = %self.display, error = %e, retry_in = ?delay, "cannot connect to Redis");
                }
            }
            if crate::shutdown::sleep(shutdown, delay).await {
                return None;
            }
            delay = (delay * 2).min(Duration::from_secs(10));
        }
    }
}

fn tls_certificates(config: &SourceConfig) -> Result<Option<TlsCertificates>, redis::RedisError> {
    let read = |p: &std::path::Path| {
        std::fs::read(p).map_err(|e| {
            redis::RedisError::from((
                redis::ErrorKind::InvalidClientConfig,
                "cannot read a TLS file",
                format!("{}: {e}", p.display()),
            ))
        })
    };
    let root_cert = config.tls_ca_file.as_deref().map(read).transpose()?;
    let client_tls = match (&config.tls_cert_file, &config.tls_key_file) {
        (Some(c), Some(k)) => Some(redis::ClientTlsConfig {
            client_cert: read(c)?,
            client_key: read(k)?,
        }),
        (None, None) => None,
        _ => {
            return Err(redis::RedisError::from((
                redis::ErrorKind::InvalidClientConfig,
                "source.tls_cert_file and source.tls_key_file must be set together",
            )));
        }
    };
    Ok(
        (root_cert.is_some() || client_tls.is_some()).then_some(TlsCertificates {
            client_tls,
            root_cert,
        }),
    )
}

/// Hides the password of a Redis URL.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://***@{}", &url[..s], &url[at + 1..]),
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn redacts_credentials() {
        assert_eq!(super::redact("redis://u:p@h:1/0"), "redis://***@h:1/0");
        assert_eq!(super::redact("redis://h:1"), "redis://h:1");
    }
}
