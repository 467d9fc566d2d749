//! What `warden eval` prints (tables) and writes (a self-contained HTML page, or an SVG, with
//! one precision-recall chart per category; no script, no network).

use std::fmt::Write as _;
use std::io::{self, Write};

use super::{Column, Evaluation, Run};
use crate::eval::metrics::SweepRow;

fn rate(r: Option<f64>) -> String {
    r.map_or_else(|| "-".to_owned(), |v| format!("{v:.3}"))
}

fn delta(a: Option<f64>, b: Option<f64>) -> String {
    match (a, b) {
        (Some(a), Some(b)) => format!("{:+.3}", b - a),
        _ => "-".to_owned(),
    }
}

fn label(c: &Column) -> String {
    if c.name == "overall" || c.title.is_empty() {
        c.name.clone()
    } else {
        format!("{} {}", c.name, c.title)
    }
}

fn columns(run: &Run) -> impl Iterator<Item = &Column> {
    std::iter::once(&run.overall).chain(&run.categories)
}

/// The tables: per run the confusion counts and rates, the sweep; with two runs the deltas
/// and the items decided differently.
pub fn write_text(e: &Evaluation, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "warden eval of {}: {} items ({} failed lines, {} skipped)",
        e.data,
        e.items,
        e.failed_lines.len(),
        e.skipped.len()
    )?;
    writeln!(out, "guard: {}", e.guard)?;
    if e.uncategorised > 0 {
        writeln!(
            out,
            "{} unsafe item(s) name no category: counted in `overall` only",
            e.uncategorised
        )?;
    }
    for s in &e.skipped {
        writeln!(out, "skipped {}: {}", s.at, s.reason)?;
    }
    let names = ["A", "B"];
    for (i, run) in e.runs.iter().enumerate() {
        writeln!(out)?;
        let tag = if e.runs.len() > 1 {
            format!("{} = ", names[i])
        } else {
            String::new()
        };
        writeln!(
            out,
            "policies {tag}{} (version {})",
            run.policies, run.version
        )?;
        if run.guard_errors > 0 {
            writeln!(
                out,
                "{} item(s) got no verdict; the fail mode decided them",
                run.guard_errors
            )?;
        }
        write_confusion(run, out)?;
        writeln!(out)?;
        write_sweep(run, out)?;
    }
    if let [a, b] = e.runs.as_slice() {
        writeln!(out)?;
        write_compare(a, b, out)?;
        writeln!(out)?;
        writeln!(out, "items decided differently: {}", e.differences.len())?;
        for d in &e.differences {
            writeln!(
                out,
                "  {}{}  expected {}  A {}  B {}  {:?}",
                d.at,
                d.id.as_ref()
                    .map_or_else(String::new, |id| format!(" ({id})")),
                d.expected,
                d.a,
                d.b,
                d.text
            )?;
        }
    }
    Ok(())
}

fn write_confusion(run: &Run, out: &mut dyn Write) -> io::Result<()> {
    let width = columns(run)
        .map(|c| label(c).chars().count())
        .max()
        .unwrap_or(7)
        .max(7);
    writeln!(
        out,
        "{:<width$}  {:>5} {:>5} {:>5} {:>5}  {:>9} {:>7} {:>7}",
        "", "TP", "FP", "FN", "TN", "precision", "recall", "F1"
    )?;
    for c in columns(run) {
        let k = &c.confusion;
        writeln!(
            out,
            "{:<width$}  {:>5} {:>5} {:>5} {:>5}  {:>9} {:>7} {:>7}",
            label(c),
            k.tp,
            k.fp,
            k.fn_,
            k.tn,
            rate(c.rates.precision),
            rate(c.rates.recall),
            rate(c.rates.f1)
        )?;
    }
    Ok(())
}

fn cell(row: Option<&SweepRow>) -> String {
    match row {
        None => "".to_owned(),
        Some(r) => format!(
            "{}/{}{}",
            rate(r.rates.precision),
            rate(r.rates.recall),
            if r.policy { "*" } else { " " }
        ),
    }
}

fn write_sweep(run: &Run, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "threshold sweep: precision/recall with every category's threshold at t (* the policy's own)"
    )?;
    let cols: Vec<&Column> = columns(run).collect();
    let mut thresholds: Vec<f32> = cols
        .iter()
        .flat_map(|c| c.sweep.iter().map(|r| r.threshold))
        .collect();
    thresholds.sort_by(f32::total_cmp);
    thresholds.dedup_by(|a, b| (*a - *b).abs() < 1e-4);
    write!(out, "{:>5}", "t")?;
    for c in &cols {
        write!(out, "  {:<12}", c.name)?;
    }
    writeln!(out)?;
    for t in thresholds {
        write!(out, "{t:>5.2}")?;
        for c in &cols {
            let row = c.sweep.iter().find(|r| (r.threshold - t).abs() < 1e-4);
            write!(out, "  {:<12}", cell(row))?;
        }
        writeln!(out)?;
    }
    Ok(())
}

fn write_compare(a: &Run, b: &Run, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "compare A = {}, B = {} (Δ = B - A)",
        a.policies, b.policies
    )?;
    let width = columns(a).map(|c| c.name.len()).max().unwrap_or(7).max(7);
    writeln!(
        out,
        "{:<width$}  {:>23}  {:>23}  {:>23}  {:>19}",
        "", "precision A B Δ", "recall A B Δ", "F1 A B Δ", "TP/FP/FN/TN A | B"
    )?;
    for ca in columns(a) {
        let Some(cb) = columns(b).find(|c| c.name == ca.name) else {
            continue;
        };
        let triple = |x: Option<f64>, y: Option<f64>| {
            format!("{:>6} {:>6} {:>7}", rate(x), rate(y), delta(x, y))
        };
        let k = |c: &Column| {
            format!(
                "{}/{}/{}/{}",
                c.confusion.tp, c.confusion.fp, c.confusion.fn_, c.confusion.tn
            )
        };
        writeln!(
            out,
            "{:<width$}  {:>23}  {:>23}  {:>23}  {:>19}",
            ca.name,
            triple(ca.rates.precision, cb.rates.precision),
            triple(ca.rates.recall, cb.rates.recall),
            triple(ca.rates.f1, cb.rates.f1),
            format!("{} | {}", k(ca), k(cb))
        )?;
    }
    Ok(())
}

/// Text safe inside HTML and SVG elements and attributes.
pub fn escape(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => s.push_str("&amp;"),
            '<' => s.push_str("&lt;"),
            '>' => s.push_str("&gt;"),
            '"' => s.push_str("&quot;"),
            '\'' => s.push_str("&#39;"),
            c => s.push(c),
        }
    }
    s
}

const COLORS: [&str; 2] = ["#1f77b4", "#d62728"];
const CHART_W: f64 = 340.0;
const CHART_H: f64 = 300.0;
const LEFT: f64 = 48.0;
const TOP: f64 = 36.0;
const PLOT: f64 = 220.0;

/// One chart: the column of each run (same name) as a curve, the policy's threshold ringed.
fn chart(name: &str, runs: &[(&str, &Column)], x: f64, y: f64, standalone: bool) -> String {
    let mut s = String::new();
    let xmlns = if standalone {
        " xmlns=\"http://www.w3.org/2000/svg\""
    } else {
        ""
    };
    let _ = write!(
        s,
        "<svg{xmlns} class=\"pr\" data-category=\"{}\" x=\"{x}\" y=\"{y}\" width=\"{CHART_W}\" height=\"{CHART_H}\" viewBox=\"0 0 {CHART_W} {CHART_H}\" role=\"img\">",
        escape(name)
    );
    let title = runs
        .first()
        .map(|(_, c)| label(c))
        .unwrap_or_else(|| name.to_owned());
    let _ = write!(
        s,
        "<title>Precision-recall: {t}</title><rect width=\"{CHART_W}\" height=\"{CHART_H}\" fill=\"#fff\"/><text x=\"{LEFT}\" y=\"20\" font-size=\"13\" font-family=\"sans-serif\" font-weight=\"bold\">{t}</text>",
        t = escape(&title)
    );
    let px = |recall: f64| LEFT + recall * PLOT;
    let py = |precision: f64| TOP + (1.0 - precision) * PLOT;
    for i in 0..=4 {
        let v = f64::from(i) * 0.25;
        let _ = write!(
            s,
            "<line x1=\"{x0}\" y1=\"{yv}\" x2=\"{x1}\" y2=\"{yv}\" stroke=\"#ddd\"/><line x1=\"{xv}\" y1=\"{y0}\" x2=\"{xv}\" y2=\"{y1}\" stroke=\"#ddd\"/><text x=\"{tx}\" y=\"{ty}\" font-size=\"10\" font-family=\"sans-serif\" text-anchor=\"end\">{v:.2}</text><text x=\"{xv}\" y=\"{bx}\" font-size=\"10\" font-family=\"sans-serif\" text-anchor=\"middle\">{v:.2}</text>",
            x0 = px(0.0),
            x1 = px(1.0),
            yv = py(v),
            xv = px(v),
            y0 = py(0.0),
            y1 = py(1.0),
            tx = LEFT - 4.0,
            ty = py(v) + 3.0,
            bx = py(0.0) + 14.0,
        );
    }
    let _ = write!(
        s,
        "<rect x=\"{LEFT}\" y=\"{TOP}\" width=\"{PLOT}\" height=\"{PLOT}\" fill=\"none\" stroke=\"#333\"/><text x=\"{cx}\" y=\"{by}\" font-size=\"11\" font-family=\"sans-serif\" text-anchor=\"middle\">recall</text><text x=\"12\" y=\"{cy}\" font-size=\"11\" font-family=\"sans-serif\" text-anchor=\"middle\" transform=\"rotate(-90 12 {cy})\">precision</text>",
        cx = px(0.5),
        by = py(0.0) + 28.0,
        cy = py(0.5),
    );
    for (i, (run_name, c)) in runs.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        let legend_y = TOP + 12.0 + 14.0 * i as f64;
        let ap = c
            .curve
            .average_precision
            .map_or_else(|| "-".to_owned(), |v| format!("{v:.3}"));
        let _ = write!(
            s,
            "<text x=\"{lx}\" y=\"{legend_y}\" font-size=\"10\" font-family=\"sans-serif\" fill=\"{color}\">{} AP {ap}</text>",
            escape(run_name),
            lx = px(0.04),
        );
        if c.curve.points.is_empty() {
            let _ = write!(
                s,
                "<text x=\"{}\" y=\"{}\" font-size=\"11\" font-family=\"sans-serif\" text-anchor=\"middle\" fill=\"{color}\">{}</text>",
                px(0.5),
                py(0.5) + 14.0 * i as f64,
                if c.curve.positives == 0 {
                    "no positive items"
                } else {
                    "nothing fires"
                }
            );
            continue;
        }
        let points: Vec<String> = c
            .curve
            .points
            .iter()
            .map(|p| format!("{:.1},{:.1}", px(p.recall), py(p.precision)))
            .collect();
        let _ = write!(
            s,
            "<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"{}\"/>",
            points.join(" ")
        );
        for p in &c.curve.points {
            let t = p
                .threshold
                .map_or_else(|| "always".to_owned(), |t| format!("{t:.3}"));
            let _ = write!(
                s,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"2.5\" fill=\"{color}\"><title>score {t}: precision {:.3}, recall {:.3}</title></circle>",
                px(p.recall),
                py(p.precision),
                p.precision,
                p.recall
            );
        }
        for row in c.sweep.iter().filter(|r| r.policy) {
            if let (Some(p), Some(r)) = (row.rates.precision, row.rates.recall) {
                let _ = write!(
                    s,
                    "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"6\" fill=\"none\" stroke=\"{color}\" stroke-width=\"1.5\"><title>{} policy threshold {:.2}: precision {p:.3}, recall {r:.3}</title></circle>",
                    px(r),
                    py(p),
                    escape(run_name),
                    row.threshold
                );
            }
        }
    }
    s.push_str("</svg>");
    s
}

fn run_names(e: &Evaluation) -> Vec<String> {
    if e.runs.len() == 1 {
        return vec![e.runs[0].policies.clone()];
    }
    e.runs
        .iter()
        .zip(["A", "B"])
        .map(|(r, n)| format!("{n}: {}", r.policies))
        .collect()
}

/// The charts: overall first, then every category, each holding every run's curve.
fn charts(e: &Evaluation) -> Vec<(String, Vec<(String, &Column)>)> {
    let names = run_names(e);
    let Some(first) = e.runs.first() else {
        return Vec::new();
    };
    columns(first)
        .map(|c| {
            let curves = e
                .runs
                .iter()
                .zip(&names)
                .filter_map(|(run, n)| {
                    columns(run)
                        .find(|x| x.name == c.name)
                        .map(|x| (n.clone(), x))
                })
                .collect();
            (c.name.clone(), curves)
        })
        .collect()
}

/// A standalone SVG: a title and the charts in a grid of three.
pub fn svg(e: &Evaluation) -> String {
    let charts = charts(e);
    let per_row = 3usize;
    let rows = charts.len().div_ceil(per_row).max(1);
    let width = CHART_W * per_row as f64;
    let height = 30.0 + CHART_H * rows as f64;
    let mut s = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\"><rect width=\"{width}\" height=\"{height}\" fill=\"#fff\"/><text x=\"10\" y=\"20\" font-size=\"14\" font-family=\"sans-serif\">warden eval of {}: {} items</text>",
        escape(&e.data),
        e.items
    );
    for (i, (name, curves)) in charts.iter().enumerate() {
        let x = CHART_W * (i % per_row) as f64;
        let y = 30.0 + CHART_H * (i / per_row) as f64;
        let curves: Vec<(&str, &Column)> = curves.iter().map(|(n, c)| (n.as_str(), *c)).collect();
        s.push_str(&chart(name, &curves, x, y, false));
    }
    s.push_str("</svg>\n");
    s
}

/// A self-contained HTML page: the tables, the sweep and one inline SVG chart per column.
pub fn html(e: &Evaluation) -> String {
    let mut s = String::new();
    s.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>warden eval</title>\n<style>\nbody{font-family:sans-serif;margin:2em;color:#222}\ntable{border-collapse:collapse;margin:1em 0}\nth,td{border:1px solid #ccc;padding:3px 8px;text-align:right}\nth:first-child,td:first-child{text-align:left}\n.policy{font-weight:bold;background:#fff3c4}\n.charts{display:flex;flex-wrap:wrap;gap:8px}\ncode{background:#f4f4f4}\n</style>\n</head>\n<body>\n");
    let _ = writeln!(
        s,
        "<h1>warden eval</h1>\n<p>Data <code>{}</code>: {} items, {} failed lines, {} skipped. Guard: {}.</p>",
        escape(&e.data),
        e.items,
        e.failed_lines.len(),
        e.skipped.len(),
        escape(&e.guard)
    );
    if e.uncategorised > 0 {
        let _ = writeln!(
            s,
            "<p>{} unsafe item(s) name no category: counted in <em>overall</em> only.</p>",
            e.uncategorised
        );
    }
    let names = run_names(e);
    for (run, name) in e.runs.iter().zip(&names) {
        let _ = writeln!(
            s,
            "<h2>Policies {} (version {})</h2>",
            escape(name),
            escape(&run.version)
        );
        s.push_str("<table class=\"confusion\">\n<tr><th>column</th><th>TP</th><th>FP</th><th>FN</th><th>TN</th><th>precision</th><th>recall</th><th>F1</th><th>AP</th></tr>\n");
        for c in columns(run) {
            let k = &c.confusion;
            let _ = writeln!(
                s,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&label(c)),
                k.tp,
                k.fp,
                k.fn_,
                k.tn,
                rate(c.rates.precision),
                rate(c.rates.recall),
                rate(c.rates.f1),
                rate(c.curve.average_precision)
            );
        }
        s.push_str("</table>\n");
    }
    s.push_str("<h2>Precision-recall curves</h2>\n<p>Each point lowers every category's threshold to the next score; a ring marks the policy's own threshold.</p>\n<div class=\"charts\">\n");
    for (name, curves) in charts(e) {
        let curves: Vec<(&str, &Column)> = curves.iter().map(|(n, c)| (n.as_str(), *c)).collect();
        s.push_str(&chart(&name, &curves, 0.0, 0.0, true));
        s.push('\n');
    }
    s.push_str("</div>\n");
    for (run, name) in e.runs.iter().zip(&names) {
        let _ = writeln!(
            s,
            "<h2>Threshold sweep, {}</h2>\n<p>Precision / recall with every category's threshold at t; highlighted: the policy's own.</p>",
            escape(name)
        );
        s.push_str("<table class=\"sweep\">\n<tr><th>t</th>");
        let cols: Vec<&Column> = columns(run).collect();
        for c in &cols {
            let _ = write!(s, "<th>{}</th>", escape(&c.name));
        }
        s.push_str("</tr>\n");
        let mut thresholds: Vec<f32> = cols
            .iter()
            .flat_map(|c| c.sweep.iter().map(|r| r.threshold))
            .collect();
        thresholds.sort_by(f32::total_cmp);
        thresholds.dedup_by(|a, b| (*a - *b).abs() < 1e-4);
        for t in thresholds {
            let _ = write!(s, "<tr><td>{t:.2}</td>");
            for c in &cols {
                match c.sweep.iter().find(|r| (r.threshold - t).abs() < 1e-4) {
                    Some(r) => {
                        let class = if r.policy { " class=\"policy\"" } else { "" };
                        let _ = write!(
                            s,
                            "<td{class}>{} / {}</td>",
                            rate(r.rates.precision),
                            rate(r.rates.recall)
                        );
                    }
                    None => s.push_str("<td></td>"),
                }
            }
            s.push_str("</tr>\n");
        }
        s.push_str("</table>\n");
    }
    if e.runs.len() == 2 {
        let _ = writeln!(
            s,
            "<h2>Items decided differently ({})</h2>\n<table class=\"differences\">\n<tr><th>item</th><th>expected</th><th>A</th><th>B</th><th>text</th></tr>",
            e.differences.len()
        );
        for d in &e.differences {
            let _ = writeln!(
                s,
                "<tr><td>{}{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&d.at),
                d.id.as_ref()
                    .map_or_else(String::new, |id| format!(" ({})", escape(id))),
                escape(&d.expected),
                escape(&d.a),
                escape(&d.b),
                escape(&d.text)
            );
        }
        s.push_str("</table>\n");
    }
    if !e.failed_lines.is_empty() {
        let _ = writeln!(s, "<h2>Failed lines ({})</h2>\n<ul>", e.failed_lines.len());
        for f in &e.failed_lines {
            let _ = writeln!(s, "<li>{}</li>", escape(&f.to_string()));
        }
        s.push_str("</ul>\n");
    }
    s.push_str("</body>\n</html>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape("<a href=\"x\">&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;"
        );
    }
}
