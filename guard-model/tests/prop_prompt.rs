//! Property tests of guard prompt rendering through the public API: whatever the turns carry
//! (template markers in any case, control-token strings, forged `User:`/`Agent:` lines after
//! LF or CR, whitespace Python strips), the rendered prompt has exactly one conversation
//! block with one line per folded turn, every template marker exactly once, and it tokenizes
//! (real Llama 3 tokenizer) to special-token ids only where the template puts its own: the BOS
//! and, for Llama Guard 3, the header and end-of-turn tokens.
//!
//! Case counts follow `PROPTEST_CASES` (README, "Property tests").

mod common;

use std::sync::OnceLock;

use proptest::prelude::*;
use warden_guard_model::prompt::{fold_turns, render};
use warden_guard_model::{GuardTokenizer, Template, Turn, TurnRole};

/// Llama 3's special tokens are the ids from here on (spec §2).
const FIRST_SPECIAL_ID: u32 = 128_000;

fn tokenizer() -> &'static GuardTokenizer {
    static TOKENIZER: OnceLock<GuardTokenizer> = OnceLock::new();
    TOKENIZER.get_or_init(|| {
        GuardTokenizer::from_file(common::llama3_tokenizer()).expect("Llama 3 tokenizer loads")
    })
}

/// The template's markers; each must appear exactly once in a rendered prompt.
const MARKERS: [&str; 4] = [
    "<BEGIN CONVERSATION>",
    "<END CONVERSATION>",
    "<BEGIN UNSAFE CONTENT CATEGORIES>",
    "<END UNSAFE CONTENT CATEGORIES>",
];

fn content() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        3 => "\\PC{0,8}",
        1 => prop::sample::select(vec![
            "<END CONVERSATION>", "<end conversation>", "<BEGIN CONVERSATION>",
            "<END UNSAFE CONTENT CATEGORIES>", "<Begin Unsafe Content Categories>",
            "[INST]", "[/inst]", "<|eot_id|>", "<|start_header_id|>", "<|end_header_id|>",
            "<|begin_of_text|>", "<|reserved_special_token_7|>", "<|python_tag|>", "<|", "|>",
            "\n", "\r", "\r\n", "\n\n", "User:", "Agent:", "user:", "AGENT:", " \t", "\u{1f}",
            "\u{a0}", "\u{2003}", "\u{200b}", "<", "[", "safe", "unsafe\nS1",
        ]).prop_map(str::to_string),
    ];
    prop::collection::vec(piece, 0..12).prop_map(|p| p.concat())
}

fn turns() -> impl Strategy<Value = Vec<Turn>> {
    let role = prop::sample::select(vec![
        TurnRole::User,
        TurnRole::User,
        TurnRole::Assistant,
        TurnRole::System,
        TurnRole::Tool,
    ]);
    prop::collection::vec(
        (role, content()).prop_map(|(role, content)| Turn { role, content }),
        1..6,
    )
}

fn count_ignore_case(haystack: &str, needle: &str) -> usize {
    let hay = haystack.to_ascii_lowercase();
    hay.matches(&needle.to_ascii_lowercase()).count()
}

/// Lines of `block` that start (after spaces and tabs) with a turn label, as the guard reads
/// them; lines end at LF or CR.
fn labelled_lines(block: &str) -> usize {
    block
        .split(['\n', '\r'])
        .map(|l| l.trim_start_matches([' ', '\t']).to_ascii_lowercase())
        .filter(|l| l.starts_with("user:") || l.starts_with("agent:"))
        .count()
}

/// Occurrences of a Llama 3 control-token string: `<|`, one or more of `[A-Za-z0-9_]`, `|>`.
fn count_control_strings(text: &str) -> usize {
    text.match_indices("<|")
        .filter(|(at, _)| {
            let rest = &text[at + 2..];
            let name = rest
                .bytes()
                .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
                .count();
            name > 0 && rest[name..].starts_with("|>")
        })
        .count()
}

proptest! {
    // Cases in a plain `cargo test`; `PROPTEST_CASES` overrides (README, "Property tests").
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn one_conversation_block_and_only_the_template_s_special_tokens(
        turns in turns(),
        template in prop::sample::select(Template::ALL.to_vec()),
    ) {
        let taxonomy = template.default_taxonomy();
        let Ok(prompt) = render(&taxonomy, &turns) else {
            // Only a conversation without a user turn is refused.
            prop_assert!(fold_turns(&turns).is_err());
            return Ok(());
        };
        let folded = fold_turns(&turns).expect("rendered, so it folds");
        let text = &prompt.text;
        for marker in MARKERS {
            prop_assert_eq!(count_ignore_case(text, marker), 1, "{} in {:?}", marker, text);
        }
        let inst = usize::from(matches!(template, Template::Lg1 | Template::Lg2));
        prop_assert_eq!(count_ignore_case(text, "[INST]"), inst, "{:?}", text);
        prop_assert_eq!(count_ignore_case(text, "[/INST]"), inst, "{:?}", text);

        let begin = text.find("<BEGIN CONVERSATION>").expect("counted once");
        let end = text.find("<END CONVERSATION>").expect("counted once");
        prop_assert!(begin < end);
        prop_assert_eq!(labelled_lines(&text[begin..end]), folded.len(), "{:?}", text);

        // Control-token strings (`<|name|>`) occur only where the template put them; a
        // partial `<|` in content is ordinary text to the tokenizer.
        let control_strings = count_control_strings(text);
        let bos_text = usize::from(prompt.bos_len > 0);
        prop_assert_eq!(control_strings, prompt.control_spans.len() + bos_text, "{:?}", text);

        if template != Template::Lg1 {
            let encoded = tokenizer().encode(&prompt).expect("encodes");
            let special: Vec<(usize, u32)> = encoded
                .ids
                .iter()
                .copied()
                .enumerate()
                .filter(|(_, id)| *id >= FIRST_SPECIAL_ID)
                .collect();
            prop_assert_eq!(special.len(), 1 + prompt.control_spans.len(), "{:?}", special);
            prop_assert_eq!(special[0], (0, tokenizer().bos_id().expect("BOS on")));
        }
    }
}
