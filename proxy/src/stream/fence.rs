//! The per-choice code-fence tracker: where held-back code starts, and which closed blocks
//! still need a scan.
//!
//! Code can only be scanned once its block is complete, so from the line that (possibly)
//! opens a fence the engine holds text until the block closes and a scan passed. The tracker
//! wraps [`StreamExtractor`] (which decides what is a fence, including a partial ``` at a
//! frame boundary) and adds the byte offsets the release rule needs: where the open fence's
//! line starts, and where the first closed-but-unscanned block starts.

use warden_code_scan::{CodeBlock, StreamExtractor};

#[derive(Debug, Default)]
pub(super) struct FenceTracker {
    extractor: StreamExtractor,
    /// Blocks that closed since they were last taken for a check.
    pending: Vec<CodeBlock>,
    /// Where the first of `pending` starts (no later than its fence line).
    pending_from: Option<usize>,
    /// Where the line that (may) open the current code fence starts.
    fence_from: Option<usize>,
    /// Where the text's last line starts (after its last newline): kept per delta, so a long
    /// answer without newlines is not searched again on every delta.
    line_start: usize,
    /// Bytes of the text the extractor has been fed. Prose that provably cannot open a fence
    /// is not fed as it arrives; the extractor reads it with the next delta that may matter
    /// (see [`FenceTracker::push`]), so its blocks and line numbers are what eager feeding
    /// gives.
    fed_to: usize,
    /// The text's last line (from `line_start`) holds a backtick or a tilde.
    line_marked: bool,
    /// Where the text stood at the last finish: the extractor reads what follows as a new
    /// line, even in the middle of one.
    finished_at: usize,
    /// Test hook: feed every delta, the reference the lazy path is checked against.
    #[cfg(test)]
    eager: bool,
}

/// Blocks taken for a check, and where the first of them starts.
#[derive(Debug, Default)]
pub(super) struct TakenBlocks {
    pub blocks: Vec<CodeBlock>,
    pub from: Option<usize>,
}

impl FenceTracker {
    /// A tracker that feeds the extractor every delta (the reference for property tests).
    #[cfg(test)]
    pub fn eager() -> FenceTracker {
        FenceTracker {
            eager: true,
            ..FenceTracker::default()
        }
    }

    /// Feeds the delta that was just appended to `text` at byte `delta_start`.
    ///
    /// A delta is left to the extractor's next read when it provably changes nothing the
    /// tracker reports: no fence is open or possible (`fence_from` is `None`), neither the
    /// delta nor the line it continues holds a backtick or tilde (an opening fence line needs
    /// one, so no line it completes opens a block, and with nothing open none closes), and the
    /// line it leaves open is not blank (a blank partial line may still become a fence, which
    /// the extractor decides). Then nothing opens or closes, `fence_from` stays `None`, and only
    /// the line bookkeeping moves.
    pub fn push(&mut self, text: &str, delta_start: usize) {
        let delta = &text.as_bytes()[delta_start..];
        // Nothing before the line this delta starts in was (possibly) a fence the extractor had
        // not reported yet, so that line start bounds every new fence or block from below.
        let line_start = self.line_start;
        debug_assert_eq!(
            line_start,
            text[..delta_start].rfind('\n').map_or(0, |i| i + 1)
        );
        let marked = memchr::memchr2(b'`', b'~', delta).is_some();
        let continues_marked = self.line_marked;
        match memchr::memrchr(b'\n', delta) {
            Some(i) => {
                self.line_start = delta_start + i + 1;
                self.line_marked = marked && memchr::memchr2(b'`', b'~', &delta[i + 1..]).is_some();
            }
            None => self.line_marked |= marked,
        }
        // The line the extractor holds open (a finish ends its line early).
        let open_line = &text[self.line_start.max(self.finished_at)..];
        let blank_open_line = !open_line.is_empty() && open_line.trim_start().is_empty();
        let lazy = self.fence_from.is_none() && !marked && !continues_marked && !blank_open_line;
        #[cfg(test)]
        let lazy = lazy && !self.eager;
        if !lazy {
            self.feed(text, line_start);
        }
    }

    /// Feeds the extractor everything not yet fed; `line_start` is where the line of the
    /// newest delta starts.
    fn feed(&mut self, text: &str, line_start: usize) {
        // `fence_from` is `Some` exactly when the extractor's `in_fence()` was after its last
        // read (and stays `None` over the prose it was not fed).
        let was_in_fence = self.fence_from.is_some();
        let closed = self.extractor.push(&text[self.fed_to..]);
        self.fed_to = text.len();
        let closed_any = !closed.is_empty();
        if closed_any {
            let block_from = match self.fence_from {
                Some(from) if was_in_fence => from,
                _ => line_start,
            };
            self.pending_from.get_or_insert(block_from);
            self.pending.extend(closed);
        }
        if self.extractor.in_fence() {
            self.fence_from = match self.fence_from {
                // A block closed in this delta: the new fence opens after it.
                Some(from) if was_in_fence && closed_any => Some(from.max(line_start)),
                Some(from) if was_in_fence => Some(from),
                _ => Some(line_start),
            };
        } else {
            self.fence_from = None;
        }
    }

    /// Blocks closed and not yet taken for a check.
    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Where the open (or possible) fence starts, if any.
    pub fn fence_from(&self) -> Option<usize> {
        self.fence_from
    }

    /// The first byte that may not leave before a scan: an open fence or a closed block not
    /// yet taken for a check.
    pub fn hold_from(&self) -> Option<usize> {
        min_some(self.fence_from, self.pending_from)
    }

    /// Takes the closed blocks for a check.
    pub fn take(&mut self) -> TakenBlocks {
        TakenBlocks {
            blocks: std::mem::take(&mut self.pending),
            from: self.pending_from.take(),
        }
    }

    /// Ends `text` (everything pushed so far): takes the closed blocks plus a block left open
    /// (`closed: false`).
    pub fn finish(&mut self, text: &str) -> TakenBlocks {
        if self.fed_to < text.len() {
            // Text pushed after this can only follow what the extractor has read.
            let closed = self.extractor.push(&text[self.fed_to..]);
            self.fed_to = text.len();
            if !closed.is_empty() {
                // Cannot happen (text it was not fed opens nothing); were it to, hold it all.
                self.pending_from = Some(0);
                self.pending.extend(closed);
            }
        }
        self.finished_at = text.len();
        let mut taken = self.take();
        taken.from = min_some(taken.from, self.fence_from.take());
        taken.blocks.extend(self.extractor.finish());
        taken
    }
}

pub(super) fn min_some(a: Option<usize>, b: Option<usize>) -> Option<usize> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
#[path = "fence_prop.rs"]
mod properties;

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `deltas` and returns the tracker and the whole text.
    fn feed(deltas: &[&str]) -> (FenceTracker, String) {
        let mut tracker = FenceTracker::default();
        let mut text = String::new();
        for delta in deltas {
            let start = text.len();
            text.push_str(delta);
            tracker.push(&text, start);
        }
        (tracker, text)
    }

    #[test]
    fn prose_holds_nothing() {
        let (tracker, _) = feed(&["Hello, ", "world.\n", "More prose with `inline` code."]);
        assert_eq!(tracker.hold_from(), None);
        assert!(!tracker.has_pending());
    }

    #[test]
    fn an_open_fence_holds_from_its_line() {
        let (tracker, text) = feed(&["Intro.\n", "```py", "thon\nimport os\n"]);
        assert_eq!(tracker.fence_from(), Some(text.find("```").expect("fence")));
        assert_eq!(tracker.hold_from(), tracker.fence_from());
    }

    #[test]
    fn a_partial_fence_at_a_frame_boundary_is_held() {
        for partial in ["`", "``", "```", "  ``"] {
            let (tracker, text) = feed(&["Intro.\n", partial]);
            assert_eq!(tracker.hold_from(), Some("Intro.\n".len()), "{partial:?}");
            assert_eq!(text.len(), "Intro.\n".len() + partial.len());
        }
        // Backticks in the middle of a line cannot open a fence.
        let (tracker, _) = feed(&["Intro ``", "`"]);
        assert_eq!(tracker.hold_from(), None);
        // A partial fence that turns out to be prose is released again.
        let (tracker, _) = feed(&["Intro.\n", "``", " is two backticks.\n"]);
        assert_eq!(tracker.hold_from(), None);
    }

    #[test]
    fn a_closed_block_holds_from_its_fence_until_taken() {
        let (mut tracker, text) = feed(&["Intro.\n", "```sh\n", "ls\n", "```\n", "After."]);
        let fence = text.find("```sh").expect("fence");
        assert_eq!(tracker.fence_from(), None);
        assert!(tracker.has_pending());
        assert_eq!(tracker.hold_from(), Some(fence));
        let taken = tracker.take();
        assert_eq!(taken.from, Some(fence));
        assert_eq!(taken.blocks.len(), 1);
        assert_eq!(taken.blocks[0].code, "ls\n");
        assert_eq!(tracker.hold_from(), None);
    }

    #[test]
    fn a_block_inside_one_delta_holds_from_that_delta_s_line() {
        let (tracker, _) = feed(&["Intro.\n", "Here:\n```sh\nls\n```\nok"]);
        assert_eq!(tracker.hold_from(), Some("Intro.\n".len()));
    }

    #[test]
    fn a_new_fence_after_a_closed_one_keeps_the_first_block_held() {
        let (mut tracker, text) = feed(&["```a\n", "x\n", "```\n", "mid\n", "```b\n", "y\n"]);
        assert_eq!(tracker.hold_from(), Some(0));
        assert_eq!(
            tracker.fence_from(),
            Some(text.find("```b").expect("second"))
        );
        let first = tracker.take();
        assert_eq!(first.from, Some(0));
        assert_eq!(tracker.hold_from(), tracker.fence_from());
        let last = tracker.finish(&text);
        assert_eq!(last.from, Some(text.find("```b").expect("second")));
        assert_eq!(last.blocks.len(), 1);
        assert!(!last.blocks[0].closed);
        assert_eq!(tracker.hold_from(), None);
    }

    #[test]
    fn offsets_are_bytes_on_char_boundaries() {
        let (tracker, text) = feed(&["é😀\n", "```\n", "ü\n"]);
        let from = tracker.hold_from().expect("held");
        assert_eq!(&text[from..], "```\nü\n");
    }
}
