//! Which sink gets which record: each sink's declarative `filters` (Tyk's semantics).

mod filters;

pub use filters::RecordFilter;
