//! Property tests of the fence tracker: for any markdown-ish text cut into deltas at any char
//! boundary, and scans finishing at any time,
//!
//! - the blocks taken for scans are exactly the blocks of the whole text
//!   (`warden_code_scan::extract_fenced`), whatever the cut;
//! - nothing of a block that was not yet taken for a scan may be released: the hold boundary
//!   never lies past the start of the line that opens such a block, once that line has begun
//!   to arrive;
//! - the tracker that leaves prose unread until a delta may matter reports, after every delta,
//!   take and finish (text after a finish included), exactly what the one that feeds every
//!   delta to the extractor reports: the same offsets, and the same blocks with the same lines.

use proptest::prelude::*;
use warden_code_scan::{CodeBlock, extract_fenced};

use super::FenceTracker;

fn markdown() -> impl Strategy<Value = String> {
    let piece = prop::sample::select(vec![
        "```",
        "```python\n",
        "```sh\n",
        "~~~\n",
        "````\n",
        "   ```\n",
        "    ```\n",
        "\t```\n",
        "`",
        "``",
        "\n",
        "\r\n",
        "Some prose. ",
        "é😀",
        "> ",
        "- ",
        "import os\n",
        "os.system(x)\n",
        "  ",
        "~~~~",
        "```js title=\"a\"\n",
    ]);
    prop::collection::vec(piece, 0..24).prop_map(|p| p.concat())
}

/// Byte offset where 1-based line `line` starts.
fn line_start(text: &str, line: usize) -> usize {
    if line <= 1 {
        return 0;
    }
    text.match_indices('\n')
        .nth(line - 2)
        .map_or(text.len(), |(i, _)| i + 1)
}

/// Sorted char-boundary offsets from `0` to `text.len()` where `text` is cut into deltas.
fn cut_points(text: &str, cuts: &[prop::sample::Index]) -> Vec<usize> {
    let mut at: Vec<usize> = cuts
        .iter()
        .map(|c| c.index(text.len() + 1))
        .filter(|&i| text.is_char_boundary(i))
        .collect();
    at.push(0);
    at.push(text.len());
    at.sort_unstable();
    at.dedup();
    at
}

fn summary(blocks: &[CodeBlock]) -> Vec<(String, usize, bool, Option<String>)> {
    blocks
        .iter()
        .map(|b| (b.code.clone(), b.line, b.closed, b.info.clone()))
        .collect()
}

proptest! {
    // Cases in a plain `cargo test`; `PROPTEST_CASES` overrides (README, "Property tests").
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_cut_finds_the_whole_text_s_blocks_and_releases_none_unscanned(
        text in markdown(),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..12),
        takes in prop::collection::vec(any::<bool>(), 12),
    ) {
        let expected = extract_fenced(&text);
        // Where each block's fence line starts: nothing from there may leave before its scan.
        let fence_lines: Vec<usize> = expected
            .iter()
            .map(|b| line_start(&text, b.line.saturating_sub(1)))
            .collect();

        let at = cut_points(&text, &cuts);

        let mut tracker = FenceTracker::default();
        let mut so_far = String::new();
        let mut taken: Vec<CodeBlock> = Vec::new();
        for (step, pair) in at.windows(2).enumerate() {
            let start = so_far.len();
            so_far.push_str(&text[pair[0]..pair[1]]);
            tracker.push(&so_far, start);
            let releasable = tracker.hold_from().unwrap_or(so_far.len());
            for (i, &fence) in fence_lines.iter().enumerate().skip(taken.len()) {
                if fence < so_far.len() {
                    prop_assert!(
                        releasable <= fence,
                        "block {} (fence line at {}) not scanned yet, but {} bytes releasable of {:?}",
                        i, fence, releasable, so_far
                    );
                }
            }
            if tracker.has_pending() && takes[step % takes.len()] {
                let batch = tracker.take();
                prop_assert!(batch.from.is_some());
                taken.extend(batch.blocks);
            }
        }
        taken.extend(tracker.finish(&so_far).blocks);
        prop_assert_eq!(summary(&taken), summary(&expected));
        prop_assert_eq!(tracker.hold_from(), None);
    }

    #[test]
    fn leaving_prose_unread_reports_what_feeding_every_delta_reports(
        text in mixed(),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..16),
        takes in prop::collection::vec(any::<bool>(), 16),
        finish_at in prop::option::of(any::<prop::sample::Index>()),
    ) {
        let at = cut_points(&text, &cuts);
        let steps = at.len() - 1;
        let finish_step = finish_at.map(|i| i.index(steps.max(1)));

        let mut lazy = FenceTracker::default();
        let mut eager = FenceTracker::eager();
        let mut so_far = String::new();
        for (step, pair) in at.windows(2).enumerate() {
            let start = so_far.len();
            so_far.push_str(&text[pair[0]..pair[1]]);
            lazy.push(&so_far, start);
            eager.push(&so_far, start);
            prop_assert_eq!(lazy.hold_from(), eager.hold_from(), "{:?}", so_far);
            prop_assert_eq!(lazy.fence_from(), eager.fence_from());
            prop_assert_eq!(lazy.has_pending(), eager.has_pending());
            if takes[step % takes.len()] {
                let (l, e) = (lazy.take(), eager.take());
                prop_assert_eq!(l.from, e.from);
                prop_assert_eq!(l.blocks, e.blocks);
            }
            if finish_step == Some(step) {
                // A misbehaving upstream may send text after its finish.
                let (l, e) = (lazy.finish(&so_far), eager.finish(&so_far));
                prop_assert_eq!(l.from, e.from);
                prop_assert_eq!(l.blocks, e.blocks, "{:?}", so_far);
            }
        }
        let (l, e) = (lazy.finish(&so_far), eager.finish(&so_far));
        prop_assert_eq!(l.from, e.from);
        prop_assert_eq!(l.blocks, e.blocks, "{:?}", so_far);
    }
}

/// Mostly prose (the lazy path), with fences, marks mid-line, and blank or deeply indented
/// partial lines (which may still become fences) between.
fn mixed() -> impl Strategy<Value = String> {
    let piece = prop::sample::select(vec![
        "Plain prose, no marks. ",
        "word ",
        "\n",
        "\r\n",
        "\n\n",
        "  ",
        "\t",
        "\u{3000}",
        "                ",
        "é😀",
        "mid `code` here ",
        "~ tilde ",
        "```",
        "```python\n",
        "~~~\n",
        "````\n",
        "`",
        "import os\n",
        "os.system(x)\n",
    ]);
    prop::collection::vec(piece, 0..32).prop_map(|p| p.concat())
}
