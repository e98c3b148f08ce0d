//! The per-sink record options Tyk users rely on (TYK-FORMAT.md §5), applied in Tyk's order.

use crate::config::SinkOptions;
use pump_record::{AnalyticsRecord, Record, decode_base64_in_place, truncate_utf8};
use std::borrow::Cow;

/// A sink's record shaping: `omit_detailed_recording` or `max_record_size`, then
/// `ignore_fields`, then `raw_request_decoded` / `raw_response_decoded`.
#[derive(Debug, Clone, Default)]
pub struct Shaper {
    omit_detailed_recording: bool,
    max_record_size: usize,
    ignore_fields: Vec<String>,
    raw_request_decoded: bool,
    raw_response_decoded: bool,
}

impl Shaper {
    /// The shaping configured for a sink.
    pub fn new(o: &SinkOptions) -> Self {
        Shaper {
            omit_detailed_recording: o.omit_detailed_recording,
            max_record_size: o.max_record_size,
            ignore_fields: o.ignore_fields.clone(),
            raw_request_decoded: o.raw_request_decoded,
            raw_response_decoded: o.raw_response_decoded,
        }
    }

    /// Whether shaping leaves every record as it is.
    pub fn is_noop(&self) -> bool {
        !self.omit_detailed_recording
            && self.max_record_size == 0
            && self.ignore_fields.is_empty()
            && !self.raw_request_decoded
            && !self.raw_response_decoded
    }

    /// Applies the options to one record (uptime records have none of these fields).
    pub fn apply(&self, record: &mut Record<'_>) {
        if let Record::Analytics(r) = record {
            self.apply_analytics(r);
        }
    }

    fn apply_analytics(&self, r: &mut AnalyticsRecord<'_>) {
        if self.omit_detailed_recording {
            r.raw_request = Cow::Borrowed("");
            r.raw_response = Cow::Borrowed("");
        } else if self.max_record_size > 0 {
            truncate_utf8(&mut r.raw_request, self.max_record_size);
            truncate_utf8(&mut r.raw_response, self.max_record_size);
        }
        for f in &self.ignore_fields {
            // Names were checked when the config was loaded.
            let _ = r.clear_field(f);
        }
        if self.raw_request_decoded {
            decode_base64_in_place(&mut r.raw_request);
        }
        if self.raw_response_decoded {
            decode_base64_in_place(&mut r.raw_response);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> Record<'static> {
        Record::Analytics(Box::new(AnalyticsRecord {
            raw_request: "R0VUIC8gSFRUUC8xLjE=".into(),
            raw_response: "SFRUUC8xLjEgMjAwIE9L".into(),
            api_key: "secret".into(),
            ..Default::default()
        }))
    }

    fn analytics<'r>(r: &'r Record<'_>) -> &'r AnalyticsRecord<'r> {
        r.as_analytics().unwrap()
    }

    #[test]
    fn omit_detailed_recording_blanks_raw_fields() {
        let s = Shaper {
            omit_detailed_recording: true,
            max_record_size: 3,
            ..Default::default()
        };
        let mut r = record();
        s.apply(&mut r);
        assert_eq!(analytics(&r).raw_request, "");
        assert_eq!(analytics(&r).raw_response, "");
    }

    #[test]
    fn max_record_size_cuts_then_decoding_keeps_non_base64() {
        let s = Shaper {
            max_record_size: 5,
            raw_request_decoded: true,
            ..Default::default()
        };
        let mut r = record();
        s.apply(&mut r);
        // "R0VUI" is not valid base64 (length), so it stays as it is, like Tyk.
        assert_eq!(analytics(&r).raw_request, "R0VUI");
        assert_eq!(analytics(&r).raw_response, "SFRUU");
    }

    #[test]
    fn ignore_fields_and_decoding() {
        let s = Shaper {
            ignore_fields: vec!["api_key".into()],
            raw_request_decoded: true,
            raw_response_decoded: true,
            ..Default::default()
        };
        let mut r = record();
        s.apply(&mut r);
        assert_eq!(analytics(&r).api_key, "");
        assert_eq!(analytics(&r).raw_request, "GET / HTTP/1.1");
        assert_eq!(analytics(&r).raw_response, "HTTP/1.1 200 OK");
    }
}
