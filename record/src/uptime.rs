//! The uptime record: one per host check (TYK-FORMAT.md §4).

use crate::Timestamp;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// An uptime check result as the gateway's host checker writes it.
///
/// String fields are spelled `Cow<'a, str>` so that serde's derive borrows them (see
/// `AnalyticsRecord`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct UptimeRecord<'a> {
    #[serde(borrow, rename(serialize = "_id", deserialize = "ID"))]
    pub id: Cow<'a, str>,
    #[serde(borrow, rename(serialize = "url", deserialize = "URL"))]
    pub url: Cow<'a, str>,
    /// Milliseconds.
    #[serde(rename(serialize = "request_time", deserialize = "RequestTime"))]
    pub request_time: i64,
    #[serde(rename(serialize = "response_code", deserialize = "ResponseCode"))]
    pub response_code: i64,
    #[serde(rename(serialize = "tcp_error", deserialize = "TCPError"))]
    pub tcp_error: bool,
    #[serde(rename(serialize = "server_error", deserialize = "ServerError"))]
    pub server_error: bool,
    #[serde(rename(serialize = "day", deserialize = "Day"))]
    pub day: i64,
    #[serde(rename(serialize = "month", deserialize = "Month"))]
    pub month: i64,
    #[serde(rename(serialize = "year", deserialize = "Year"))]
    pub year: i64,
    #[serde(rename(serialize = "hour", deserialize = "Hour"))]
    pub hour: i64,
    #[serde(rename(serialize = "minute", deserialize = "Minute"))]
    pub minute: i64,
    #[serde(rename(serialize = "timestamp", deserialize = "TimeStamp"))]
    pub timestamp: Timestamp,
    /// Tyk's struct has no JSON tag here, so the JSON key is the Go name.
    #[serde(rename = "ExpireAt")]
    pub expire_at: Timestamp,
    #[serde(borrow, rename(serialize = "api_id", deserialize = "APIID"))]
    pub api_id: Cow<'a, str>,
    #[serde(borrow, rename(serialize = "org_id", deserialize = "OrgID"))]
    pub org_id: Cow<'a, str>,
}
