//! Writing a filter: implement [`Filter`], then `pump_sdk::export_filter!(YourType)`.

use crate::RecordRef;
use serde::de::DeserializeOwned;

/// The set of the filter's sinks a record goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Route(u64);

impl Route {
    /// To none of the filter's sinks.
    pub const NONE: Route = Route(0);

    /// To every sink of the filter.
    pub fn all(sinks: &Sinks) -> Route {
        Route(match sinks.names.len() {
            64 => u64::MAX,
            n => (1u64 << n) - 1,
        })
    }

    /// The sinks of this route and those of `other`.
    pub fn or(self, other: Route) -> Route {
        Route(self.0 | other.0)
    }

    /// The bits handed to the pump.
    pub fn bits(self) -> u64 {
        self.0
    }
}

/// The sinks a filter routes for, by name, as its config in the pump names them.
#[derive(Debug, Clone, Default)]
pub struct Sinks {
    names: Vec<String>,
}

impl Sinks {
    /// The sinks, in the order the pump's config lists them.
    pub fn new(names: Vec<String>) -> Self {
        Sinks { names }
    }

    /// The route to the sink called `name`, if the filter routes for it.
    pub fn route(&self, name: &str) -> Option<Route> {
        let i = self.names.iter().position(|n| n == name)?;
        (i < 64).then(|| Route(1 << i))
    }

    /// The route to the sink called `name`; an error naming the sinks there are otherwise
    /// (for checking a filter's config in [`Filter::new`]).
    pub fn require(&self, name: &str) -> Result<Route, String> {
        self.route(name).ok_or_else(|| {
            format!(
                "`{name}` is not one of this filter's sinks ({})",
                self.names.join(", ")
            )
        })
    }

    /// The sinks' names.
    pub fn names(&self) -> &[String] {
        &self.names
    }
}

/// Routing: for each record, which of the filter's sinks get it. The pump calls
/// [`Filter::route`] once per record of each batch, for each sink the filter routes for,
/// so the route must follow from the record and the config alone.
pub trait Filter: Sized + Send + 'static {
    /// The filter's `config` table from the pump's config file.
    type Config: DeserializeOwned;

    /// Starts the filter; an error stops the pump from starting and is shown to the user.
    fn new(config: Self::Config, sinks: &Sinks) -> Result<Self, String>;

    /// Where one record goes.
    fn route(&self, record: RecordRef<'_>) -> Route;
}

/// Exports a [`Filter`] implementation as the component's `tyk:pump/filter` interface.
#[macro_export]
macro_rules! export_filter {
    ($ty:ty) => {
        // Exports exist only in the component: a native build (the plugin's unit tests)
        // has no use for them, and native linkers refuse their `tyk:pump/…` symbol names.
        #[cfg(target_arch = "wasm32")]
        const _: () = {
            static STATE: ::std::sync::Mutex<::std::option::Option<$ty>> =
                ::std::sync::Mutex::new(::std::option::Option::None);

            struct Export;

            impl $crate::bindings::filter::exports::tyk::pump::filter::Guest for Export {
                fn configure(
                    config: ::std::string::String,
                    sinks: ::std::vec::Vec<::std::string::String>,
                ) -> ::std::result::Result<(), ::std::string::String> {
                    $crate::__private::filter::configure::<$ty>(&STATE, &config, sinks)
                }
                fn route(
                    batch: $crate::bindings::filter::tyk::pump::types::Batch,
                ) -> ::std::result::Result<::std::vec::Vec<u64>, ::std::string::String> {
                    $crate::__private::filter::route::<$ty>(&STATE, batch)
                }
            }

            $crate::bindings::filter::__export_filter_world!(Export with_types_in $crate::bindings::filter);
        };
    };
}

/// The functions `export_filter!` expands to call.
#[doc(hidden)]
pub mod glue {
    use super::{Filter, Sinks};
    use crate::bindings::filter::tyk::pump::types as wit;
    use std::sync::Mutex;

    type State<F> = Mutex<Option<F>>;

    pub fn configure<F: Filter>(
        state: &State<F>,
        config: &str,
        sinks: Vec<String>,
    ) -> Result<(), String> {
        let config = crate::config::parse::<F::Config>(config)?;
        let filter = F::new(config, &Sinks::new(sinks))?;
        *state.lock().unwrap_or_else(|p| p.into_inner()) = Some(filter);
        Ok(())
    }

    pub fn route<F: Filter>(state: &State<F>, batch: wit::Batch) -> Result<Vec<u64>, String> {
        let batch = crate::Batch::from_parts(
            matches!(batch.kind, wit::RecordKind::Uptime),
            batch.data,
            batch.ends,
        );
        let guard = state.lock().unwrap_or_else(|p| p.into_inner());
        let filter = guard.as_ref().ok_or("the filter was not configured")?;
        Ok(batch.iter().map(|r| filter.route(r).bits()).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_name_bits_in_config_order() {
        let sinks = Sinks::new(vec!["eu".into(), "us".into(), "rest".into()]);
        assert_eq!(sinks.route("us"), Some(Route(0b010)));
        assert_eq!(Route::all(&sinks).bits(), 0b111);
        assert_eq!(sinks.route("eu").unwrap().or(Route::NONE).bits(), 1);
        let err = sinks.require("asia").unwrap_err();
        assert!(err.contains("eu, us, rest"), "{err}");
    }
}
