//! What a MongoDB error means for the records it concerns: written (a duplicate key on
//! re-delivery), worth retrying (network, elections, timeouts, a busy server) or never
//! storable (validation, too large).

use crate::Outcome;
use mongodb::error::{Error, ErrorKind, WriteFailure};

/// Duplicate key: the document is already there.
pub const DUPLICATE_KEY: i32 = 11000;

/// Server codes worth retrying: elections and shutdowns, network trouble reported by a
/// mongos, timeouts, write conflicts, and "busy" answers.
const RETRIABLE_CODES: &[i32] = &[
    6,     // HostUnreachable
    7,     // HostNotFound
    24,    // LockTimeout
    46,    // LockBusy
    50,    // MaxTimeMSExpired
    89,    // NetworkTimeout
    91,    // ShutdownInProgress
    112,   // WriteConflict
    133,   // FailedToSatisfyReadPreference
    189,   // PrimarySteppedDown
    202,   // NetworkInterfaceExceededTimeLimit
    262,   // ExceededTimeLimit
    9001,  // SocketException
    10107, // NotWritablePrimary
    11600, // InterruptedAtShutdown
    11602, // InterruptedDueToReplStateChange
    13435, // NotPrimaryNoSecondaryOk
    13436, // NotPrimaryOrSecondary
    16500, // RequestRateTooLarge (Cosmos DB)
    64,    // WriteConcernFailed (wtimeout)
    462,   // IngressRequestRateLimitExceeded
];

/// Codes that mean the document itself cannot be stored.
const PERMANENT_CODES: &[i32] = &[
    2,     // BadValue
    10334, // BSONObjectTooLarge
    17419, // document too large after update
    17280, // key too large to index
    121,   // DocumentValidationFailure
    52,    // DollarPrefixedFieldName
    56,    // EmptyFieldName
    57,    // DottedFieldName
    9,     // FailedToParse
    14,    // TypeMismatch
    73,    // InvalidNamespace (an organisation id that cannot name a collection)
];

/// The outcome of a per-document write error with this code.
pub fn write_error_outcome(code: i32, message: &str, sink: &str) -> Outcome {
    if code == DUPLICATE_KEY && duplicate_id(message) {
        // The record's own `_id`: stored by an earlier delivery.
        Outcome::Written
    } else if RETRIABLE_CODES.contains(&code) {
        Outcome::Retry(format!("{sink}: MongoDB write error {code}: {message}"))
    } else {
        Outcome::Rejected(format!(
            "{sink}: MongoDB refused the document (code {code}): {message}"
        ))
    }
}

/// Whether a duplicate-key error is about `_id` (the record is already stored) rather than
/// a unique index of the user's (the record was not stored). Servers that do not name the
/// index are taken to mean `_id`, the only unique index the pump creates.
fn duplicate_id(message: &str) -> bool {
    match message.split_once("index: ") {
        Some((_, rest)) => rest
            .split_whitespace()
            .next()
            .is_some_and(|name| name == "_id_"),
        None => true,
    }
}

/// The outcome of an error that concerns a whole operation (no per-document detail).
pub fn operation_outcome(e: &Error, sink: &str) -> Outcome {
    if is_permanent(e) {
        Outcome::Rejected(format!("{sink}: MongoDB refused the write: {e}"))
    } else {
        Outcome::Retry(format!("{sink}: {}", describe(e)))
    }
}

/// A readable reason, with a hint for the common start-up problems.
pub fn describe(e: &Error) -> String {
    match &*e.kind {
        ErrorKind::ServerSelection { .. } | ErrorKind::Io(_) => {
            format!("MongoDB is unreachable ({e}); check `mongo_url` and that the server is up")
        }
        ErrorKind::Authentication { .. } => format!(
            "MongoDB refused the credentials ({e}); check the user and password in `mongo_url`"
        ),
        _ => format!("MongoDB error: {e}"),
    }
}

/// Whether retrying cannot help: the server refused the content, not the moment.
pub fn is_permanent(e: &Error) -> bool {
    let code = match &*e.kind {
        ErrorKind::Write(WriteFailure::WriteError(w)) => Some(w.code),
        ErrorKind::Command(c) => Some(c.code),
        ErrorKind::BsonSerialization(_) => return true,
        _ => None,
    };
    code.is_some_and(|c| PERMANENT_CODES.contains(&c))
}

/// The server code of a command or write error, if it has one.
pub fn code(e: &Error) -> Option<i32> {
    match &*e.kind {
        ErrorKind::Write(WriteFailure::WriteError(w)) => Some(w.code),
        ErrorKind::Command(c) => Some(c.code),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_are_written_validation_is_rejected_elections_are_retried() {
        assert_eq!(write_error_outcome(11000, "dup", "s"), Outcome::Written);
        assert!(matches!(
            write_error_outcome(121, "invalid", "s"),
            Outcome::Rejected(_)
        ));
        assert!(matches!(
            write_error_outcome(10107, "not primary", "s"),
            Outcome::Retry(_)
        ));
        assert!(matches!(
            write_error_outcome(10334, "too large", "s"),
            Outcome::Rejected(_)
        ));
    }
}
