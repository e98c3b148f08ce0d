//! What an answer means for each record. A bulk request's items are read one by one, in
//! order: written (2xx, or 409 on `create`: the document is there already), retriable
//! (429, 5xx, and the errors an operator can clear: 401/403/404), or rejected (other 4xx:
//! this document can never be stored as it is). A record is reported written only when its
//! own item says so; an answer that cannot be read item by item retries the whole request.

use super::service::Reply;
use super::version::excerpt;
use crate::Outcome;
use serde::Deserialize;

/// What became of one bulk request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BulkAnswer {
    /// One outcome per document, in order.
    Items(Vec<Outcome>),
    /// 413: the body is larger than the server takes (`http.max_content_length`).
    TooLarge(String),
    /// The whole request failed and may succeed later.
    Failed(String),
}

/// Reads the answer to a bulk request of `expected` documents.
pub fn read_bulk_reply(reply: &Reply, expected: usize) -> BulkAnswer {
    match reply.status {
        200..=299 => match item_outcomes(&reply.body, expected) {
            Ok(items) => BulkAnswer::Items(items),
            Err(why) => BulkAnswer::Failed(format!("{}: {why}", reply.node)),
        },
        413 => BulkAnswer::TooLarge(format!(
            "{} answered 413 (request too large): {}",
            reply.node,
            error_text(&reply.body)
        )),
        status => BulkAnswer::Failed(request_failure(reply, status)),
    }
}

/// Why a whole request failed, with a hint when the fix is the operator's.
pub fn request_failure(reply: &Reply, status: u16) -> String {
    let hint = match status {
        401 => {
            "; check the credentials (`auth_basic_username`/`auth_basic_password` or `auth_api_key`)"
        }
        403 => "; the credentials lack a privilege this sink needs (writing to the index)",
        _ => "",
    };
    format!(
        "{} answered HTTP {status}: {}{hint}",
        reply.node,
        error_text(&reply.body)
    )
}

#[derive(Deserialize)]
struct BulkReply {
    items: Option<Vec<Item>>,
}

/// The sink sends only `create` actions: an answer item of another kind does not match the
/// request and is never taken as written.
#[derive(Deserialize)]
struct Item {
    create: Option<ItemResult>,
}

#[derive(Deserialize)]
struct ItemResult {
    status: Option<u16>,
    error: Option<serde_json::Value>,
}

/// The outcome of every item of a successful bulk answer; an error when the answer does
/// not account for exactly `expected` items.
pub fn item_outcomes(body: &[u8], expected: usize) -> Result<Vec<Outcome>, String> {
    let reply: BulkReply = serde_json::from_slice(body)
        .map_err(|e| format!("unreadable bulk answer ({e}): `{}`", excerpt(body)))?;
    let items = reply
        .items
        .ok_or_else(|| format!("bulk answer without `items`: `{}`", excerpt(body)))?;
    if items.len() != expected {
        return Err(format!(
            "the bulk answer has {} items for {expected} documents",
            items.len()
        ));
    }
    Ok(items
        .into_iter()
        .map(|item| match item.create {
            Some(ItemResult {
                status: Some(status),
                error,
            }) => item_outcome(status, error.as_ref()),
            _ => Outcome::Retry("a bulk answer item without a status".to_string()),
        })
        .collect())
}

/// The outcome of one item of a bulk answer.
pub fn item_outcome(status: u16, error: Option<&serde_json::Value>) -> Outcome {
    let describe = || match error {
        Some(e) => format!("status {status}: {}", describe_error(e)),
        None => format!("status {status}"),
    };
    match status {
        200..=299 => Outcome::Written,
        // `create` of an `_id` that exists: this record was stored by an earlier delivery.
        409 => Outcome::Written,
        408 | 429 | 500..=599 => Outcome::Retry(describe()),
        // Credentials, index blocks (disk full: `cluster_block_exception`), an index that
        // may not be created automatically: the operator can fix these without the record
        // changing, so it waits (or reaches `max_retries`).
        401 | 403 | 404 => Outcome::Retry(describe()),
        // A 400 rejects the document only when the error is about the document; others
        // (a closed index, a cluster out of shards for tomorrow's daily index, an alias
        // without a write index) clear when the operator acts.
        400 if !is_document_error(error) => Outcome::Retry(describe()),
        _ => Outcome::Rejected(format!(
            "elasticsearch rejected the document: {}",
            describe()
        )),
    }
}

/// Whether an item error says the document itself cannot be indexed (its fields do not
/// fit the mapping), as opposed to the state of the index or cluster.
fn is_document_error(error: Option<&serde_json::Value>) -> bool {
    const DOCUMENT_ERRORS: &[&str] = &[
        "mapper_parsing_exception",
        "document_parsing_exception",
        "strict_dynamic_mapping_exception",
        "illegal_argument_exception",
        "mapper_exception",
        "parse_exception",
    ];
    let kind = error.and_then(|e| e.get("type")).and_then(|t| t.as_str());
    match kind {
        Some("illegal_argument_exception") => {
            // "no write index is defined for alias [..]" is about the index, not the record.
            let reason = error
                .and_then(|e| e.get("reason"))
                .and_then(|r| r.as_str())
                .unwrap_or("");
            !reason.contains("write index")
        }
        Some(kind) => DOCUMENT_ERRORS.contains(&kind),
        // No error object: nothing says the index is at fault; the document is rejected.
        None => true,
    }
}

/// `type: reason (caused by type: reason)` of an Elasticsearch error object.
pub fn describe_error(error: &serde_json::Value) -> String {
    let Some(obj) = error.as_object() else {
        return clip(&error.to_string());
    };
    let kind = obj.get("type").and_then(|v| v.as_str()).unwrap_or("error");
    let reason = obj.get("reason").and_then(|v| v.as_str()).unwrap_or("");
    let mut text = format!("{kind}: {reason}");
    if let Some(cause) = obj.get("caused_by") {
        text.push_str(&format!(" (caused by {})", describe_error(cause)));
    }
    clip(&text)
}

/// The error of a non-2xx answer: Elasticsearch's `error` object, or the start of the body.
pub fn error_text(body: &[u8]) -> String {
    #[derive(Deserialize)]
    struct ErrorReply {
        error: serde_json::Value,
    }
    match serde_json::from_slice::<ErrorReply>(body) {
        Ok(e) => describe_error(&e.error),
        Err(_) if body.is_empty() => "(empty body)".to_string(),
        Err(_) => excerpt(body),
    }
}

fn clip(s: &str) -> String {
    const MAX: usize = 1000;
    if s.len() <= MAX {
        return s.to_string();
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}
