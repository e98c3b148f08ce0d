//! Finding the records a plugin traps on, so that bad records are dead-lettered instead of
//! holding back their batch. After a call traps, its records are halved and each half is
//! tried alone in a fresh instance; a half that traps is halved again, down to single
//! records, breadth first.
//!
//! A record that traps alone, in a fresh instance, is dead-lettered only when the plugin is
//! shown to work: another part of the same call was handled; or, for a call of one record,
//! this version of the plugin has handled records before (answered a call without
//! trapping). A plugin that traps on everything is broken, not its records: the tries stop
//! early and the whole call is retried.

use std::collections::VecDeque;
use std::ops::Range;

/// Tries (fresh instances) spent on one call at most: enough to find a few bad records in
/// a batch of thousands (about two tries per bad record per halving).
const MAX_TRIES: usize = 100;

/// Tries after which a call of which nothing has been handled is given up as a whole: two
/// rounds of halving that all trapped.
const BROKEN_AFTER: usize = 6;

/// The search over one call's records, by position `0..len`. The caller takes ranges from
/// `next`, tries each alone, and reports `handled` or `trapped`.
pub(super) struct Bisect {
    to_try: VecDeque<Range<usize>>,
    tries: usize,
    /// Whether a try handled records (so the plugin works on some of them).
    handled: bool,
    /// Whether this version of the plugin has handled records before.
    proven: bool,
    /// Whether the call held one record.
    lone: bool,
    trapping: Vec<(usize, String)>,
    reason: String,
}

/// What the search found.
#[derive(Debug, PartialEq)]
pub(super) struct Found {
    /// Records the plugin traps on alone, with the trap: to be dead-lettered.
    pub poison: Vec<(usize, String)>,
    /// Why the records neither handled nor poison are retried: the last trap seen.
    pub reason: String,
}

impl Bisect {
    /// The search after a call on `len` records trapped with `reason`. `proven`: the
    /// plugin's version has handled records before.
    pub(super) fn new(len: usize, reason: String, proven: bool) -> Self {
        let mut b = Bisect {
            to_try: VecDeque::new(),
            tries: 0,
            handled: false,
            proven,
            lone: len == 1,
            trapping: Vec::new(),
            reason: String::new(),
        };
        if b.lone {
            // The trap may have come from the instance's state: the record is tried once
            // more in a fresh instance before it is taken for the culprit.
            b.to_try.push_back(0..1);
            b.reason = reason;
        } else {
            b.trapped(0..len, reason);
        }
        b
    }

    /// The next range to try alone, or `None` when the search is over.
    pub(super) fn next(&mut self) -> Option<Range<usize>> {
        let broken = !self.handled && self.tries >= BROKEN_AFTER;
        if broken || self.tries >= MAX_TRIES {
            return None;
        }
        let range = self.to_try.pop_front()?;
        self.tries += 1;
        Some(range)
    }

    /// A try handled its records (whatever their outcomes).
    pub(super) fn handled(&mut self) {
        self.handled = true;
    }

    /// A try on `range` trapped with `reason`.
    pub(super) fn trapped(&mut self, range: Range<usize>, reason: String) {
        match range.len() {
            0 => {}
            1 => self.trapping.push((range.start, reason.clone())),
            n => {
                let mid = range.start + n / 2;
                self.to_try.push_back(range.start..mid);
                self.to_try.push_back(mid..range.end);
            }
        }
        self.reason = reason;
    }

    /// The records to dead-letter, and why the rest is retried.
    pub(super) fn finish(self) -> Found {
        let works = self.handled || (self.lone && self.proven);
        Found {
            poison: if works { self.trapping } else { Vec::new() },
            reason: self.reason,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs the search against a plugin that traps on any range holding a `bad` position,
    /// or on everything when `bad` is `None`. The found poison and the number of tries.
    fn search(len: usize, bad: Option<&[usize]>, proven: bool) -> (Vec<usize>, usize) {
        let traps = |r: &Range<usize>| bad.is_none_or(|b| b.iter().any(|i| r.contains(i)));
        let mut b = Bisect::new(len, "trap".into(), proven);
        let mut tries = 0;
        while let Some(r) = b.next() {
            tries += 1;
            if traps(&r) {
                b.trapped(r, "trap".into());
            } else {
                b.handled();
            }
        }
        let found = b.finish();
        assert_eq!(found.reason, "trap");
        let mut poison: Vec<usize> = found.poison.into_iter().map(|(i, _)| i).collect();
        poison.sort_unstable();
        (poison, tries)
    }

    #[test]
    fn finds_one_bad_record() {
        let (poison, tries) = search(1000, Some(&[137]), false);
        assert_eq!(poison, [137]);
        assert!(tries <= 2 * 10, "{tries}");
    }

    #[test]
    fn finds_several_bad_records_anywhere() {
        for bad in [
            &[0, 1][..],
            &[3, 500, 999],
            &[10, 11, 12, 600],
            &[0, 300, 310, 999],
        ] {
            let (poison, _) = search(1000, Some(bad), false);
            assert_eq!(poison, bad);
        }
    }

    #[test]
    fn a_plugin_that_traps_on_everything_dead_letters_nothing() {
        for len in [2, 3, 8, 1000] {
            let (poison, tries) = search(len, None, false);
            assert!(poison.is_empty(), "{len}: {poison:?}");
            assert!(tries <= BROKEN_AFTER, "{len}: {tries}");
        }
        // Bad records in every quarter look the same: the call is retried as a whole.
        assert!(search(1000, Some(&[0, 250, 500, 750]), false).0.is_empty());
    }

    #[test]
    fn a_lone_record_is_tried_again_and_dead_lettered_only_by_a_proven_plugin() {
        assert_eq!(search(1, Some(&[0]), true), (vec![0], 1));
        assert_eq!(search(1, Some(&[0]), false), (vec![], 1));
        // It went through in a fresh instance: the old one was at fault.
        assert_eq!(search(1, Some(&[]), true), (vec![], 1));
    }

    #[test]
    fn a_proven_plugin_that_now_traps_on_everything_dead_letters_nothing() {
        for len in [2, 5, 1000] {
            let (poison, tries) = search(len, None, true);
            assert!(poison.is_empty(), "{len}: {poison:?}");
            assert!(tries <= BROKEN_AFTER, "{len}: {tries}");
        }
    }

    #[test]
    fn tries_are_bounded() {
        let bad: Vec<usize> = (500..1000).step_by(7).collect();
        let (poison, tries) = search(1000, Some(&bad), true);
        assert_eq!(tries, MAX_TRIES);
        assert!(poison.iter().all(|p| bad.contains(p)));
    }
}
