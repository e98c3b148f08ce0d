//! Operating the pump: `[admin]`'s HTTP endpoint (`/health`, `/ready`, `/metrics`), the
//! metrics it serves, and the monitor that measures Redis and the sinks' lag for them.

mod health;
mod metrics;
mod monitor;
mod server;

pub use health::Health;
pub use metrics::Metrics;
pub use monitor::monitor;
pub use server::serve;
