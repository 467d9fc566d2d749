//! Splits start-up into rule compilation and example verification (for tuning start-up):
//! `cargo run --release -p warden-code-scan --example startup`
use std::time::Instant;
fn main() {
    let files = warden_code_scan::rules::builtin_rule_files()
        .iter()
        .copied();
    let t = Instant::now();
    let s = warden_code_scan::rules::compile_unverified(files).expect("compile");
    println!("compile {:.0} ms", t.elapsed().as_secs_f64() * 1e3);
    let t = Instant::now();
    assert!(s.example_failures().is_empty());
    println!("verify {:.0} ms", t.elapsed().as_secs_f64() * 1e3);
}
