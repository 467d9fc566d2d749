//! One batch on a model thread: every prompt of the taken jobs in one forward pass (each row on
//! its own cached start, right-padded), scoring, a batched greedy decode where needed, and one
//! [`Classification`] per job.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use candle_core::Tensor;

use super::queue::Job;
use super::{
    Classification, Engine, ItemTiming, MAX_NEW_TOKENS, PromptTokens, Start, TokenLogprob, backend,
    lock,
};
use crate::classifier::{GuardError, JudgedRole, ScoreSource, Verdict};
use crate::model::{Head, KvCache, Padding};
use crate::output::{VerdictLogprobs, parse_output};

/// One prompt (a conversation, or one window of it) on its way through a batch.
struct Item {
    job: usize,
    ids: Vec<u32>,
    prefix_len: usize,
    text: String,
    judged: JudgedRole,
}

/// What one prompt produced.
struct Scored {
    logprobs: VerdictLogprobs,
    full_logits: Option<Vec<f32>>,
    generated: Option<String>,
}

/// Per prompt: its result, its share of the compute, and the size of its pass.
struct Slot {
    result: Option<Result<Scored, GuardError>>,
    compute: Duration,
    pass_rows: usize,
}

impl Engine {
    pub(super) fn run(&self, jobs: Vec<Job>) {
        let taken = Instant::now();
        let mut items = Vec::new();
        for (j, job) in jobs.iter().enumerate() {
            for p in &job.encoded.prompts {
                items.push(Item {
                    job: j,
                    ids: self.scoring_ids(p, &job.request),
                    prefix_len: if self.prefix_cache { p.prefix_len } else { 0 },
                    text: p.text.clone(),
                    judged: p.judged,
                });
            }
        }
        let mut slots: Vec<Slot> = (0..items.len())
            .map(|_| Slot {
                result: None,
                compute: Duration::ZERO,
                pass_rows: 0,
            })
            .collect();
        // Prompts too long for the model fail alone, before they could fail a whole pass.
        let limit = self.model.config().max_position_embeddings;
        let mut runnable = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            if item.ids.len() > limit {
                slots[i].result = Some(Err(GuardError::InvalidConversation(format!(
                    "the prompt needs {} positions but the model's context is {limit}",
                    item.ids.len()
                ))));
            } else {
                runnable.push(i);
            }
        }
        let load_slot = lock(&self.load).start(runnable.len());
        let pass_started = Instant::now();
        for chunk in runnable.chunks(self.max_batch) {
            self.run_pass(chunk, &items, &jobs, &mut slots);
        }
        lock(&self.load).finish(load_slot, runnable.len(), pass_started.elapsed());
        self.reply(jobs, &items, slots, taken);
    }

    /// One forward pass over `members` (indices into `items`); on a failure of the batched
    /// pass each prompt is retried alone, so one bad prompt cannot fail the others.
    fn run_pass(&self, members: &[usize], items: &[Item], jobs: &[Job], slots: &mut [Slot]) {
        match self.try_pass(members, items, jobs, slots) {
            Ok(()) => {}
            Err(e) if members.len() == 1 => slots[members[0]].result = Some(Err(e)),
            Err(e) => {
                tracing::warn!(error = %e, rows = members.len(), "batched guard pass failed; running its prompts one by one");
                for &m in members {
                    self.run_pass(&[m], items, jobs, slots);
                }
            }
        }
    }

    fn try_pass(
        &self,
        members: &[usize],
        items: &[Item],
        jobs: &[Job],
        slots: &mut [Slot],
    ) -> Result<(), GuardError> {
        let started = Instant::now();
        let n = members.len();
        // Where each row starts: the longest run a kept context covers, else its template
        // prefix. Rows with the same start share one cache.
        let reuse: Vec<usize> = {
            let p = lock(&self.prefixes);
            members
                .iter()
                .map(|&i| {
                    let item = &items[i];
                    if p.contexts.is_empty() {
                        item.prefix_len
                    } else {
                        p.reusable(&item.ids).max(item.prefix_len)
                    }
                })
                .collect()
        };
        let mut starts: Vec<Start> = Vec::new();
        let mut by_key: HashMap<&[u32], usize> = HashMap::new();
        let mut row_start: Vec<usize> = Vec::with_capacity(n);
        let (mut hits, mut misses) = (0usize, 0usize);
        for (r, &i) in members.iter().enumerate() {
            let key = &items[i].ids[..reuse[r]];
            let s = match by_key.get(key) {
                Some(&s) => {
                    if starts[s].prefix_hit.is_some() {
                        hits += 1;
                    }
                    if starts[s].context.is_some() {
                        let mut st = lock(&self.stats);
                        st.context_hits += 1;
                        st.context_tokens_reused += starts[s].len;
                    }
                    s
                }
                None => {
                    let start = self.start_of(key, items[i].prefix_len)?;
                    match start.prefix_hit {
                        Some(true) => hits += 1,
                        Some(false) => misses += 1,
                        None => {}
                    }
                    starts.push(start);
                    by_key.insert(key, starts.len() - 1);
                    starts.len() - 1
                }
            };
            row_start.push(s);
        }
        let mut cache = if starts.len() == 1 {
            if n == 1 {
                starts[0].cache.clone()
            } else {
                starts[0].cache.expand(n).map_err(backend)?
            }
        } else {
            let rows: Vec<&KvCache> = row_start.iter().map(|&s| &starts[s].cache).collect();
            KvCache::stack(&rows).map_err(backend)?
        };
        let rows: Vec<&[u32]> = members
            .iter()
            .zip(&row_start)
            .map(|(&i, &s)| &items[i].ids[starts[s].len..])
            .collect();
        let hidden = self
            .model
            .forward_hidden(&rows, Padding::Right, &mut cache)
            .map_err(backend)?;
        let wants_full = |r: usize| self.full_vocab || jobs[items[members[r]].job].details;
        // The four verdict logits score every row; the full vocabulary is computed (in one
        // matmul) for the rows that report full log-probabilities or must decode.
        let mut full: Vec<Option<Vec<f32>>> = vec![None; n];
        let four: Vec<Vec<f32>> = if (0..n).all(wants_full) {
            for (r, logits) in self.project_full(&hidden, None)?.into_iter().enumerate() {
                full[r] = Some(logits);
            }
            Vec::new()
        } else {
            self.model
                .project(&hidden, &self.verdict_head)
                .map_err(backend)?
                .to_vec2::<f32>()
                .map_err(candle_err)?
        };
        let preliminary: Vec<VerdictLogprobs> = (0..n)
            .map(|r| match &full[r] {
                Some(l) => self.verdict.logprobs_from_logits(l),
                None => verdict_only(&four[r]),
            })
            .collect();
        let decode: Vec<usize> = (0..n)
            .filter(|&r| {
                let job = &jobs[items[members[r]].job];
                let score = preliminary[r].score().map_or(0.0, |s| s.unsafe_score);
                job.details || score >= job.request.threshold || job.request.always_decode
            })
            .collect();
        let missing: Vec<usize> = (0..n)
            .filter(|&r| full[r].is_none() && (wants_full(r) || decode.contains(&r)))
            .collect();
        if !missing.is_empty() {
            for (r, logits) in missing
                .iter()
                .zip(self.project_full(&hidden, Some(&missing))?)
            {
                full[*r] = Some(logits);
            }
        }
        let logprobs: Vec<VerdictLogprobs> = (0..n)
            .map(|r| match (&full[r], wants_full(r)) {
                (Some(l), true) => self.verdict.logprobs_from_logits(l),
                _ => preliminary[r],
            })
            .collect();
        {
            let mut s = lock(&self.stats);
            s.count_batch(n);
            s.prefix_hits += hits;
            s.prefix_misses += misses;
        }
        self.keep_contexts(members, items, jobs, &row_start, &starts, &cache)?;

        let pass_time = started.elapsed();
        let tokens: Vec<usize> = rows.iter().map(|r| r.len()).collect();
        let total_tokens: usize = tokens.iter().sum::<usize>().max(1);
        for (r, &i) in members.iter().enumerate() {
            let slot = &mut slots[i];
            slot.compute += pass_time.mul_f64(tokens[r] as f64 / total_tokens as f64);
            slot.pass_rows = slot.pass_rows.max(n);
        }

        let firsts: Vec<(usize, u32)> = decode
            .iter()
            .filter_map(|&r| full[r].as_ref().map(|l| (r, argmax(l))))
            .collect();
        let generated = if firsts.is_empty() {
            Vec::new()
        } else {
            let mut shares = vec![Duration::ZERO; firsts.len()];
            let out = self.greedy_batch(&cache, &firsts, &mut shares)?;
            for ((r, _), share) in firsts.iter().zip(&shares) {
                slots[members[*r]].compute += *share;
            }
            out
        };
        let mut texts: Vec<Option<String>> = vec![None; n];
        for ((r, _), ids) in firsts.iter().zip(generated) {
            texts[*r] = Some(self.tokenizer.decode(&ids)?);
        }
        for (r, &i) in members.iter().enumerate() {
            let details = jobs[items[i].job].details;
            slots[i].result = Some(Ok(Scored {
                logprobs: logprobs[r],
                full_logits: if details { full[r].take() } else { None },
                generated: texts[r].take(),
            }));
        }
        Ok(())
    }

    /// Full-vocabulary logits of the given rows of `hidden` (all rows when `None`), one
    /// matmul for all of them.
    fn project_full(
        &self,
        hidden: &Tensor,
        rows: Option<&[usize]>,
    ) -> Result<Vec<Vec<f32>>, GuardError> {
        let h = match rows {
            None => hidden.clone(),
            Some(rows) => {
                let idx: Vec<u32> = rows.iter().map(|&r| r as u32).collect();
                let idx = Tensor::new(idx.as_slice(), hidden.device()).map_err(candle_err)?;
                hidden.index_select(&idx, 0).map_err(candle_err)?
            }
        };
        self.model
            .project(&h, &Head::Full)
            .map_err(backend)?
            .to_vec2::<f32>()
            .map_err(candle_err)
    }

    /// Keep the keys and values of `keep_context` prompts for the next check of their stream,
    /// and drop the context a stream's last check grew from.
    fn keep_contexts(
        &self,
        members: &[usize],
        items: &[Item],
        jobs: &[Job],
        row_start: &[usize],
        starts: &[Start],
        cache: &KvCache,
    ) -> Result<(), GuardError> {
        if lock(&self.prefixes).context_budget == 0 {
            return Ok(());
        }
        for (r, &i) in members.iter().enumerate() {
            let from = starts[row_start[r]].context.as_ref();
            if !jobs[items[i].job].request.keep_context {
                // The stream's last check: the context it grew from is done with.
                if let Some(done) = from {
                    lock(&self.prefixes).drop_context(done);
                }
                continue;
            }
            let row = if members.len() == 1 {
                cache.clone()
            } else {
                cache.row_compact(r).map_err(backend)?
            };
            lock(&self.prefixes).keep(items[i].ids.clone(), row, from);
        }
        Ok(())
    }

    /// Greedy decode of the rows `firsts` (row of `cache`, first generated token), one
    /// batched step for all rows still decoding; each row stops at a stop token,
    /// [`MAX_NEW_TOKENS`] or the model's context. `shares[k]` gains row `k`'s share of the
    /// steps' time.
    fn greedy_batch(
        &self,
        cache: &KvCache,
        firsts: &[(usize, u32)],
        shares: &mut [Duration],
    ) -> Result<Vec<Vec<u32>>, GuardError> {
        let limit = self.model.config().max_position_embeddings;
        let mut out: Vec<Vec<u32>> = vec![Vec::new(); firsts.len()];
        let mut next: Vec<u32> = firsts.iter().map(|&(_, t)| t).collect();
        let mut pos: Vec<usize> = firsts
            .iter()
            .map(|&(r, _)| cache.tokens_in_row(r))
            .collect();
        // `current` holds the rows of `active`, in that order.
        let mut active: Vec<usize> = Vec::new();
        let mut current: Option<KvCache> = None;
        let mut candidates: Vec<usize> = (0..firsts.len()).collect();
        loop {
            let mut go_on = Vec::with_capacity(candidates.len());
            for &k in &candidates {
                let t = next[k];
                if self.verdict.stop.contains(&t) || out[k].len() >= MAX_NEW_TOKENS {
                    continue;
                }
                out[k].push(t);
                if out[k].len() == MAX_NEW_TOKENS || pos[k] + 1 > limit {
                    continue;
                }
                go_on.push(k);
            }
            if go_on.is_empty() {
                return Ok(out);
            }
            let step = Instant::now();
            let mut c = match current.take() {
                Some(c) if go_on == active => c,
                Some(c) => {
                    let keep: Vec<usize> = go_on
                        .iter()
                        .filter_map(|k| active.iter().position(|a| a == k))
                        .collect();
                    c.select_rows(&keep).map_err(backend)?
                }
                None => {
                    let rows: Vec<usize> = go_on.iter().map(|&k| firsts[k].0).collect();
                    cache.select_rows(&rows).map_err(backend)?
                }
            };
            let ids: Vec<[u32; 1]> = go_on.iter().map(|&k| [next[k]]).collect();
            let rows: Vec<&[u32]> = ids.iter().map(|i| i.as_slice()).collect();
            let logits = self
                .model
                .forward_batch(&rows, Padding::Right, &mut c, &Head::Full)
                .map_err(backend)?
                .to_vec2::<f32>()
                .map_err(candle_err)?;
            for (&k, l) in go_on.iter().zip(&logits) {
                next[k] = argmax(l);
                pos[k] += 1;
            }
            lock(&self.stats).decode_steps += 1;
            let share = step.elapsed().div_f64(go_on.len() as f64);
            for &k in &go_on {
                shares[k] += share;
            }
            active = go_on.clone();
            candidates = go_on;
            current = Some(c);
        }
    }

    /// One [`Classification`] per job (a job of several windows is unsafe if any window is),
    /// sent to its caller.
    fn reply(&self, jobs: Vec<Job>, items: &[Item], slots: Vec<Slot>, taken: Instant) {
        let mut per_job: Vec<Vec<(usize, Slot)>> = (0..jobs.len()).map(|_| Vec::new()).collect();
        for (i, slot) in slots.into_iter().enumerate() {
            per_job[items[i].job].push((i, slot));
        }
        for (job, parts) in jobs.into_iter().zip(per_job) {
            let outcome = self.assemble(&job, parts, items, taken);
            // The caller may have gone away (timeout); nothing to do then.
            let _ = job.reply.send(outcome);
        }
    }

    fn assemble(
        &self,
        job: &Job,
        parts: Vec<(usize, Slot)>,
        items: &[Item],
        taken: Instant,
    ) -> Classification {
        let req = &job.request;
        let mut timing = ItemTiming {
            queued: taken.saturating_duration_since(job.submitted),
            compute: job.encoded.took,
            wall: Duration::ZERO,
            batch_rows: 0,
        };
        let mut best: Option<(f32, VerdictLogprobs, Option<String>)> = None;
        let mut categories: Vec<String> = Vec::new();
        let mut any_unsafe = false;
        let mut tokens = None;
        let mut judged = JudgedRole::User;
        let mut failure: Option<GuardError> = None;
        for (i, slot) in parts {
            timing.compute += slot.compute;
            timing.batch_rows = timing.batch_rows.max(slot.pass_rows);
            let scored = match slot.result {
                Some(Ok(s)) => s,
                Some(Err(e)) => {
                    failure.get_or_insert(e);
                    continue;
                }
                None => {
                    failure.get_or_insert_with(|| {
                        GuardError::Backend("a prompt of this conversation was not run".into())
                    });
                    continue;
                }
            };
            judged = items[i].judged;
            let Some(score) = scored.logprobs.score() else {
                failure.get_or_insert_with(|| {
                    GuardError::Backend(
                        "the model gives no probability to any verdict token".into(),
                    )
                });
                continue;
            };
            let is_unsafe = score.unsafe_score >= req.threshold;
            any_unsafe |= is_unsafe;
            if let Some(text) = &scored.generated {
                let needed = is_unsafe || req.always_decode;
                match parse_output(text, &req.taxonomy) {
                    Ok(parsed) if needed => {
                        for c in parsed.categories {
                            if !categories.contains(&c) {
                                categories.push(c);
                            }
                        }
                    }
                    Ok(_) => {}
                    Err(e) if needed => {
                        failure.get_or_insert(e);
                    }
                    Err(_) => {}
                }
            }
            if job.details && tokens.is_none() {
                let logits = scored.full_logits.unwrap_or_default();
                let item = &items[i];
                let mut input_ids = item.ids.clone();
                if req.taxonomy.template.uses_header_tokens() {
                    input_ids.pop();
                }
                tokens = Some(PromptTokens {
                    prompt: item.text.clone(),
                    input_ids,
                    top5: top5(&logits),
                });
            }
            if best
                .as_ref()
                .is_none_or(|(b, _, _)| score.unsafe_score > *b)
            {
                best = Some((score.unsafe_score, scored.logprobs, scored.generated));
            }
        }
        timing.wall = job.submitted.elapsed();
        let (unsafe_score, generated) = match &best {
            Some((s, _, g)) => (Some(*s), g.clone()),
            None => (None, None),
        };
        let verdict = match (failure, best) {
            (Some(e), _) => Err(e),
            (None, None) => Err(GuardError::Backend("no prompt was scored".into())),
            (None, Some((unsafe_score, logprobs, _))) => {
                let full = self.full_vocab || job.details;
                Ok(Verdict {
                    judged,
                    unsafe_score,
                    is_unsafe: any_unsafe,
                    categories,
                    logprob_safe: if full { logprobs.safe } else { None },
                    logprob_unsafe: if full { logprobs.unsafe_ } else { None },
                    score_source: ScoreSource::Logprobs,
                    truncation: job.encoded.truncation.clone(),
                    latency: timing.wall,
                })
            }
        };
        Classification {
            verdict,
            unsafe_score,
            generated,
            tokens,
            timing,
        }
    }
}

/// The verdict log-probabilities from the four verdict logits alone (their log-probabilities
/// over the whole vocabulary are unknown here; the score only depends on these four).
fn verdict_only(four: &[f32]) -> VerdictLogprobs {
    let max = four.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let lse = max + four.iter().map(|x| (x - max).exp()).sum::<f32>().ln();
    VerdictLogprobs {
        safe: Some(four[0] - lse),
        unsafe_: Some(four[1] - lse),
        space_safe: Some(four[2] - lse),
        space_unsafe: Some(four[3] - lse),
    }
}

pub(super) fn candle_err(e: candle_core::Error) -> GuardError {
    GuardError::Backend(e.to_string())
}

pub(super) fn row_vec(t: &Tensor, row: usize) -> Result<Vec<f32>, GuardError> {
    t.get(row)
        .and_then(|r| r.to_vec1::<f32>())
        .map_err(candle_err)
}

fn argmax(v: &[f32]) -> u32 {
    let mut best = 0usize;
    for (i, &x) in v.iter().enumerate() {
        if x > v[best] {
            best = i;
        }
    }
    best as u32
}

fn top5(logits: &[f32]) -> Vec<TokenLogprob> {
    if logits.is_empty() {
        return Vec::new();
    }
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let lse = f64::from(max)
        + logits
            .iter()
            .map(|&x| f64::from(x - max).exp())
            .sum::<f64>()
            .ln();
    let mut idx: Vec<usize> = (0..logits.len()).collect();
    idx.select_nth_unstable_by(4.min(logits.len() - 1), |&a, &b| {
        logits[b].total_cmp(&logits[a])
    });
    idx.truncate(5);
    idx.sort_by(|&a, &b| logits[b].total_cmp(&logits[a]));
    idx.into_iter()
        .map(|i| TokenLogprob {
            id: i as u32,
            logprob: (f64::from(logits[i]) - lse) as f32,
        })
        .collect()
}
