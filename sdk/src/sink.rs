//! Writing a sink: implement [`Sink`], then `pump_sdk::export_sink!(YourType)`.

use crate::Batch;
use serde::de::DeserializeOwned;

/// What became of one record handed to [`Sink::write`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Stored (or already there).
    Written,
    /// Not stored this time; the pump retries it later with backoff.
    Retry(String),
    /// Can never be stored as it is; the pump dead-letters it with this reason.
    Rejected(String),
}

/// What became of a whole batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcomes {
    /// Every record was stored.
    AllWritten,
    /// Nothing was stored; the pump retries the whole batch later.
    AllRetry(String),
    /// One outcome per record, in the batch's order.
    Each(Vec<Outcome>),
}

impl Outcomes {
    /// The same outcome for all `n` records.
    pub fn all(outcome: Outcome, n: usize) -> Self {
        match outcome {
            Outcome::Written => Outcomes::AllWritten,
            Outcome::Retry(reason) => Outcomes::AllRetry(reason),
            rejected => Outcomes::Each(vec![rejected; n]),
        }
    }
}

impl From<Vec<Outcome>> for Outcomes {
    fn from(each: Vec<Outcome>) -> Self {
        if each.iter().all(|o| *o == Outcome::Written) {
            Outcomes::AllWritten
        } else {
            Outcomes::Each(each)
        }
    }
}

/// A destination for records. The pump makes one instance per sink (and a fresh one after
/// the plugin trapped or was reloaded), calls [`Sink::write`] once per batch and
/// [`Sink::flush`] after a write that stored something; a record counts as delivered once
/// the flush succeeded. Delivery is at least once: make writes idempotent where you can.
pub trait Sink: Sized + Send + 'static {
    /// The sink's `config` table from the pump's config file.
    type Config: DeserializeOwned;

    /// Starts the sink; an error stops it from starting and is shown to the user.
    fn new(config: Self::Config) -> Result<Self, String>;

    /// Stores a batch.
    fn write(&mut self, batch: &Batch) -> Outcomes;

    /// Makes what was written durable.
    fn flush(&mut self) -> Result<(), String> {
        Ok(())
    }

    /// Releases what the sink holds.
    fn close(&mut self) {}
}

/// Exports a [`Sink`] implementation as the component's `tyk:pump/sink` interface.
#[macro_export]
macro_rules! export_sink {
    ($ty:ty) => {
        // Exports exist only in the component: a native build (the plugin's unit tests)
        // has no use for them, and native linkers refuse their `tyk:pump/…` symbol names.
        #[cfg(target_arch = "wasm32")]
        const _: () = {
            static STATE: ::std::sync::Mutex<::std::option::Option<$ty>> =
                ::std::sync::Mutex::new(::std::option::Option::None);

            struct Export;

            impl $crate::bindings::sink::exports::tyk::pump::sink::Guest for Export {
                fn configure(config: ::std::string::String) -> ::std::result::Result<(), ::std::string::String> {
                    $crate::__private::sink::configure::<$ty>(&STATE, &config)
                }
                fn write(
                    batch: $crate::bindings::sink::tyk::pump::types::Batch,
                ) -> $crate::bindings::sink::tyk::pump::types::Outcomes {
                    $crate::__private::sink::write::<$ty>(&STATE, batch)
                }
                fn flush() -> ::std::result::Result<(), ::std::string::String> {
                    $crate::__private::sink::flush::<$ty>(&STATE)
                }
                fn close() {
                    $crate::__private::sink::close::<$ty>(&STATE)
                }
            }

            $crate::bindings::sink::__export_sink_world!(Export with_types_in $crate::bindings::sink);
        };
    };
}

/// The functions `export_sink!` expands to call.
#[doc(hidden)]
pub mod glue {
    use super::{Outcome, Outcomes, Sink};
    use crate::bindings::sink::tyk::pump::types as wit;
    use std::sync::Mutex;

    type State<S> = Mutex<Option<S>>;

    fn with<S: Sink, R>(state: &State<S>, f: impl FnOnce(&mut Option<S>) -> R) -> R {
        let mut guard = state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut guard)
    }

    pub fn configure<S: Sink>(state: &State<S>, config: &str) -> Result<(), String> {
        let config = crate::config::parse::<S::Config>(config)?;
        let sink = S::new(config)?;
        with(state, |s| *s = Some(sink));
        Ok(())
    }

    pub fn write<S: Sink>(state: &State<S>, batch: wit::Batch) -> wit::Outcomes {
        let batch = crate::Batch::from_parts(
            matches!(batch.kind, wit::RecordKind::Uptime),
            batch.data,
            batch.ends,
        );
        let outcomes = with(state, |s| match s {
            Some(sink) => sink.write(&batch),
            None => Outcomes::AllRetry("the sink was not configured".into()),
        });
        match outcomes {
            Outcomes::AllWritten => wit::Outcomes::AllWritten,
            Outcomes::AllRetry(reason) => wit::Outcomes::AllRetry(reason),
            Outcomes::Each(each) => wit::Outcomes::Each(
                each.into_iter()
                    .map(|o| match o {
                        Outcome::Written => wit::Outcome::Written,
                        Outcome::Retry(r) => wit::Outcome::Retry(r),
                        Outcome::Rejected(r) => wit::Outcome::Rejected(r),
                    })
                    .collect(),
            ),
        }
    }

    pub fn flush<S: Sink>(state: &State<S>) -> Result<(), String> {
        with(state, |s| match s {
            Some(sink) => sink.flush(),
            None => Err("the sink was not configured".into()),
        })
    }

    pub fn close<S: Sink>(state: &State<S>) {
        with(state, |s| {
            if let Some(mut sink) = s.take() {
                sink.close();
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_take_the_short_form_when_they_can() {
        assert_eq!(
            Outcomes::from(vec![Outcome::Written, Outcome::Written]),
            Outcomes::AllWritten
        );
        assert_eq!(
            Outcomes::all(Outcome::Rejected("bad".into()), 2),
            Outcomes::Each(vec![
                Outcome::Rejected("bad".into()),
                Outcome::Rejected("bad".into())
            ])
        );
    }
}
