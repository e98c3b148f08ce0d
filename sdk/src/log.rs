//! Logging through the pump: lines land in the pump's log, tagged with the plugin's name.

#[cfg(target_arch = "wasm32")]
use crate::bindings::sink::tyk::pump::host::{Level, log};

macro_rules! level_fn {
    ($name:ident, $level:ident, $doc:literal) => {
        #[doc = $doc]
        pub fn $name(message: &str) {
            #[cfg(target_arch = "wasm32")]
            log(Level::$level, message);
            #[cfg(not(target_arch = "wasm32"))]
            eprintln!("{}: {message}", stringify!($name));
        }
    };
}

level_fn!(error, Error, "Logs an error.");
level_fn!(warn, Warn, "Logs a warning.");
level_fn!(info, Info, "Logs a line of information.");
level_fn!(debug, Debug, "Logs a line for debugging.");
level_fn!(trace, Trace, "Logs a line for tracing.");
