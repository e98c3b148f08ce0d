//! A filter that shards by organisation: each org's records go to the sink named for it in
//! the `orgs` table of the config, everything else to the `default` sink (or nowhere when
//! there is no default).

use pump_sdk::{Filter, RecordRef, Route, Sinks};
use serde::Deserialize;
use std::collections::HashMap;

/// The filter's `config` table.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The sink for orgs not in `orgs`.
    #[serde(default)]
    pub default: Option<String>,
    /// Org id to sink name.
    #[serde(default)]
    pub orgs: HashMap<String, String>,
}

/// Routes by `OrgID`.
pub struct ShardByOrg {
    orgs: HashMap<String, Route>,
    default: Route,
}

impl Filter for ShardByOrg {
    type Config = Config;

    fn new(config: Config, sinks: &Sinks) -> Result<Self, String> {
        let default = match &config.default {
            Some(name) => sinks.require(name).map_err(|e| format!("default: {e}"))?,
            None => Route::NONE,
        };
        let orgs = config
            .orgs
            .into_iter()
            .map(|(org, sink)| {
                let route = sinks
                    .require(&sink)
                    .map_err(|e| format!("orgs.\"{org}\": {e}"))?;
                Ok((org, route))
            })
            .collect::<Result<_, String>>()?;
        Ok(ShardByOrg { orgs, default })
    }

    fn route(&self, record: RecordRef<'_>) -> Route {
        // A record whose OrgID cannot be read goes to the default sink, which then
        // dead-letters it with the decoder's reason.
        match record.org_id() {
            Ok(org) => self.orgs.get(org.as_ref()).copied().unwrap_or(self.default),
            Err(_) => self.default,
        }
    }
}

pump_sdk::export_filter!(ShardByOrg);

#[cfg(test)]
mod tests {
    use super::*;
    use pump_sdk::{AnalyticsRecord, Batch};

    fn record(org: &str) -> AnalyticsRecord<'_> {
        AnalyticsRecord {
            org_id: org.into(),
            ..Default::default()
        }
    }

    #[test]
    fn routes_each_org_to_its_sink_and_the_rest_to_the_default() {
        let sinks = Sinks::new(vec!["eu".into(), "us".into(), "rest".into()]);
        let config: Config =
            serde_json::from_str(r#"{"default":"rest","orgs":{"org-eu":"eu","org-us":"us"}}"#)
                .unwrap();
        let filter = ShardByOrg::new(config, &sinks).unwrap();
        let batch = Batch::from_analytics(&[record("org-eu"), record("org-us"), record("org-x")]);
        let routes: Vec<_> = batch.iter().map(|r| filter.route(r).bits()).collect();
        assert_eq!(routes, [0b001, 0b010, 0b100]);
    }

    #[test]
    fn a_sink_it_does_not_route_for_is_a_config_error() {
        let sinks = Sinks::new(vec!["eu".into()]);
        let config: Config = serde_json::from_str(r#"{"orgs":{"o":"asia"}}"#).unwrap();
        let err = ShardByOrg::new(config, &sinks).err().unwrap();
        assert!(err.contains("orgs.\"o\"") && err.contains("asia"), "{err}");
    }
}
