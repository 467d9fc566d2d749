//! The bounded queue between callers and model threads, and the recent pass costs that
//! estimate how long a new classification would wait.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use super::{Classification, Encoded, lock};
use crate::classifier::{ClassifyRequest, GuardError};

/// One queued classification.
pub(super) struct Job {
    pub(super) request: ClassifyRequest,
    pub(super) encoded: Encoded,
    /// Whether the caller wants prompt, ids and top 5.
    pub(super) details: bool,
    pub(super) submitted: Instant,
    pub(super) reply: tokio::sync::oneshot::Sender<Classification>,
}

/// What a model thread took off the queue.
pub(super) struct Taken {
    pub(super) jobs: Vec<Job>,
    /// Jobs dropped because their caller had gone away (a timeout) before they ran.
    pub(super) abandoned: usize,
}

struct State {
    jobs: VecDeque<Job>,
    open: bool,
}

/// A bounded FIFO of jobs; model threads take batches off its front.
pub(super) struct Queue {
    state: Mutex<State>,
    ready: Condvar,
    limit: usize,
    /// Mirrors of the queue's length and prompt count, readable without the lock.
    len: AtomicUsize,
    rows: AtomicUsize,
}

impl std::fmt::Debug for Queue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Queue")
            .field("len", &self.len())
            .field("limit", &self.limit)
            .finish_non_exhaustive()
    }
}

impl Queue {
    pub(super) fn new(limit: usize) -> Queue {
        Queue {
            state: Mutex::new(State {
                jobs: VecDeque::new(),
                open: true,
            }),
            ready: Condvar::new(),
            limit,
            len: AtomicUsize::new(0),
            rows: AtomicUsize::new(0),
        }
    }

    /// Classifications waiting for a model thread.
    pub(super) fn len(&self) -> usize {
        self.len.load(Ordering::Relaxed)
    }

    /// Prompts (rows) waiting.
    pub(super) fn rows(&self) -> usize {
        self.rows.load(Ordering::Relaxed)
    }

    pub(super) fn limit(&self) -> usize {
        self.limit
    }

    /// Queue `job`, or refuse it: `Overloaded` when full, `Backend` after [`Queue::close`].
    pub(super) fn push(&self, job: Job) -> Result<(), GuardError> {
        let mut s = lock(&self.state);
        if !s.open {
            return Err(GuardError::Backend("classifier is shutting down".into()));
        }
        if s.jobs.len() >= self.limit {
            return Err(GuardError::Overloaded {
                queued: s.jobs.len(),
                limit: self.limit,
            });
        }
        self.rows.fetch_add(job.encoded.rows(), Ordering::Relaxed);
        s.jobs.push_back(job);
        self.len.store(s.jobs.len(), Ordering::Relaxed);
        drop(s);
        self.ready.notify_one();
        Ok(())
    }

    /// Stop taking jobs; model threads finish what is queued, then [`Queue::next_batch`]
    /// answers `None`.
    pub(super) fn close(&self) {
        lock(&self.state).open = false;
        self.ready.notify_all();
    }

    /// Blocks until there is work, then takes the jobs at the front: at least one, and more
    /// while they fit in `max_rows` prompts and `max_tokens` padded tokens (prompts x the
    /// widest). With `wait` > 0 a batch that is not full waits that long for more. Jobs
    /// whose caller has gone are dropped, unrun. `None` once closed and empty.
    pub(super) fn next_batch(
        &self,
        max_rows: usize,
        max_tokens: usize,
        wait: Duration,
    ) -> Option<Taken> {
        let mut s = lock(&self.state);
        let mut taken = Taken {
            jobs: Vec::new(),
            abandoned: 0,
        };
        let (mut rows, mut width) = (0usize, 0usize);
        let mut deadline: Option<Instant> = None;
        loop {
            while let Some(front) = s.jobs.front() {
                if front.reply.is_closed() {
                    if let Some(job) = s.jobs.pop_front() {
                        self.rows.fetch_sub(job.encoded.rows(), Ordering::Relaxed);
                    }
                    taken.abandoned += 1;
                    continue;
                }
                let (r, w) = (front.encoded.rows(), front.encoded.width());
                let fits = rows + r <= max_rows && (rows + r) * width.max(w) <= max_tokens;
                if !taken.jobs.is_empty() && !fits {
                    break;
                }
                let Some(job) = s.jobs.pop_front() else {
                    break;
                };
                self.rows.fetch_sub(r, Ordering::Relaxed);
                rows += r;
                width = width.max(w);
                taken.jobs.push(job);
            }
            self.len.store(s.jobs.len(), Ordering::Relaxed);
            let full = rows >= max_rows || !s.jobs.is_empty();
            if taken.jobs.is_empty() {
                if !s.open {
                    return None;
                }
                s = self
                    .ready
                    .wait(s)
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                continue;
            }
            if wait.is_zero() || full || !s.open {
                return Some(taken);
            }
            let until = *deadline.get_or_insert_with(|| Instant::now() + wait);
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Some(taken);
            }
            s = self
                .ready
                .wait_timeout(s, left)
                .map(|(guard, _)| guard)
                .unwrap_or_else(|poisoned| poisoned.into_inner().0);
        }
    }
}

/// Recent costs of the model threads' passes, smoothed, for [`Load::expected_wait`].
#[derive(Debug, Default)]
pub(super) struct Load {
    /// Seconds of model-thread time per prompt (a pass, its decode and scoring, over its
    /// prompts): under load passes are large and this is the batched cost per prompt.
    secs_per_row: f64,
    /// When the passes now running are expected to end, one entry per busy model thread.
    running: Vec<(u64, Instant)>,
    next_slot: u64,
}

/// Weight of the newest pass in the smoothed cost.
const SMOOTHING: f64 = 0.2;

impl Load {
    /// A pass of `rows` prompts starts; returns its slot for [`Load::finish`].
    pub(super) fn start(&mut self, rows: usize) -> u64 {
        let end = Instant::now() + Duration::from_secs_f64(self.secs_per_row * rows as f64);
        self.next_slot += 1;
        self.running.push((self.next_slot, end));
        self.next_slot
    }

    /// The pass that started with `slot` took `took` for `rows` prompts.
    pub(super) fn finish(&mut self, slot: u64, rows: usize, took: Duration) {
        if let Some(i) = self.running.iter().position(|&(s, _)| s == slot) {
            self.running.swap_remove(i);
        }
        let per_row = took.as_secs_f64() / rows.max(1) as f64;
        self.secs_per_row = if self.secs_per_row == 0.0 {
            per_row
        } else {
            self.secs_per_row + SMOOTHING * (per_row - self.secs_per_row)
        };
    }

    /// Time until `rows` more prompts (the queue and a new one) would be done on `threads`
    /// model threads: the rest of the running passes plus the prompts at the recent cost.
    /// Zero until a first pass has been measured.
    pub(super) fn expected_wait(&self, rows: usize, threads: usize) -> Duration {
        let now = Instant::now();
        let running = self
            .running
            .iter()
            .map(|(_, end)| end.saturating_duration_since(now))
            .min()
            .unwrap_or(Duration::ZERO);
        let queued = self.secs_per_row * rows as f64 / threads.max(1) as f64;
        running + Duration::from_secs_f64(queued.max(0.0))
    }
}
