//! Sink types by their `type` name in the config, and their type-specific options.

use crate::{Accepts, BuildError, Sink, blackhole, elasticsearch, file, mongo, stdout};
use serde::Deserialize;
use serde::de::Deserializer;

/// The type-specific options of one configured sink.
#[derive(Debug, Clone)]
pub enum SinkSettings {
    /// `type = "file"`.
    File(file::FileConfig),
    /// `type = "stdout"`.
    Stdout(stdout::StdoutConfig),
    /// `type = "blackhole"`.
    Blackhole(blackhole::BlackholeConfig),
    /// `type = "mongo"`.
    Mongo(mongo::MongoConfig),
    /// `type = "mongo-aggregate"`.
    MongoAggregate(mongo::MongoAggregateConfig),
    /// `type = "mongo-selective"`.
    MongoSelective(mongo::MongoSelectiveConfig),
    /// `type = "elasticsearch"`.
    Elasticsearch(elasticsearch::ElasticsearchConfig),
}

/// A `type` this build of the pump does not know.
#[derive(Debug, Clone, thiserror::Error)]
#[error("unknown sink type `{0}`; the built-in types are: {types}", types = SinkSettings::TYPES.join(", "))]
pub struct UnknownSinkType(pub String);

impl SinkSettings {
    /// Every built-in sink type name.
    pub const TYPES: &'static [&'static str] = &[
        "file",
        "stdout",
        "blackhole",
        "mongo",
        "mongo-aggregate",
        "mongo-selective",
        "elasticsearch",
    ];

    /// Reads the type-specific options of a sink of type `kind`; `Ok(None)` for an unknown type.
    pub fn parse<'de, D: Deserializer<'de>>(
        kind: &str,
        options: D,
    ) -> Result<Option<Self>, D::Error> {
        Ok(Some(match kind {
            "file" => SinkSettings::File(file::FileConfig::deserialize(options)?),
            "stdout" => SinkSettings::Stdout(stdout::StdoutConfig::deserialize(options)?),
            "blackhole" => {
                SinkSettings::Blackhole(blackhole::BlackholeConfig::deserialize(options)?)
            }
            "mongo" => SinkSettings::Mongo(mongo::MongoConfig::deserialize(options)?),
            "mongo-aggregate" => {
                SinkSettings::MongoAggregate(mongo::MongoAggregateConfig::deserialize(options)?)
            }
            "mongo-selective" => {
                SinkSettings::MongoSelective(mongo::MongoSelectiveConfig::deserialize(options)?)
            }
            "elasticsearch" => SinkSettings::Elasticsearch(
                elasticsearch::ElasticsearchConfig::deserialize(options)?,
            ),
            _ => return Ok(None),
        }))
    }

    /// Which record kinds this sink type can take at all.
    pub fn can_accept(&self) -> Accepts {
        match self {
            // Counters, per-organisation collections and Tyk's Elasticsearch documents are
            // about requests only.
            SinkSettings::MongoAggregate(_)
            | SinkSettings::MongoSelective(_)
            | SinkSettings::Elasticsearch(_) => Accepts {
                analytics: true,
                uptime: false,
            },
            _ => Accepts {
                analytics: true,
                uptime: true,
            },
        }
    }

    /// Opens the sink.
    pub async fn build(&self) -> Result<Box<dyn Sink>, BuildError> {
        Ok(match self {
            SinkSettings::File(c) => Box::new(file::FileSink::open(c).await?),
            SinkSettings::Stdout(c) => Box::new(stdout::StdoutSink::new(c)),
            SinkSettings::Blackhole(c) => Box::new(blackhole::BlackholeSink::new(c)),
            SinkSettings::Mongo(c) => Box::new(mongo::MongoSink::open(c).await?),
            SinkSettings::MongoAggregate(c) => Box::new(mongo::MongoAggregateSink::open(c).await?),
            SinkSettings::MongoSelective(c) => Box::new(mongo::MongoSelectiveSink::open(c).await?),
            SinkSettings::Elasticsearch(c) => {
                Box::new(elasticsearch::ElasticsearchSink::connect(c).await?)
            }
        })
    }
}
