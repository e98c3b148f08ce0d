//! Progress bars for long commands (feeding the demo, draining, re-queuing dead letters).
//! They draw on standard error only when it is a terminal; logs and pipes stay clean.

use indicatif::{ProgressBar, ProgressStyle};

/// A bar counting `len` records.
pub fn bar(len: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    if let Ok(style) = ProgressStyle::with_template(&format!(
        "{{spinner}} {what} [{{bar:40}}] {{human_pos}}/{{human_len}} ({{per_sec}}, {{eta}} left)"
    )) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// A spinner counting records whose total is not known.
pub fn counter(what: &str) -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    if let Ok(style) = ProgressStyle::with_template(&format!(
        "{{spinner}} {what}: {{human_pos}} ({{per_sec}}) {{msg}}"
    )) {
        bar.set_style(style);
    }
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    bar
}

/// A progress hook for [`crate::engine::RunOptions::on_progress`]: claimed records, and
/// what each sink delivered, on a spinner that clears itself when the run ends.
pub fn run_hook(what: &str) -> crate::engine::ProgressHook {
    let bar = Clearing(counter(what));
    std::sync::Arc::new(move |p: &crate::engine::Progress| {
        let bar = &bar.0;
        bar.set_position(p.claimed);
        let sinks: Vec<String> = p
            .sinks
            .iter()
            .map(|(name, s)| format!("{name} {}", s.delivered))
            .collect();
        bar.set_message(format!("claimed; delivered: {}", sinks.join(", ")));
    })
}

/// A bar that erases itself when dropped.
struct Clearing(ProgressBar);

impl Drop for Clearing {
    fn drop(&mut self) {
        self.0.finish_and_clear();
    }
}
