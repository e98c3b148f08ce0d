//! The pump's own state in Redis, as the tests inspect it: the stream of a gateway list,
//! what a consumer group has pending, and the batch lists left behind. Key names follow
//! `pump::source::Keys` with the state prefix [`crate::source_toml`] sets (`<prefix>pump`).

/// The stream that holds the claimed batches of a gateway list.
pub fn stream_key(prefix: &str, list: &str) -> String {
    format!("{prefix}pump:{{{list}}}:stream")
}

/// A sink's dead-letter stream.
pub fn dead_letters_key(prefix: &str, sink: &str) -> String {
    format!("{prefix}pump:{{sink:{sink}}}:dead")
}

/// Entries a sink's consumer group has read and not acknowledged on a list's stream
/// (panics if the group does not exist there: a check of nothing must not pass).
pub fn pending(conn: &mut impl redis::ConnectionLike, prefix: &str, list: &str, sink: &str) -> u64 {
    let (count, ..): (u64, Option<String>, Option<String>, redis::Value) = redis::cmd("XPENDING")
        .arg(stream_key(prefix, list))
        .arg(sink)
        .query(conn)
        .expect("XPENDING (does the sink's group exist on this stream?)");
    count
}

/// Records claimed from a gateway list and not yet trimmed (the backlog counter the
/// claim checks against `max_backlog_records`).
pub fn backlog_records(conn: &mut impl redis::ConnectionLike, prefix: &str, list: &str) -> i64 {
    let records: Option<i64> = redis::cmd("HGET")
        .arg(format!("{prefix}pump:{{{list}}}:backlog"))
        .arg("records")
        .query(conn)
        .expect("HGET");
    records.unwrap_or(0)
}

/// Records waiting in the gateway's lists.
pub fn waiting(conn: &mut impl redis::ConnectionLike, lists: &[&str]) -> u64 {
    lists
        .iter()
        .map(|l| redis::cmd("LLEN").arg(*l).query::<u64>(conn).expect("LLEN"))
        .sum()
}

/// The state a list leaves once everything is delivered and trimmed: (stream entries,
/// backlog records counter, batch lists still present). All zero when nothing leaked.
pub fn leftovers(conn: &mut redis::Connection, prefix: &str, list: &str) -> (u64, i64, usize) {
    let stream = stream_key(prefix, list);
    let entries: u64 = redis::cmd("XLEN").arg(&stream).query(conn).expect("XLEN");
    let records = backlog_records(conn, prefix, list);
    let batches =
        redis::Commands::scan_match::<_, String>(conn, format!("{prefix}pump:{{{list}}}:batch:*"))
            .expect("SCAN")
            .count();
    (entries, records, batches)
}
