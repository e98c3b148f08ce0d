//! What `/health` and `/ready` answer: healthy only while Redis answers and every sink is
//! writing (or catching up); ready once every sink has started.

use crate::deliver::SinkStats;
use serde_json::{Value, json};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The health of one pump process, updated by the monitor and the sinks.
pub struct Health {
    redis: Mutex<Result<(), String>>,
    ready: AtomicBool,
    sinks: Mutex<Vec<(String, Arc<SinkStats>)>>,
    unhealthy_after: Duration,
}

impl Health {
    /// Unhealthy until Redis has answered; a sink whose writes fail for longer than
    /// `unhealthy_after` makes the process unhealthy.
    pub fn new(unhealthy_after: Duration) -> Self {
        Health {
            redis: Mutex::new(Err("not connected to Redis yet".into())),
            ready: AtomicBool::new(false),
            sinks: Mutex::new(Vec::new()),
            unhealthy_after,
        }
    }

    /// Records whether the last Redis round trip worked.
    pub fn set_redis(&self, state: Result<(), String>) {
        if let Ok(mut r) = self.redis.lock() {
            *r = state;
        }
    }

    /// The sinks to watch; the process is ready from now on.
    pub fn set_sinks(&self, sinks: Vec<(String, Arc<SinkStats>)>) {
        if let Ok(mut s) = self.sinks.lock() {
            *s = sinks;
        }
        self.ready.store(true, Ordering::Relaxed);
    }

    /// Not ready any more (shutting down).
    pub fn set_not_ready(&self) {
        self.ready.store(false, Ordering::Relaxed);
    }

    /// Whether the process serves traffic: all sinks started, not shutting down.
    pub fn ready(&self) -> bool {
        self.ready.load(Ordering::Relaxed)
    }

    /// `(healthy, body)`: the body says why when unhealthy.
    pub fn check(&self) -> (bool, Value) {
        let mut reasons = Vec::new();
        if let Ok(Err(e)) = self.redis.lock().as_deref() {
            reasons.push(json!({"component": "redis", "reason": e}));
        }
        if let Ok(sinks) = self.sinks.lock() {
            for (name, stats) in sinks.iter() {
                if let Some((since, why)) = stats.failing()
                    && since.elapsed() >= self.unhealthy_after
                {
                    reasons.push(json!({
                        "component": format!("sink {name}"),
                        "reason": format!("writes failing for {}s: {why}", since.elapsed().as_secs()),
                    }));
                }
            }
        }
        if reasons.is_empty() {
            (true, json!({"status": "ok"}))
        } else {
            (false, json!({"status": "unhealthy", "reasons": reasons}))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redis_and_failing_sinks_make_it_unhealthy() {
        let h = Health::new(Duration::ZERO);
        assert!(!h.check().0);
        h.set_redis(Ok(()));
        assert_eq!(h.check(), (true, json!({"status": "ok"})));
        let stats = Arc::new(SinkStats::default());
        h.set_sinks(vec![("archive".into(), stats.clone())]);
        assert!(h.ready());
        stats.write_failed("disk full");
        let (ok, body) = h.check();
        assert!(!ok);
        assert!(body.to_string().contains("disk full"), "{body}");
        stats.write_succeeded();
        assert!(h.check().0);
    }
}
