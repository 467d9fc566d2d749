//! The guard's answer: strict parsing of the generated text and the unsafe score from the
//! verdict tokens' log-probabilities (spec §4).
//!
//! # Score
//!
//! At the first generated position (for LG3, after its leading `"\n\n"`), with log-probabilities
//! from a log-softmax over the whole vocabulary:
//!
//! * `p_unsafe = P("unsafe") + P(" unsafe")` and `p_safe = P("safe") + P(" safe")`, because the
//!   Llama 3 tokenizer has both a bare and a space-prefixed form and LG2's fine-tuning layout
//!   (`prompt + " " + label`) may have taught either;
//! * `unsafe_score = p_unsafe / (p_unsafe + p_safe)`: normalised over the verdict mass, so the
//!   score is the probability of `unsafe` given that the model answers with a verdict. For a
//!   real guard nearly all mass is on these tokens and this equals the model card's raw
//!   first-token probability; normalising keeps the 0.5 threshold meaningful when a server only
//!   reports the top-k log-probs (missing forms count as probability 0) or when mass leaks to
//!   other tokens (a BOS mismatch, a quantised model).
//!
//! `logprob_safe` / `logprob_unsafe` report the bare tokens' own log-probabilities, unnormalised.

use crate::classifier::GuardError;
use crate::strip::python_strip;
use crate::taxonomy::Taxonomy;
use crate::tokenize::VerdictTokens;

/// A parsed guard answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardOutput {
    pub is_unsafe: bool,
    /// Codes in the order the model gave them, duplicates removed.
    pub categories: Vec<String>,
}

/// Stop-token strings a server may leave at the end of the text.
const STOP_STRINGS: [&str; 4] = ["<|eot_id|>", "<|end_of_text|>", "<|eom_id|>", "</s>"];

/// Parses `safe` or `unsafe` + an optional line of comma-separated codes, each of which must be
/// in `taxonomy`. Anything else is [`GuardError::UnparsableOutput`].
pub fn parse_output(text: &str, taxonomy: &Taxonomy) -> Result<GuardOutput, GuardError> {
    let unparsable = || GuardError::UnparsableOutput(text.to_string());
    let mut body = python_strip(text);
    loop {
        let before = body;
        for stop in STOP_STRINGS {
            if let Some(rest) = body.strip_suffix(stop) {
                body = python_strip(rest);
            }
        }
        if body == before {
            break;
        }
    }
    let mut lines = body.lines().map(python_strip);
    let verdict = lines.next().ok_or_else(unparsable)?;
    match verdict {
        "safe" => {
            if lines.next().is_some() {
                return Err(unparsable());
            }
            Ok(GuardOutput {
                is_unsafe: false,
                categories: Vec::new(),
            })
        }
        "unsafe" => {
            let mut categories: Vec<String> = Vec::new();
            if let Some(codes) = lines.next() {
                for code in codes.split(',').map(python_strip) {
                    if taxonomy.category(code).is_none() {
                        return Err(unparsable());
                    }
                    if !categories.iter().any(|c| c == code) {
                        categories.push(code.to_string());
                    }
                }
            }
            if lines.next().is_some() {
                return Err(unparsable());
            }
            Ok(GuardOutput {
                is_unsafe: true,
                categories,
            })
        }
        _ => Err(unparsable()),
    }
}

/// Log-probabilities of the four verdict tokens at the first generated position; `None` where
/// unknown (a server's top-k list without that token).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct VerdictLogprobs {
    pub safe: Option<f32>,
    pub unsafe_: Option<f32>,
    pub space_safe: Option<f32>,
    pub space_unsafe: Option<f32>,
}

/// The score computed from [`VerdictLogprobs`] (module doc).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VerdictScore {
    pub unsafe_score: f32,
    pub logprob_safe: Option<f32>,
    pub logprob_unsafe: Option<f32>,
}

impl VerdictLogprobs {
    /// The unsafe score, or `None` when none of the four tokens has a probability.
    pub fn score(&self) -> Option<VerdictScore> {
        let p = |lp: Option<f32>| lp.map_or(0.0f64, |lp| f64::from(lp).exp());
        let p_unsafe = p(self.unsafe_) + p(self.space_unsafe);
        let p_safe = p(self.safe) + p(self.space_safe);
        let mass = p_unsafe + p_safe;
        if !(mass > 0.0 && mass.is_finite()) {
            return None;
        }
        Some(VerdictScore {
            unsafe_score: (p_unsafe / mass) as f32,
            logprob_safe: self.safe,
            logprob_unsafe: self.unsafe_,
        })
    }
}

impl VerdictTokens {
    /// Picks the verdict tokens' log-probabilities out of a full-vocabulary logits row (raw
    /// logits; the log-softmax is computed here, in f64).
    pub fn logprobs_from_logits(&self, logits: &[f32]) -> VerdictLogprobs {
        let max = logits
            .iter()
            .copied()
            .filter(|x| x.is_finite())
            .fold(f32::NEG_INFINITY, f32::max);
        let sum: f64 = logits
            .iter()
            .map(|&x| f64::from(x - max).exp())
            .sum::<f64>();
        let log_z = f64::from(max) + sum.ln();
        let at = |id: u32| {
            logits
                .get(id as usize)
                .map(|&x| (f64::from(x) - log_z) as f32)
        };
        VerdictLogprobs {
            safe: at(self.safe),
            unsafe_: at(self.unsafe_),
            space_safe: at(self.space_safe),
            space_unsafe: at(self.space_unsafe),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::taxonomy::Template;

    fn lg2() -> Taxonomy {
        Template::Lg2.default_taxonomy()
    }

    #[test]
    fn parses_safe_and_unsafe() {
        let t = lg2();
        assert_eq!(
            parse_output("safe", &t).expect("parses"),
            GuardOutput {
                is_unsafe: false,
                categories: vec![]
            }
        );
        assert!(
            !parse_output("\n\nsafe<|eot_id|>", &t)
                .expect("parses")
                .is_unsafe
        );
        assert_eq!(
            parse_output(" unsafe\nS1,S10, S3,S1\n", &t)
                .expect("parses")
                .categories,
            ["S1", "S10", "S3"]
        );
        assert_eq!(
            parse_output("unsafe", &t).expect("parses"),
            GuardOutput {
                is_unsafe: true,
                categories: vec![]
            }
        );
    }

    #[test]
    fn rejects_anything_else() {
        let t = lg2();
        for bad in [
            "",
            "Safe",
            "safe\nS1",
            "unsafe\nS12",
            "unsafe\nS1,,S2",
            "unsafe\nS1\nmore",
            "I cannot answer",
            "unsafe S1",
        ] {
            assert!(
                matches!(parse_output(bad, &t), Err(GuardError::UnparsableOutput(_))),
                "{bad:?}"
            );
        }
        let lg3 = Template::Lg3_8b.default_taxonomy();
        assert!(parse_output("unsafe\nS14", &lg3).is_ok());
    }

    #[test]
    fn score_normalises_over_verdict_mass() {
        let lp = VerdictLogprobs {
            safe: Some(0.25f32.ln()),
            unsafe_: Some(0.5f32.ln()),
            space_safe: None,
            space_unsafe: Some(0.25f32.ln()),
        };
        let s = lp.score().expect("has mass");
        assert!((s.unsafe_score - 0.75).abs() < 1e-6);
        assert_eq!(s.logprob_unsafe, Some(0.5f32.ln()));
        assert!(VerdictLogprobs::default().score().is_none());
    }

    #[test]
    fn logprobs_from_logits_is_log_softmax() {
        let tokens = VerdictTokens {
            safe: 0,
            unsafe_: 1,
            space_safe: 2,
            space_unsafe: 3,
            double_newline: 4,
            stop: vec![5],
        };
        let logits = [2.0f32, 1.0, 0.0, -1.0, 0.5, 0.5];
        let z: f32 = logits.iter().map(|x| x.exp()).sum();
        let lp = tokens.logprobs_from_logits(&logits);
        assert!((lp.safe.expect("in range") - (2.0 - z.ln())).abs() < 1e-6);
        assert!((lp.space_unsafe.expect("in range") - (-1.0 - z.ln())).abs() < 1e-6);
    }
}
