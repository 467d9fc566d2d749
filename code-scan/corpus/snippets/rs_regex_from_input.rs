use regex::Regex;

pub fn tag_filter(tag: &str, lines: &[String]) -> Vec<String> {
    let rx = Regex::new(&format!(r"\b{}\b", tag)).unwrap();
    lines.iter().filter(|l| rx.is_match(l)).cloned().collect()
}
