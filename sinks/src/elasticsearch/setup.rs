//! What the sink does before it writes: learn which server it talks to (`GET /`, or the
//! `version` option) and refuse one it does not support, then install the index template
//! unless `disable_template` is set.
//!
//! The template maps Tyk's fields explicitly. Strings are `text` with a `.keyword`
//! sub-field, as Elasticsearch's dynamic mapping makes them for Tyk Pump's documents, so
//! existing queries and dashboards (`api_name.keyword`) keep working; numbers are `long`,
//! `@timestamp` is a `date`, and `date_detection` is off so that a string which looks like
//! a date cannot fix a field's type for the rest of the day. An existing template of the
//! same name is left as it is (an operator's changes survive restarts).

use super::config::ElasticsearchConfig;
use super::retry::error_text;
use super::service::{Body, Reply, Service};
use super::version::{SUPPORTED, ServerVersion};
use reqwest::Method;
use serde_json::{Value, json};

/// Why the sink cannot write yet.
#[derive(Debug, Clone)]
pub enum SetupError {
    /// No node could be reached, or the cluster is not ready (5xx): try again later.
    Unavailable(String),
    /// The server answered and the answer will not change by waiting: wrong credentials,
    /// an unsupported server, a template the server refuses.
    Refused(String),
}

impl std::fmt::Display for SetupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SetupError::Unavailable(m) | SetupError::Refused(m) => f.write_str(m),
        }
    }
}

/// Reads the server's version and installs the template; the version on success.
pub async fn run(
    service: &Service,
    config: &ElasticsearchConfig,
) -> Result<ServerVersion, SetupError> {
    let version = match config.version {
        Some(v) => v,
        None => detect_version(service).await?,
    };
    if !config.disable_template {
        install_template(service, config, version).await?;
    }
    Ok(version)
}

async fn detect_version(service: &Service) -> Result<ServerVersion, SetupError> {
    let reply = call(
        service,
        Method::GET,
        "",
        None,
        "reading the server's version",
    )
    .await?;
    match reply.status {
        200 => {}
        401 => {
            return Err(SetupError::Refused(format!(
                "{} refused the credentials (HTTP 401: {}); check `auth_basic_username`/`auth_basic_password` or `auth_api_key`",
                reply.node,
                error_text(&reply.body)
            )));
        }
        403 => {
            return Err(SetupError::Refused(format!(
                "{} does not let these credentials read `GET /` (HTTP 403: {}); grant the `monitor` cluster privilege, or set `version` (such as \"8\" or \"opensearch-2\") to skip this check",
                reply.node,
                error_text(&reply.body)
            )));
        }
        status => return Err(unexpected(&reply, status, "`GET /`")),
    }
    let version = ServerVersion::from_root(&reply.body)
        .map_err(|e| SetupError::Refused(format!("{}: {e}", reply.node)))?;
    check_supported(version, &reply.node)?;
    Ok(version)
}

/// Refuses a server this sink does not support, naming the node and what to do.
pub fn check_supported(version: ServerVersion, node: &str) -> Result<(), SetupError> {
    if version.is_supported() {
        return Ok(());
    }
    Err(SetupError::Refused(format!(
        "`elasticsearch_url` {node} is {version}, which this sink does not support (it writes to {SUPPORTED}); \
         point it at a supported server, or set `version` to the nearest supported one if you know the server is compatible"
    )))
}

async fn install_template(
    service: &Service,
    config: &ElasticsearchConfig,
    version: ServerVersion,
) -> Result<(), SetupError> {
    let name = config.template_name();
    let (path, body) = template(config, version);
    let exists = call(
        service,
        Method::GET,
        &path,
        None,
        "looking for the index template",
    )
    .await?;
    match exists.status {
        200 => return Ok(()),
        404 => {}
        status => return Err(template_failure(&exists, status, name)),
    }
    let body = Body {
        bytes: body.to_string().into_bytes().into(),
        content_type: "application/json",
        gzip: false,
    };
    let put = call(
        service,
        Method::PUT,
        &path,
        Some(&body),
        "installing the index template",
    )
    .await?;
    match put.status {
        200..=299 => {
            tracing::info!(template = name, node = %put.node, "index template installed");
            Ok(())
        }
        status => Err(template_failure(&put, status, name)),
    }
}

/// The template's request path and body for a server version.
pub fn template(config: &ElasticsearchConfig, version: ServerVersion) -> (String, Value) {
    let name = config.template_name();
    let patterns = json!([config.index_name, format!("{}-*", config.index_name)]);
    if version.composable_templates() {
        let body = json!({
            "index_patterns": patterns,
            "priority": 200,
            "template": { "mappings": mappings() },
        });
        (format!("_index_template/{name}"), body)
    } else {
        let body = json!({
            "index_patterns": patterns,
            "order": 200,
            "mappings": mappings(),
        });
        (format!("_template/{name}"), body)
    }
}

/// The explicit mapping of Tyk's document fields.
pub fn mappings() -> Value {
    let text = json!({
        "type": "text",
        "fields": { "keyword": { "type": "keyword", "ignore_above": 256 } }
    });
    let long = json!({ "type": "long" });
    let mut properties = serde_json::Map::new();
    properties.insert("@timestamp".into(), json!({ "type": "date" }));
    for field in [
        "http_method",
        "request_uri",
        "request_uri_full",
        "ip_address",
        "api_key",
        "api_version",
        "api_name",
        "api_id",
        "org_id",
        "oauth_id",
        "alias",
        "tags",
        "user_agent",
        "mcp_method",
        "mcp_primitive_type",
        "mcp_primitive_name",
    ] {
        properties.insert(field.into(), text.clone());
    }
    for field in ["response_code", "request_time_ms", "content_length"] {
        properties.insert(field.into(), long.clone());
    }
    // Raw messages are searchable text, never keywords (they are large).
    for field in ["raw_request", "raw_response"] {
        properties.insert(field.into(), json!({ "type": "text" }));
    }
    json!({ "date_detection": false, "properties": properties })
}

async fn call(
    service: &Service,
    method: Method,
    path: &str,
    body: Option<&Body>,
    doing: &str,
) -> Result<Reply, SetupError> {
    service.send(method, path, body).await.map_err(|e| {
        SetupError::Unavailable(format!(
            "no Elasticsearch node answered while {doing} ({}): {}",
            service.describe_nodes(),
            e.0
        ))
    })
}

fn template_failure(reply: &Reply, status: u16, name: &str) -> SetupError {
    let why = format!(
        "cannot install the index template `{name}`: {} answered HTTP {status}: {}",
        reply.node,
        error_text(&reply.body)
    );
    match status {
        401 | 403 => SetupError::Refused(format!(
            "{why}; grant the `manage_index_templates` cluster privilege, or set `disable_template = true`"
        )),
        408 | 429 | 500..=599 => SetupError::Unavailable(why),
        _ => SetupError::Refused(format!(
            "{why}; set `template_name` to another name, or `disable_template = true`"
        )),
    }
}

fn unexpected(reply: &Reply, status: u16, what: &str) -> SetupError {
    let why = format!(
        "{} answered HTTP {status} to {what}: {}",
        reply.node,
        error_text(&reply.body)
    );
    match status {
        408 | 429 | 500..=599 => SetupError::Unavailable(why),
        _ => SetupError::Refused(format!(
            "{why}; is `elasticsearch_url` an Elasticsearch or OpenSearch node?"
        )),
    }
}
