//! Redis in: the gateway's lists, and the streams that hold claimed records until every
//! sink has acknowledged them.
//!
//! A claim atomically moves up to `batch_size` records from a gateway list into one entry
//! of that list's stream (a Lua script, so a crash never leaves a record in neither). Each
//! sink is a consumer group on every stream it takes records from; an entry is trimmed once
//! every group has acknowledged it. Nothing leaves Redis before that.

mod claim;
mod groups;
mod keys;
mod redis;

pub use claim::{ClaimRound, Claimer};
pub use groups::{
    GroupLag, GroupState, StreamState, ensure_groups, forget_group, forget_idle_consumers,
    group_lag, stream_state, trim,
};
pub use keys::{Keys, RecordFormat, SourceKey};
pub use redis::{Connector, RedisConn};
