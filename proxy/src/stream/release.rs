//! The in-order release rule over held frames.
//!
//! Frames leave strictly in arrival order, so only the front of the queue is ever judged: it
//! leaves when every choice it carries text for is clear up to the end of that text (and, for a
//! frame that finishes a choice, that choice's final check passed). What "clear" means is the
//! engine's business per mode ([`Gate::clear_to`]); this module only applies it.

use std::time::Instant;

use bytes::Bytes;
use serde_json::Value;

use super::frames::{StreamKind, choice_index, encode_frame};

/// What a held frame needs before release, per choice it carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Need {
    pub choice: u32,
    /// The choice's text length (bytes) once this frame's text is included.
    pub text_end: usize,
    /// The frame finishes the choice: it waits for the final check.
    pub finish: bool,
}

/// A frame waiting in the queue.
#[derive(Debug)]
pub(super) struct Held {
    pub raw: Bytes,
    pub needs: Vec<Need>,
    /// The payload, kept when the frame carries several choices (to drop a blocked one).
    pub value: Option<Value>,
    /// When it arrived from the upstream; `None` for frames the engine wrote.
    pub arrived: Option<Instant>,
    /// The upstream's `[DONE]`, replaced by the engine's own when it cuts the stream.
    pub done_sentinel: bool,
}

impl Held {
    /// A frame the engine wrote itself (a terminal frame): needs nothing.
    pub fn written(raw: Bytes) -> Held {
        Held {
            raw,
            needs: Vec::new(),
            value: None,
            arrived: None,
            done_sentinel: false,
        }
    }
}

/// How far one choice is clear for release.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Gate {
    pub blocked: bool,
    /// Text up to this byte offset may leave.
    pub clear_to: usize,
    pub final_passed: bool,
}

/// What to do with the front frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Release {
    Wait,
    Whole,
    /// Release it re-encoded without the entries of blocked choices.
    WithoutBlocked,
}

/// The release verdict for a frame with `needs`, given each choice's gate (`None`: a choice
/// the engine does not know, which holds nothing).
pub(super) fn verdict(needs: &[Need], gate: impl Fn(u32) -> Option<Gate>) -> Release {
    let mut touches_blocked = false;
    for need in needs {
        let Some(gate) = gate(need.choice) else {
            continue;
        };
        if gate.blocked {
            touches_blocked = true;
            continue;
        }
        if gate.clear_to < need.text_end || (need.finish && !gate.final_passed) {
            return Release::Wait;
        }
    }
    if touches_blocked {
        Release::WithoutBlocked
    } else {
        Release::Whole
    }
}

/// The frame re-encoded without the entries of blocked choices; `None` when nothing else is
/// left in it (or it only ever carried a blocked choice).
pub(super) fn without_blocked(
    kind: StreamKind,
    value: Option<Value>,
    blocked: impl Fn(u32) -> bool,
) -> Option<Bytes> {
    let mut value = value?;
    let choices = value.get_mut("choices")?.as_array_mut()?;
    let mut position = 0;
    choices.retain(|entry| {
        let index = choice_index(entry, position);
        position += 1;
        !blocked(index)
    });
    if choices.is_empty() {
        return None;
    }
    Some(encode_frame(kind, &value))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn need(choice: u32, text_end: usize, finish: bool) -> Need {
        Need {
            choice,
            text_end,
            finish,
        }
    }

    fn open(clear_to: usize) -> Option<Gate> {
        Some(Gate {
            blocked: false,
            clear_to,
            final_passed: false,
        })
    }

    #[test]
    fn a_frame_leaves_once_its_text_is_clear() {
        let needs = [need(0, 10, false)];
        assert_eq!(verdict(&needs, |_| open(9)), Release::Wait);
        assert_eq!(verdict(&needs, |_| open(10)), Release::Whole);
        // Frames without text (comments, role frames) need nothing.
        assert_eq!(verdict(&[], |_| None), Release::Whole);
        assert_eq!(verdict(&needs, |_| None), Release::Whole);
    }

    #[test]
    fn a_finishing_frame_waits_for_the_final_check() {
        let needs = [need(0, 10, true)];
        assert_eq!(verdict(&needs, |_| open(usize::MAX)), Release::Wait);
        let passed = Gate {
            blocked: false,
            clear_to: 10,
            final_passed: true,
        };
        assert_eq!(verdict(&needs, |_| Some(passed)), Release::Whole);
    }

    #[test]
    fn every_choice_of_a_frame_must_be_clear() {
        let needs = [need(0, 5, false), need(1, 7, false)];
        let gates = |clear: [usize; 2]| move |c: u32| open(clear[c as usize]);
        assert_eq!(verdict(&needs, gates([5, 6])), Release::Wait);
        assert_eq!(verdict(&needs, gates([4, 7])), Release::Wait);
        assert_eq!(verdict(&needs, gates([5, 7])), Release::Whole);
        let one_blocked = |c: u32| {
            if c == 1 {
                Some(Gate {
                    blocked: true,
                    clear_to: 0,
                    final_passed: false,
                })
            } else {
                open(5)
            }
        };
        assert_eq!(verdict(&needs, one_blocked), Release::WithoutBlocked);
    }

    #[test]
    fn re_encoding_drops_only_blocked_choices() {
        let value = serde_json::json!({"id":"x","choices":[
            {"index":0,"delta":{"content":"a"}},
            {"index":1,"delta":{"content":"b"}}
        ]});
        let bytes = without_blocked(StreamKind::OpenAiChat, Some(value.clone()), |c| c == 1)
            .expect("choice 0 is left");
        let text = String::from_utf8(bytes.to_vec()).expect("utf-8");
        assert!(text.starts_with("data: ") && text.ends_with("\n\n"));
        assert!(text.contains("\"a\"") && !text.contains("\"b\""));
        assert_eq!(
            without_blocked(StreamKind::OpenAiChat, Some(value), |_| true),
            None
        );
        assert_eq!(
            without_blocked(StreamKind::OpenAiChat, None, |_| true),
            None
        );
    }
}
