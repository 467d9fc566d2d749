use std::io::{self, BufRead};

fn audit(event: &str, who: &str) {
    log::warn!("audit {}: {}", event, who);
}

fn main() {
    let stdin = io::stdin();
    let mut name = String::new();
    stdin.lock().read_line(&mut name).expect("read");
    audit("login", name.trim());
}
