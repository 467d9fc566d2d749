//! Tokenization of rendered prompts with special-token matching off, plus the verdict token ids
//! and the long-conversation policy.
//!
//! # Encoding
//!
//! `ids = [BOS] + encode(body)` where the body is the prompt without the template's own BOS text
//! (LG3-8B's reference template starts with `" <|begin_of_text|>"`, a space before BOS; Warden
//! feeds exactly one BOS at position 0, spec §2.2). Text is encoded with
//! `set_encode_special_tokens(true)`, so a control-token string typed by a user stays text; only
//! the template's own control tokens ([`RenderedPrompt::control_spans`]) become special ids.
//!
//! The body is encoded in one pass per text piece (the reference's ids) and `prefix_len` counts
//! the tokens that end within the prefix text. With the Llama 3 tokenizer `ids[..prefix_len]`
//! equals encoding the prefix alone, because the prefix ends with `>\n\n` and the pre-tokenizer
//! always ends a pre-token there (the `\n\n` is followed by a letter); `tests/tokenizer.rs`
//! checks `encode(whole) == encode(prefix) ++ encode(rest)` on many prompts against the real
//! tokenizer.
//!
//! # Long conversations
//!
//! [`GuardTokenizer::encode_conversation`] fits a conversation into `max_tokens` (the model's
//! context; [`GENERATION_RESERVE`] tokens are kept free for the verdict):
//!
//! 1. The whole conversation if it fits.
//! 2. Otherwise the oldest turns are dropped, two at a time so the conversation still starts with
//!    a user turn, until it fits. The judged turn (and, for `Agent`, the user turn before it) is
//!    always kept whole.
//! 3. If even that is too long, the judged turn is split into overlapping windows (a quarter of a
//!    window overlaps the next), each judged in its own prompt; the caller reports unsafe if any
//!    window is. For `Agent` the user turn before it is kept as context, cut to its last
//!    quarter of the budget when it is longer than that.
//!
//! Every case except the first reports a [`Truncation`].

use std::path::Path;

use tokenizers::Tokenizer;

use crate::classifier::{GuardError, JudgedRole, Truncation, Turn};
use crate::prompt::{GuardTurn, RenderedPrompt, fold_turns, render_folded, render_turn};
use crate::taxonomy::Taxonomy;

/// Tokens kept free after the prompt for the generated verdict (`\n\n` + verdict + categories +
/// stop token; the verdict needs at most 12).
pub const GENERATION_RESERVE: usize = 16;

/// Why a tokenizer could not be loaded or used.
#[derive(Debug, thiserror::Error)]
pub enum TokenizeError {
    #[error("cannot load tokenizer {path}: {message} (expected a Hugging Face tokenizer.json)")]
    Load { path: String, message: String },
    #[error("tokenizer has no token {token:?}; is this a Llama 3 tokenizer.json?")]
    MissingToken { token: String },
    #[error("tokenizer encodes {text:?} as {ids:?}, expected a single token")]
    NotSingleToken { text: String, ids: Vec<u32> },
    #[error("tokenization failed: {0}")]
    Encode(String),
}

impl From<TokenizeError> for GuardError {
    fn from(e: TokenizeError) -> Self {
        GuardError::Backend(e.to_string())
    }
}

/// A prompt as token ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedPrompt {
    /// BOS (when enabled) + prompt tokens.
    pub ids: Vec<u32>,
    /// `ids[..prefix_len]` depends only on (template, role, categories).
    pub prefix_len: usize,
    pub judged: JudgedRole,
    /// The rendered prompt text (reference rendering, BOS text included for LG3).
    pub text: String,
}

/// One conversation made to fit the context: usually one prompt, several when the judged turn
/// was split into windows.
#[derive(Debug, Clone, PartialEq)]
pub struct EncodedConversation {
    pub prompts: Vec<EncodedPrompt>,
    pub truncation: Option<Truncation>,
}

/// Token ids the scorer and the decoder need, looked up from the tokenizer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerdictTokens {
    /// `"safe"` (Llama 3: 19193).
    pub safe: u32,
    /// `"unsafe"` (39257).
    pub unsafe_: u32,
    /// `" safe"` (6220): LG2's fine-tuning layout puts a space before the label.
    pub space_safe: u32,
    /// `" unsafe"` (20451).
    pub space_unsafe: u32,
    /// `"\n\n"` (271): LG3 emits it before the verdict, so LG3 is scored after appending it.
    pub double_newline: u32,
    /// Generation stops at any of these (`<|end_of_text|>` 128001, `<|eot_id|>` 128009).
    pub stop: Vec<u32>,
}

/// A Hugging Face tokenizer configured for Llama Guard prompts.
#[derive(Debug, Clone)]
pub struct GuardTokenizer {
    inner: Tokenizer,
    bos: Option<u32>,
}

impl GuardTokenizer {
    /// Loads `tokenizer.json`; BOS on (`<|begin_of_text|>`, or `<s>` for Llama 2 tokenizers).
    pub fn from_file(path: &Path) -> Result<Self, TokenizeError> {
        let inner = Tokenizer::from_file(path).map_err(|e| TokenizeError::Load {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        Self::from_tokenizer(inner)
    }

    /// From the bytes of a `tokenizer.json`.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, TokenizeError> {
        let inner = Tokenizer::from_bytes(bytes).map_err(|e| TokenizeError::Load {
            path: "<bytes>".to_string(),
            message: e.to_string(),
        })?;
        Self::from_tokenizer(inner)
    }

    fn from_tokenizer(mut inner: Tokenizer) -> Result<Self, TokenizeError> {
        inner.set_encode_special_tokens(true);
        let bos = ["<|begin_of_text|>", "<s>"]
            .iter()
            .find_map(|t| inner.token_to_id(t))
            .ok_or_else(|| TokenizeError::MissingToken {
                token: "<|begin_of_text|>".to_string(),
            })?;
        Ok(GuardTokenizer {
            inner,
            bos: Some(bos),
        })
    }

    /// Turns the leading BOS on or off (on by default; spec §2.2).
    pub fn with_bos(mut self, on: bool) -> Self {
        if on {
            if self.bos.is_none() {
                self.bos = ["<|begin_of_text|>", "<s>"]
                    .iter()
                    .find_map(|t| self.inner.token_to_id(t));
            }
        } else {
            self.bos = None;
        }
        self
    }

    /// The BOS id fed at position 0, if enabled.
    pub fn bos_id(&self) -> Option<u32> {
        self.bos
    }

    /// The underlying tokenizer (special-token matching is off on it).
    pub fn inner(&self) -> &Tokenizer {
        &self.inner
    }

    /// Encodes plain text with special-token matching off (no BOS).
    pub fn encode_text(&self, text: &str) -> Result<Vec<u32>, TokenizeError> {
        if text.is_empty() {
            return Ok(Vec::new());
        }
        let encoding = self
            .inner
            .encode(text, false)
            .map_err(|e| TokenizeError::Encode(e.to_string()))?;
        Ok(encoding.get_ids().to_vec())
    }

    /// Decodes ids to text, special tokens included (`skip_special_tokens = false`).
    pub fn decode(&self, ids: &[u32]) -> Result<String, TokenizeError> {
        self.inner
            .decode(ids, false)
            .map_err(|e| TokenizeError::Encode(e.to_string()))
    }

    /// The id of one token string (special or not).
    pub fn token_id(&self, token: &str) -> Result<u32, TokenizeError> {
        self.inner
            .token_to_id(token)
            .ok_or_else(|| TokenizeError::MissingToken {
                token: token.to_string(),
            })
    }

    fn single_token(&self, text: &str) -> Result<u32, TokenizeError> {
        let ids = self.encode_text(text)?;
        match ids.as_slice() {
            [id] => Ok(*id),
            _ => Err(TokenizeError::NotSingleToken {
                text: text.to_string(),
                ids,
            }),
        }
    }

    /// Looks the verdict and stop tokens up (not hard-coded).
    pub fn verdict_tokens(&self) -> Result<VerdictTokens, TokenizeError> {
        let mut stop = Vec::new();
        for token in ["<|end_of_text|>", "<|eot_id|>"] {
            if let Some(id) = self.inner.token_to_id(token) {
                stop.push(id);
            }
        }
        if stop.is_empty() {
            stop.push(self.token_id("</s>")?);
        }
        Ok(VerdictTokens {
            safe: self.single_token("safe")?,
            unsafe_: self.single_token("unsafe")?,
            space_safe: self.single_token(" safe")?,
            space_unsafe: self.single_token(" unsafe")?,
            double_newline: self.single_token("\n\n")?,
            stop,
        })
    }

    /// Encodes `text[range]`, turning the control spans inside it into special ids.
    fn encode_range(
        &self,
        prompt: &RenderedPrompt,
        start: usize,
        end: usize,
        out: &mut Vec<u32>,
    ) -> Result<(), TokenizeError> {
        let mut cursor = start;
        for span in &prompt.control_spans {
            if span.end <= start || span.start >= end {
                continue;
            }
            out.extend(self.encode_text(&prompt.text[cursor..span.start])?);
            out.push(self.token_id(&prompt.text[span.clone()])?);
            cursor = span.end;
        }
        out.extend(self.encode_text(&prompt.text[cursor..end])?);
        Ok(())
    }

    /// Encodes a rendered prompt: `[BOS] + body`, the body in one pass per text piece between
    /// the template's control tokens, so the ids are exactly the whole prompt's. `prefix_len`
    /// counts the tokens that end within the prefix text.
    pub fn encode(&self, prompt: &RenderedPrompt) -> Result<EncodedPrompt, TokenizeError> {
        let mut ids: Vec<u32> = Vec::with_capacity(prompt.text.len() / 3 + 8);
        ids.extend(self.bos);
        let mut prefix_len: Option<usize> = None;
        let boundary = prompt.prefix_len;
        let text_piece =
            |start: usize, end: usize, ids: &mut Vec<u32>, prefix_len: &mut Option<usize>| {
                if start >= end {
                    return Ok::<(), TokenizeError>(());
                }
                let encoding = self
                    .inner
                    .encode(&prompt.text[start..end], false)
                    .map_err(|e| TokenizeError::Encode(e.to_string()))?;
                for (id, offsets) in encoding.get_ids().iter().zip(encoding.get_offsets()) {
                    if prefix_len.is_none() && start + offsets.1 > boundary {
                        *prefix_len = Some(ids.len());
                    }
                    ids.push(*id);
                }
                Ok(())
            };
        let mut cursor = prompt.bos_len;
        for span in &prompt.control_spans {
            if span.start < cursor {
                continue;
            }
            text_piece(cursor, span.start, &mut ids, &mut prefix_len)?;
            if prefix_len.is_none() && span.end > boundary {
                prefix_len = Some(ids.len());
            }
            ids.push(self.token_id(&prompt.text[span.clone()])?);
            cursor = span.end;
        }
        text_piece(cursor, prompt.text.len(), &mut ids, &mut prefix_len)?;
        let prefix_len = prefix_len.unwrap_or(ids.len());
        Ok(EncodedPrompt {
            ids,
            prefix_len,
            judged: prompt.judged,
            text: prompt.text.clone(),
        })
    }

    /// `[BOS] + prefix` and the rest, each encoded on its own. For the Llama 3 tokenizer their
    /// concatenation equals [`GuardTokenizer::encode`] (tests check it), which is what makes a
    /// prefix KV cache valid.
    pub fn encode_parts(
        &self,
        prompt: &RenderedPrompt,
    ) -> Result<(Vec<u32>, Vec<u32>), TokenizeError> {
        let mut prefix = Vec::new();
        prefix.extend(self.bos);
        self.encode_range(prompt, prompt.bos_len, prompt.prefix_len, &mut prefix)?;
        let mut rest = Vec::new();
        self.encode_range(prompt, prompt.prefix_len, prompt.text.len(), &mut rest)?;
        Ok((prefix, rest))
    }

    /// Folds, renders and encodes `turns`, fitting them into `max_tokens` (module doc).
    pub fn encode_conversation(
        &self,
        taxonomy: &Taxonomy,
        turns: &[Turn],
        max_tokens: usize,
    ) -> Result<EncodedConversation, GuardError> {
        let folded = fold_turns(turns)?;
        let budget = max_tokens.saturating_sub(GENERATION_RESERVE);
        let encode = |turns: &[GuardTurn]| -> Result<EncodedPrompt, GuardError> {
            Ok(self.encode(&render_folded(taxonomy, turns))?)
        };

        let whole = encode(&folded)?;
        if whole.ids.len() <= budget {
            return Ok(EncodedConversation {
                prompts: vec![whole],
                truncation: None,
            });
        }

        // The smallest conversation that keeps the judged turn: the last user turn, plus the
        // assistant turn after it when the judged role is Agent.
        let minimal_len = match folded.last().map(|t| t.role) {
            Some(JudgedRole::Agent) => 2,
            _ => 1,
        };
        // Candidate starts drop whole (user, assistant) pairs, so every start is a user turn.
        let starts: Vec<usize> = (0..=folded.len() - minimal_len).step_by(2).collect();
        // Each turn ends with "\n\n" and the next starts with a letter, where the Llama 3
        // pre-tokenizer always splits, so a prompt's length is its template overhead plus the
        // sum of its turns' lengths: count each turn once and pick the start arithmetically.
        let mut turn_tokens = Vec::with_capacity(folded.len());
        for turn in &folded {
            turn_tokens.push(self.encode_text(&render_turn(turn))?.len());
        }
        let overhead = whole
            .ids
            .len()
            .saturating_sub(turn_tokens.iter().sum::<usize>());
        let mut best: Option<(usize, EncodedPrompt)> = None;
        let predicted = starts
            .iter()
            .copied()
            .find(|&s| overhead + turn_tokens[s..].iter().sum::<usize>() <= budget);
        if let Some(start) = predicted {
            let candidate = encode(&folded[start..])?;
            if candidate.ids.len() <= budget {
                best = Some((start, candidate));
            }
        }
        if best.is_none() && predicted.is_none() {
            // Confirm that even the smallest conversation is too long before splitting.
            let start = starts[starts.len() - 1];
            let candidate = encode(&folded[start..])?;
            if candidate.ids.len() <= budget {
                best = Some((start, candidate));
            }
        } else if best.is_none() {
            // The prediction was off (a tokenizer without that split): binary search the first
            // start that fits (fewer turns never make a prompt longer).
            let (mut lo, mut hi) = (0usize, starts.len());
            while lo < hi {
                let mid = (lo + hi) / 2;
                let candidate = encode(&folded[starts[mid]..])?;
                if candidate.ids.len() <= budget {
                    best = Some((starts[mid], candidate));
                    hi = mid;
                } else {
                    lo = mid + 1;
                }
            }
        }
        if let Some((start, prompt)) = best {
            return Ok(EncodedConversation {
                prompts: vec![prompt],
                truncation: Some(Truncation {
                    dropped_turns: start,
                    windows: 1,
                }),
            });
        }

        let start = folded.len() - minimal_len;
        let context: Vec<GuardTurn> = folded[start..folded.len() - 1].to_vec();
        let judged = folded[folded.len() - 1].clone();
        let prompts = self.windows(taxonomy, context, &judged, budget)?;
        Ok(EncodedConversation {
            truncation: Some(Truncation {
                dropped_turns: start,
                windows: prompts.len(),
            }),
            prompts,
        })
    }

    /// Splits the judged turn into overlapping windows that each fit `budget` with `context`.
    fn windows(
        &self,
        taxonomy: &Taxonomy,
        mut context: Vec<GuardTurn>,
        judged: &GuardTurn,
        budget: usize,
    ) -> Result<Vec<EncodedPrompt>, GuardError> {
        let encode = |turns: &[GuardTurn]| -> Result<EncodedPrompt, GuardError> {
            Ok(self.encode(&render_folded(taxonomy, turns))?)
        };
        // The user turn before a judged Agent turn is context; keep at most a quarter of the
        // budget of it (its end, nearest to the answer).
        let context_cap = budget / 4;
        for turn in &mut context {
            let cut = self.tail_within(&turn.content, context_cap)?;
            if cut.len() < turn.content.len() {
                turn.content = cut;
            }
        }
        let mut probe = context.clone();
        probe.push(GuardTurn {
            role: judged.role,
            content: String::new(),
        });
        let overhead = encode(&probe)?.ids.len();
        if overhead + 8 > budget {
            return Err(GuardError::InvalidConversation(format!(
                "the prompt template and categories alone take {overhead} tokens, more than \
                 the {budget} available; use fewer or shorter categories"
            )));
        }

        let content = judged.content.as_str();
        let encoding = self
            .inner
            .encode(content, false)
            .map_err(|e| TokenizeError::Encode(e.to_string()))?;
        let offsets: Vec<usize> = encoding.get_offsets().iter().map(|o| o.0).collect();
        let n = offsets.len();
        // Re-encoding a window can add a token or two at its edges; leave slack and shrink if
        // a rendered window still does not fit.
        let mut window = (budget - overhead).saturating_sub(4).max(4);
        loop {
            let step = (window - window / 4).max(1);
            let mut prompts = Vec::new();
            let mut first = 0usize;
            let mut fits = true;
            loop {
                let last = (first + window).min(n);
                let start_byte = char_floor(content, offsets.get(first).copied().unwrap_or(0));
                let end_byte = if last >= n {
                    content.len()
                } else {
                    char_floor(content, offsets[last])
                };
                let mut turns = context.clone();
                turns.push(GuardTurn {
                    role: judged.role,
                    content: content[start_byte..end_byte].to_string(),
                });
                let prompt = encode(&turns)?;
                if prompt.ids.len() > budget {
                    fits = false;
                    break;
                }
                prompts.push(prompt);
                if last >= n {
                    break;
                }
                first += step;
            }
            if fits {
                return Ok(prompts);
            }
            if window <= 4 {
                return Err(GuardError::InvalidConversation(
                    "the judged turn cannot be split into windows that fit the context".into(),
                ));
            }
            window = window * 9 / 10;
        }
    }

    /// The longest suffix of `text` (cut at a token boundary) of at most `max_tokens` tokens.
    fn tail_within(&self, text: &str, max_tokens: usize) -> Result<String, TokenizeError> {
        let encoding = self
            .inner
            .encode(text, false)
            .map_err(|e| TokenizeError::Encode(e.to_string()))?;
        let offsets = encoding.get_offsets();
        if offsets.len() <= max_tokens {
            return Ok(text.to_string());
        }
        let first = offsets.len() - max_tokens;
        let start = char_ceil(text, offsets[first].0);
        Ok(text[start..].to_string())
    }
}

/// The largest char boundary at or below `i`.
fn char_floor(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The smallest char boundary at or above `i`.
fn char_ceil(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i += 1;
    }
    i
}
