//! Tyk formats to records: decodes each raw record according to the format of the list it
//! came from.

use crate::source::RecordFormat;
use pump_record::Record;

/// Why a raw record could not be decoded; the reason stored with its dead letter.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("undecodable {format} record: {message}")]
pub struct DecodeError {
    /// The format the record was expected in.
    pub format: RecordFormat,
    /// The decoder's explanation.
    pub message: String,
}

/// Decodes one raw record; strings borrow from `bytes` where the format allows.
pub fn decode(format: RecordFormat, bytes: &[u8]) -> Result<Record<'_>, DecodeError> {
    let err = |message: String| DecodeError { format, message };
    match format {
        RecordFormat::AnalyticsMsgpack => pump_record::msgpack::decode_analytics(bytes)
            .map(|r| Record::Analytics(Box::new(r)))
            .map_err(|e| err(e.to_string())),
        RecordFormat::AnalyticsProtobuf => pump_record::protobuf::decode_analytics_protobuf(bytes)
            .map(|r| Record::Analytics(Box::new(r)))
            .map_err(|e| err(e.to_string())),
        RecordFormat::UptimeMsgpack => pump_record::msgpack::decode_uptime(bytes)
            .map(|r| Record::Uptime(Box::new(r)))
            .map_err(|e| err(e.to_string())),
    }
}
