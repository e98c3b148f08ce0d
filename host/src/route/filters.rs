//! Tyk's per-sink filters: deny lists first, then every non-empty allow list must match.

use crate::config::Filters;
use pump_record::Record;
use std::collections::HashSet;

/// A sink's compiled `filters` table.
#[derive(Debug, Clone, Default)]
pub struct RecordFilter {
    org_ids: HashSet<String>,
    api_ids: HashSet<String>,
    response_codes: HashSet<i64>,
    skip_org_ids: HashSet<String>,
    skip_api_ids: HashSet<String>,
    skip_response_codes: HashSet<i64>,
}

impl RecordFilter {
    /// Compiles the configured lists.
    pub fn new(f: &Filters) -> Self {
        RecordFilter {
            org_ids: f.org_ids.iter().cloned().collect(),
            api_ids: f.api_ids.iter().cloned().collect(),
            response_codes: f.response_codes.iter().copied().collect(),
            skip_org_ids: f.skip_org_ids.iter().cloned().collect(),
            skip_api_ids: f.skip_api_ids.iter().cloned().collect(),
            skip_response_codes: f.skip_response_codes.iter().copied().collect(),
        }
    }

    /// Whether the filter lets every record through.
    pub fn is_empty(&self) -> bool {
        self.org_ids.is_empty()
            && self.api_ids.is_empty()
            && self.response_codes.is_empty()
            && self.skip_org_ids.is_empty()
            && self.skip_api_ids.is_empty()
            && self.skip_response_codes.is_empty()
    }

    /// Whether the sink should get this record. Uptime records have no API or status of
    /// their own in Tyk's filters and always pass, as in Tyk Pump.
    pub fn passes(&self, record: &Record<'_>) -> bool {
        let Some(r) = record.as_analytics() else {
            return true;
        };
        if self.skip_api_ids.contains(r.api_id.as_ref())
            || self.skip_org_ids.contains(r.org_id.as_ref())
            || self.skip_response_codes.contains(&r.response_code)
        {
            return false;
        }
        (self.api_ids.is_empty() || self.api_ids.contains(r.api_id.as_ref()))
            && (self.org_ids.is_empty() || self.org_ids.contains(r.org_id.as_ref()))
            && (self.response_codes.is_empty() || self.response_codes.contains(&r.response_code))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pump_record::AnalyticsRecord;

    fn rec(org: &'static str, api: &'static str, code: i64) -> Record<'static> {
        Record::Analytics(Box::new(AnalyticsRecord {
            org_id: org.into(),
            api_id: api.into(),
            response_code: code,
            ..Default::default()
        }))
    }

    fn filters(edit: impl FnOnce(&mut Filters)) -> RecordFilter {
        let mut f = Filters::default();
        edit(&mut f);
        RecordFilter::new(&f)
    }

    #[test]
    fn empty_filter_passes_everything() {
        let f = RecordFilter::new(&Filters::default());
        assert!(f.is_empty());
        assert!(f.passes(&rec("o", "a", 200)));
    }

    #[test]
    fn every_non_empty_allow_list_must_match() {
        let f = filters(|f| {
            f.org_ids = vec!["o1".into()];
            f.response_codes = vec![500];
        });
        assert!(f.passes(&rec("o1", "a", 500)));
        assert!(!f.passes(&rec("o1", "a", 200)));
        assert!(!f.passes(&rec("o2", "a", 500)));
    }

    #[test]
    fn deny_lists_win_over_allow_lists() {
        let f = filters(|f| {
            f.api_ids = vec!["a".into()];
            f.skip_api_ids = vec!["a".into()];
        });
        assert!(!f.passes(&rec("o", "a", 200)));
        let f = filters(|f| f.skip_response_codes = vec![404]);
        assert!(!f.passes(&rec("o", "a", 404)));
        assert!(f.passes(&rec("o", "a", 200)));
    }
}
