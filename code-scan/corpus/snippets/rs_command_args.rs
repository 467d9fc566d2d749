use std::process::Command;

fn list(dir: &str) -> std::io::Result<std::process::Output> {
    Command::new("ls").arg("-la").arg(dir).output()
}
