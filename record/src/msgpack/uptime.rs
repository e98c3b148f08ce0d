//! The uptime record's msgpack layout (TYK-FORMAT.md §4): the Go key of every field of
//! `UptimeRecord`, in Go declaration order (serde's derive also took indexes and arrays).

use super::structs::fields;
use crate::UptimeRecord;

fields!(UptimeRecord<'a>, "struct UptimeRecord" {
    b"ID" => id,
    b"URL" => url,
    b"RequestTime" => request_time,
    b"ResponseCode" => response_code,
    b"TCPError" => tcp_error,
    b"ServerError" => server_error,
    b"Day" => day,
    b"Month" => month,
    b"Year" => year,
    b"Hour" => hour,
    b"Minute" => minute,
    b"TimeStamp" => timestamp,
    b"ExpireAt" => expire_at,
    b"APIID" => api_id,
    b"OrgID" => org_id,
});
