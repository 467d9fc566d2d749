//! Confusion counts, precision/recall/F1, threshold sweeps and precision-recall curves over
//! scored, labelled items. Pure arithmetic: what counts as a prediction is decided by the
//! caller (see the module doc of `eval`).

use serde::Serialize;

/// One scored item for one column (a category, or overall): `score` is the lowest threshold
/// at which the policy would fire (`f32::INFINITY`: fires at every threshold, such as a code
/// finding that blocks; `f32::NEG_INFINITY`: never fires), `positive` the reference label.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scored {
    pub score: f32,
    pub positive: bool,
}

/// True/false positives and negatives.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Confusion {
    pub tp: usize,
    pub fp: usize,
    #[serde(rename = "fn")]
    pub fn_: usize,
    pub tn: usize,
}

impl Confusion {
    /// Counts one prediction against its label.
    pub fn add(&mut self, predicted: bool, positive: bool) {
        match (predicted, positive) {
            (true, true) => self.tp += 1,
            (true, false) => self.fp += 1,
            (false, true) => self.fn_ += 1,
            (false, false) => self.tn += 1,
        }
    }

    /// The counts at `threshold`: an item is predicted positive when its score reaches it.
    pub fn at(items: &[Scored], threshold: f32) -> Confusion {
        let mut c = Confusion::default();
        for item in items {
            c.add(item.score >= threshold, item.positive);
        }
        c
    }

    pub fn total(&self) -> usize {
        self.tp + self.fp + self.fn_ + self.tn
    }

    /// TP / (TP + FP); `None` when nothing was predicted positive.
    pub fn precision(&self) -> Option<f64> {
        ratio(self.tp, self.tp + self.fp)
    }

    /// TP / (TP + FN); `None` when no item is positive.
    pub fn recall(&self) -> Option<f64> {
        ratio(self.tp, self.tp + self.fn_)
    }

    /// The harmonic mean of precision and recall; `None` when either is undefined, 0 when
    /// both are 0.
    pub fn f1(&self) -> Option<f64> {
        let (p, r) = (self.precision()?, self.recall()?);
        Some(if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        })
    }

    /// Precision, recall and F1 together, for output.
    pub fn rates(&self) -> Rates {
        Rates {
            precision: self.precision(),
            recall: self.recall(),
            f1: self.f1(),
        }
    }
}

fn ratio(num: usize, den: usize) -> Option<f64> {
    (den > 0).then(|| num as f64 / den as f64)
}

/// Precision, recall and F1 (`None` where undefined).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Rates {
    pub precision: Option<f64>,
    pub recall: Option<f64>,
    pub f1: Option<f64>,
}

/// The thresholds every sweep reports: 0.05, 0.10, ..., 0.95.
pub fn standard_thresholds() -> Vec<f32> {
    (1..=19).map(|i| i as f32 * 0.05).collect()
}

/// One row of a threshold sweep.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SweepRow {
    pub threshold: f32,
    pub confusion: Confusion,
    pub rates: Rates,
    /// This is (one of) the policy's own thresholds for the column.
    pub policy: bool,
}

/// Thresholds are compared at this resolution: policy files write them with a few decimals.
const SAME_THRESHOLD: f32 = 1e-4;

/// Counts at each standard threshold and at each of `policy_thresholds` (added where not
/// already a standard one, and marked), in ascending order.
pub fn sweep(items: &[Scored], policy_thresholds: &[f32]) -> Vec<SweepRow> {
    let mut thresholds = standard_thresholds();
    for &t in policy_thresholds {
        if !thresholds.iter().any(|s| (s - t).abs() < SAME_THRESHOLD) {
            thresholds.push(t);
        }
    }
    thresholds.sort_by(f32::total_cmp);
    thresholds
        .into_iter()
        .map(|threshold| {
            let confusion = Confusion::at(items, threshold);
            SweepRow {
                threshold,
                confusion,
                rates: confusion.rates(),
                policy: policy_thresholds
                    .iter()
                    .any(|t| (t - threshold).abs() < SAME_THRESHOLD),
            }
        })
        .collect()
}

/// One point of a precision-recall curve: the counts when the threshold is `threshold`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PrPoint {
    /// The score at which this point is reached (`None` for "always fires").
    pub threshold: Option<f32>,
    pub precision: f64,
    pub recall: f64,
}

/// A precision-recall curve with its average precision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PrCurve {
    /// Positive items (the curve is empty without any).
    pub positives: usize,
    /// One point per distinct score that fires, highest threshold (lowest recall) first.
    pub points: Vec<PrPoint>,
    /// Σ (Rₙ − Rₙ₋₁)·Pₙ over the points; `None` without positives.
    pub average_precision: Option<f64>,
}

/// The curve traced by lowering the threshold through every distinct score. Items that
/// never fire add no point; ties enter together.
pub fn pr_curve(items: &[Scored]) -> PrCurve {
    let positives = items.iter().filter(|i| i.positive).count();
    let mut firing: Vec<Scored> = items
        .iter()
        .copied()
        .filter(|i| i.score > f32::NEG_INFINITY && !i.score.is_nan())
        .collect();
    firing.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut points = Vec::new();
    if positives == 0 {
        return PrCurve {
            positives,
            points,
            average_precision: None,
        };
    }
    let (mut tp, mut fp) = (0usize, 0usize);
    let mut i = 0;
    while i < firing.len() {
        let score = firing[i].score;
        while i < firing.len() && firing[i].score == score {
            if firing[i].positive {
                tp += 1;
            } else {
                fp += 1;
            }
            i += 1;
        }
        points.push(PrPoint {
            threshold: score.is_finite().then_some(score),
            precision: tp as f64 / (tp + fp) as f64,
            recall: tp as f64 / positives as f64,
        });
    }
    let mut ap = 0.0;
    let mut previous_recall = 0.0;
    for p in &points {
        ap += (p.recall - previous_recall) * p.precision;
        previous_recall = p.recall;
    }
    PrCurve {
        positives,
        points,
        average_precision: Some(ap),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(score: f32, positive: bool) -> Scored {
        Scored { score, positive }
    }

    #[test]
    fn confusion_counts_and_rates() {
        let items = [
            s(0.9, true),
            s(0.8, false),
            s(0.6, true),
            s(0.3, true),
            s(0.1, false),
            s(f32::NEG_INFINITY, false),
        ];
        let c = Confusion::at(&items, 0.5);
        assert_eq!(
            c,
            Confusion {
                tp: 2,
                fp: 1,
                fn_: 1,
                tn: 2
            }
        );
        assert_eq!(c.total(), 6);
        let r = c.rates();
        assert!((r.precision.expect("defined") - 2.0 / 3.0).abs() < 1e-9);
        assert!((r.recall.expect("defined") - 2.0 / 3.0).abs() < 1e-9);
        assert!((r.f1.expect("defined") - 2.0 / 3.0).abs() < 1e-9);
    }

    #[test]
    fn undefined_rates_are_none_not_nan() {
        let nothing_predicted = Confusion::at(&[s(0.1, true), s(0.2, false)], 0.5);
        assert_eq!(nothing_predicted.precision(), None);
        assert_eq!(nothing_predicted.recall(), Some(0.0));
        assert_eq!(nothing_predicted.f1(), None);
        let no_positives = Confusion::at(&[s(0.9, false)], 0.5);
        assert_eq!(no_positives.recall(), None);
        assert_eq!(no_positives.precision(), Some(0.0));
        let all_wrong = Confusion {
            tp: 0,
            fp: 1,
            fn_: 1,
            tn: 0,
        };
        assert_eq!(all_wrong.f1(), Some(0.0));
    }

    #[test]
    fn infinite_scores_fire_always_or_never() {
        let items = [s(f32::INFINITY, true), s(f32::NEG_INFINITY, true)];
        for t in standard_thresholds() {
            let c = Confusion::at(&items, t);
            assert_eq!((c.tp, c.fn_), (1, 1), "at {t}");
        }
    }

    #[test]
    fn sweep_adds_and_marks_the_policy_threshold() {
        let items = [s(0.9, true), s(0.42, false)];
        let rows = sweep(&items, &[0.42, 0.5]);
        assert_eq!(rows.len(), 20, "19 standard rows and 0.42");
        let thresholds: Vec<f32> = rows.iter().map(|r| r.threshold).collect();
        assert!(thresholds.windows(2).all(|w| w[0] < w[1]), "{thresholds:?}");
        let marked: Vec<f32> = rows
            .iter()
            .filter(|r| r.policy)
            .map(|r| r.threshold)
            .collect();
        assert_eq!(marked.len(), 2);
        assert!((marked[0] - 0.42).abs() < 1e-6 && (marked[1] - 0.5).abs() < 1e-6);
        let at_042 = rows.iter().find(|r| r.policy).expect("marked row");
        assert_eq!(at_042.confusion.fp, 1, "0.42 reaches the negative's score");
        let at_045 = rows
            .iter()
            .find(|r| (r.threshold - 0.45).abs() < 1e-6)
            .expect("0.45 row");
        assert_eq!((at_045.confusion.tp, at_045.confusion.fp), (1, 0));
    }

    #[test]
    fn pr_curve_steps_through_distinct_scores() {
        let items = [
            s(0.9, true),
            s(0.7, false),
            s(0.7, true),
            s(0.2, true),
            s(f32::NEG_INFINITY, true),
            s(0.1, false),
        ];
        let curve = pr_curve(&items);
        assert_eq!(curve.positives, 4);
        let pts: Vec<(f64, f64)> = curve
            .points
            .iter()
            .map(|p| (p.precision, p.recall))
            .collect();
        assert_eq!(
            pts,
            vec![(1.0, 0.25), (2.0 / 3.0, 0.5), (0.75, 0.75), (0.6, 0.75)],
            "ties at 0.7 enter together; the never-firing positive caps recall at 0.75"
        );
        let ap = curve.average_precision.expect("positives exist");
        let want = 0.25 * 1.0 + 0.25 * (2.0 / 3.0) + 0.25 * 0.75;
        assert!((ap - want).abs() < 1e-9, "{ap} vs {want}");
        assert_eq!(curve.points[0].threshold, Some(0.9));
    }

    #[test]
    fn pr_curve_without_positives_is_empty() {
        let curve = pr_curve(&[s(0.9, false)]);
        assert!(curve.points.is_empty());
        assert_eq!(curve.average_precision, None);
    }

    #[test]
    fn a_perfect_ranking_has_average_precision_one() {
        let items = [s(0.9, true), s(0.8, true), s(0.3, false), s(0.2, false)];
        let curve = pr_curve(&items);
        assert_eq!(curve.average_precision, Some(1.0));
        let last = curve.points.last().expect("points");
        assert_eq!((last.precision, last.recall), (0.5, 1.0));
    }
}
