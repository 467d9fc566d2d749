use std::process::Command;

fn run(user_cmd: &str) -> std::io::Result<std::process::Output> {
    Command::new("sh").arg("-c").arg(user_cmd).output()
}
