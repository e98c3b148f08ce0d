//! `file`: one Tyk JSON object per record per line, appended to a file.

mod config;
mod sink;

pub use config::FileConfig;
pub use sink::FileSink;
