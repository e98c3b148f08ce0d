//! A filter that passes only server errors: records with a status from 500 to 599 go to
//! every sink the filter routes for; all others to none.

use pump_sdk::{Filter, RecordRef, Route, Sinks};
use serde::Deserialize;

/// The filter takes no options.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {}

/// Passes 5xx records.
pub struct ErrorsOnly {
    all: Route,
}

impl Filter for ErrorsOnly {
    type Config = Config;

    fn new(_config: Config, sinks: &Sinks) -> Result<Self, String> {
        Ok(ErrorsOnly {
            all: Route::all(sinks),
        })
    }

    fn route(&self, record: RecordRef<'_>) -> Route {
        match record.response_code() {
            Ok(500..=599) => self.all,
            Ok(_) => Route::NONE,
            // Let the sinks see it: their decoder dead-letters it with the reason.
            Err(_) => self.all,
        }
    }
}

pump_sdk::export_filter!(ErrorsOnly);

#[cfg(test)]
mod tests {
    use super::*;
    use pump_sdk::{AnalyticsRecord, Batch};

    #[test]
    fn passes_only_server_errors() {
        let sinks = Sinks::new(vec!["alerts".into()]);
        let filter = ErrorsOnly::new(Config {}, &sinks).unwrap();
        let records: Vec<_> = [200, 499, 500, 503, 599, 600]
            .into_iter()
            .map(|code| AnalyticsRecord {
                response_code: code,
                ..Default::default()
            })
            .collect();
        let batch = Batch::from_analytics(&records);
        let routes: Vec<_> = batch.iter().map(|r| filter.route(r).bits()).collect();
        assert_eq!(routes, [0, 0, 1, 1, 1, 0]);
    }
}
