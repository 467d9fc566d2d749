//! When a window check is due and what it judges: pure functions over character counts.
//!
//! The schedule is progressive with anchored growth (ADR 006). While the checked prefix of a
//! choice is shorter than `size`, the next check is due at `max(first, 2 x checked)` characters
//! (capped at `size`) and judges the answer from its start: the guard keeps the stream's keys
//! and values between checks (ADR 005), so such a check computes only its new text plus the
//! closing instruction, and the first text reaches the client after `first` characters instead
//! of a whole window. From `size` on, windows slide: a check is due every `size` new
//! characters and reaches `overlap` characters back into the previous one. `first == size` is
//! exactly the old fixed schedule.
//!
//! Counts are in characters (what the policy speaks); [`back_by_chars`] turns them into byte
//! offsets on char boundaries of the text the engine holds.

/// The window schedule of `window` and `async` streaming.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowSchedule {
    /// Characters before the first check.
    pub first: usize,
    /// The full window: growth stops here, and sliding windows are this long.
    pub size: usize,
    /// Characters each sliding window reaches back into the previous one.
    pub overlap: usize,
}

/// Where the text a check judges starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Judged {
    /// The answer from its first character (growth: the guard reuses the kept prefix).
    FromStart,
    /// This many characters before the first unchecked one (a sliding window's overlap).
    Back(usize),
}

impl WindowSchedule {
    /// A progressive schedule; `first` is clamped into `1..=size` and `size` to at least 1, so
    /// every schedule makes progress.
    pub fn progressive(first: usize, size: usize, overlap: usize) -> WindowSchedule {
        let size = size.max(1);
        WindowSchedule {
            first: first.clamp(1, size),
            size,
            overlap,
        }
    }

    /// Today's fixed windows: every `size` characters from the start.
    pub fn fixed(size: usize, overlap: usize) -> WindowSchedule {
        WindowSchedule::progressive(size, size, overlap)
    }

    /// The choice length (in characters) at which the next check is due, once `checked`
    /// characters have been checked.
    pub fn due_at(&self, checked: usize) -> usize {
        if checked < self.size {
            self.first.max(checked.saturating_mul(2)).min(self.size)
        } else {
            checked.saturating_add(self.size)
        }
    }

    /// Whether a choice of `total` characters, `checked` of them checked, needs a check now.
    pub fn is_due(&self, checked: usize, total: usize) -> bool {
        total > checked && total >= self.due_at(checked)
    }

    /// What a check started after `checked` characters judges.
    pub fn judged_from(&self, checked: usize) -> Judged {
        if checked < self.size {
            Judged::FromStart
        } else {
            Judged::Back(self.overlap)
        }
    }
}

/// The byte offset `n` characters before byte offset `end` of `text` (clamped at 0). `end`
/// must be a char boundary; so is the result.
pub fn back_by_chars(text: &str, end: usize, n: usize) -> usize {
    if n == 0 {
        return end;
    }
    text[..end]
        .char_indices()
        .rev()
        .take(n)
        .last()
        .map_or(end, |(i, _)| i)
}

/// The byte offset where a check judges from, for a check of `text` whose unchecked part
/// starts at byte `start`.
pub fn judged_byte(text: &str, start: usize, judged: Judged) -> usize {
    match judged {
        Judged::FromStart => 0,
        Judged::Back(n) => back_by_chars(text, start, n),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The check points (in characters) of an answer of `len` characters that grows one
    /// character at a time.
    fn due_points(schedule: WindowSchedule, len: usize) -> Vec<usize> {
        let mut checked = 0;
        let mut points = Vec::new();
        for total in 1..=len {
            if schedule.is_due(checked, total) {
                points.push(total);
                checked = total;
            }
        }
        points
    }

    #[test]
    fn growth_doubles_from_the_first_window_up_to_the_full_window() {
        let schedule = WindowSchedule::progressive(128, 1000, 200);
        assert_eq!(
            due_points(schedule, 3000),
            vec![128, 256, 512, 1000, 2000, 3000]
        );
        let small = WindowSchedule::progressive(64, 1000, 200);
        assert_eq!(due_points(small, 1200), vec![64, 128, 256, 512, 1000]);
    }

    #[test]
    fn first_equal_to_size_is_the_fixed_schedule() {
        let fixed = WindowSchedule::fixed(10, 3);
        assert_eq!(fixed, WindowSchedule::progressive(10, 10, 3));
        assert_eq!(due_points(fixed, 35), vec![10, 20, 30]);
        for checked in [0, 9, 10, 11, 25] {
            let expected = if checked < 10 { 10 } else { checked + 10 };
            assert_eq!(fixed.due_at(checked), expected);
        }
    }

    #[test]
    fn growth_judges_from_the_start_and_sliding_windows_overlap() {
        let schedule = WindowSchedule::progressive(4, 16, 3);
        for checked in 0..16 {
            assert_eq!(schedule.judged_from(checked), Judged::FromStart);
        }
        for checked in 16..40 {
            assert_eq!(schedule.judged_from(checked), Judged::Back(3));
        }
    }

    #[test]
    fn overshooting_frames_anchor_the_next_point_on_what_was_checked() {
        // A frame carried the text past a point: the next one doubles what was checked.
        let schedule = WindowSchedule::progressive(100, 1000, 0);
        assert_eq!(schedule.due_at(0), 100);
        assert_eq!(schedule.due_at(130), 260);
        assert_eq!(schedule.due_at(600), 1000);
        assert_eq!(schedule.due_at(1003), 2003);
        assert!(!schedule.is_due(130, 259));
        assert!(schedule.is_due(130, 260));
        // Nothing new: never due, however the numbers fall.
        assert!(!schedule.is_due(2003, 2003));
    }

    #[test]
    fn bounds_are_clamped_so_every_schedule_makes_progress() {
        assert_eq!(WindowSchedule::progressive(0, 10, 1).first, 1);
        assert_eq!(WindowSchedule::progressive(50, 10, 1).first, 10);
        let degenerate = WindowSchedule::progressive(0, 0, 0);
        assert_eq!((degenerate.first, degenerate.size), (1, 1));
        assert_eq!(due_points(degenerate, 3), vec![1, 2, 3]);
        assert_eq!(WindowSchedule::fixed(10, 0).due_at(usize::MAX), usize::MAX);
    }

    #[test]
    fn every_schedule_checks_each_prefix_once_and_in_order() {
        for first in 1..=12 {
            for size in first..=12 {
                let schedule = WindowSchedule::progressive(first, size, 2);
                let points = due_points(schedule, 60);
                assert_eq!(points[0], first, "first={first} size={size}");
                assert!(points.windows(2).all(|w| w[0] < w[1]));
                // Growth never steps past a full window, sliding steps are exactly one.
                for w in points.windows(2) {
                    assert!(w[1] - w[0] <= size, "first={first} size={size}: {points:?}");
                }
                assert!(60 - points.last().copied().unwrap_or(0) < size);
            }
        }
    }

    #[test]
    fn character_offsets_become_byte_offsets_on_char_boundaries() {
        let text = "aé😀b";
        // Bytes: a=0, é=1..3, 😀=3..7, b=7..8.
        assert_eq!(back_by_chars(text, 8, 0), 8);
        assert_eq!(back_by_chars(text, 8, 1), 7);
        assert_eq!(back_by_chars(text, 8, 2), 3);
        assert_eq!(back_by_chars(text, 7, 2), 1);
        assert_eq!(back_by_chars(text, 8, 99), 0);
        assert_eq!(back_by_chars(text, 0, 3), 0);
        for end in [0, 1, 3, 7, 8] {
            for n in 0..6 {
                assert!(text.is_char_boundary(back_by_chars(text, end, n)));
            }
        }
        assert_eq!(judged_byte(text, 7, Judged::FromStart), 0);
        assert_eq!(judged_byte(text, 7, Judged::Back(1)), 3);
    }
}
