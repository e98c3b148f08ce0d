//! The plugin's own config: the `config` table of its sink or filter, handed over as JSON.

use serde::de::DeserializeOwned;

/// Reads the JSON the pump hands to `configure` into the plugin's config type; the error
/// names the key that is wrong, as serde reports it.
pub(crate) fn parse<T: DeserializeOwned>(json: &str) -> Result<T, String> {
    // An absent table arrives as `{}`, which a config struct with no fields reads.
    serde_json::from_str(json).map_err(|e| format!("invalid plugin config: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Config {
        #[allow(dead_code)]
        url: String,
    }

    #[test]
    fn reports_what_is_wrong_with_the_config() {
        assert!(parse::<Config>(r#"{"url":"http://x"}"#).is_ok());
        let err = parse::<Config>(r#"{"uri":"http://x"}"#).unwrap_err();
        assert!(err.contains("unknown field `uri`"), "{err}");
    }
}
