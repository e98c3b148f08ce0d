//! Which servers this sink writes to, and how it tells: the `version` object `GET /` answers,
//! or the `version` option when the credentials may not read `GET /`.

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Whose server it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Distribution {
    /// Elastic's Elasticsearch.
    Elasticsearch,
    /// OpenSearch (the fork of Elasticsearch 7.10).
    OpenSearch,
}

/// A server's distribution and version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerVersion {
    /// Elasticsearch or OpenSearch.
    pub distribution: Distribution,
    /// Major version.
    pub major: u32,
    /// Minor version (0 when unknown).
    pub minor: u32,
}

/// What the sink supports, for messages.
pub const SUPPORTED: &str = "Elasticsearch 7 and 8, OpenSearch 1, 2 and 3";

impl ServerVersion {
    /// Whether this sink can write to it.
    pub fn is_supported(&self) -> bool {
        match self.distribution {
            Distribution::Elasticsearch => (7..=8).contains(&self.major),
            Distribution::OpenSearch => (1..=3).contains(&self.major),
        }
    }

    /// Whether it has composable index templates (`_index_template`): OpenSearch and
    /// Elasticsearch from 7.8; older ones have only legacy templates (`_template`).
    pub fn composable_templates(&self) -> bool {
        match self.distribution {
            Distribution::OpenSearch => true,
            Distribution::Elasticsearch => (self.major, self.minor) >= (7, 8),
        }
    }

    /// Reads the body of `GET /`.
    pub fn from_root(body: &[u8]) -> Result<Self, String> {
        #[derive(Deserialize)]
        struct Root {
            version: Option<Version>,
        }
        #[derive(Deserialize)]
        struct Version {
            number: Option<String>,
            distribution: Option<String>,
        }
        let root: Root = serde_json::from_slice(body).map_err(|e| {
            format!(
                "`GET /` did not answer with Elasticsearch's JSON ({e}): `{}`",
                excerpt(body)
            )
        })?;
        let Some(Version {
            number: Some(number),
            distribution,
        }) = root.version
        else {
            return Err(format!(
                "`GET /` answered without `version.number`: `{}`",
                excerpt(body)
            ));
        };
        let distribution = match distribution.as_deref() {
            Some(d) if d.eq_ignore_ascii_case("opensearch") => Distribution::OpenSearch,
            _ => Distribution::Elasticsearch,
        };
        let (major, minor) = parse_number(&number)
            .ok_or_else(|| format!("`GET /` answered an unreadable version `{number}`"))?;
        Ok(ServerVersion {
            distribution,
            major,
            minor,
        })
    }

    /// Reads the `version` option: `"8"`, `"7.17"`, `"elasticsearch-8"`, `"opensearch-2"`,
    /// `"opensearch 2.11"` (a bare number is Elasticsearch, as in Tyk).
    pub fn parse_option(text: &str) -> Result<Self, String> {
        let t = text.trim().to_ascii_lowercase();
        let (distribution, number) = if let Some(rest) = t.strip_prefix("opensearch") {
            (Distribution::OpenSearch, rest)
        } else if let Some(rest) = t.strip_prefix("elasticsearch") {
            (Distribution::Elasticsearch, rest)
        } else {
            (Distribution::Elasticsearch, t.as_str())
        };
        let number = number.trim_start_matches([' ', '-', ':', '/', '_']);
        let (major, minor) = parse_number(number).ok_or_else(|| {
            format!(
                "`{text}` is not a version; write the major version of the server, such as \
                 \"8\" or \"7.17\" for Elasticsearch, or \"opensearch-2\" for OpenSearch"
            )
        })?;
        Ok(ServerVersion {
            distribution,
            major,
            minor,
        })
    }
}

/// `"8.13.4"`, `"7.10.2-SNAPSHOT"`, `"2"` → (major, minor).
fn parse_number(number: &str) -> Option<(u32, u32)> {
    let mut parts = number.split(['.', '-']);
    let major = parts.next()?.parse().ok()?;
    let minor = match parts.next() {
        Some(m) => m.parse().ok()?,
        None => 0,
    };
    Some((major, minor))
}

/// The start of a body, for messages.
pub fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(300)]);
    text.replace(['\n', '\r'], " ")
}

impl fmt::Display for ServerVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self.distribution {
            Distribution::Elasticsearch => "Elasticsearch",
            Distribution::OpenSearch => "OpenSearch",
        };
        write!(f, "{name} {}.{}", self.major, self.minor)
    }
}

impl Serialize for ServerVersion {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The `version` option: a string (or a bare major version number), checked against what
/// the sink supports so that `pump validate` reports it.
impl<'de> Deserialize<'de> for ServerVersion {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = ServerVersion;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a server version such as \"8\", \"7.17\" or \"opensearch-2\"")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ServerVersion, E> {
                self.visit_str(&v.to_string())
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ServerVersion, E> {
                self.visit_str(&v.to_string())
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<ServerVersion, E> {
                self.visit_str(&v.to_string())
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ServerVersion, E> {
                let version = ServerVersion::parse_option(v).map_err(E::custom)?;
                if !version.is_supported() {
                    return Err(E::custom(format!(
                        "{version} is not supported; this sink writes to {SUPPORTED}"
                    )));
                }
                Ok(version)
            }
        }
        d.deserialize_any(V)
    }
}
