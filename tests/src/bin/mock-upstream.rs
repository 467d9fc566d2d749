//! The mock Llama 3 server as a process, for benchmarks and manual demos:
//! `mock-upstream [ADDR]` (default 127.0.0.1:0) prints `listening on ADDR` and serves until
//! killed. Requests are not recorded.

use std::net::SocketAddr;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let addr: SocketAddr = match std::env::args()
        .nth(1)
        .as_deref()
        .unwrap_or("127.0.0.1:0")
        .parse()
    {
        Ok(addr) => addr,
        Err(err) => {
            eprintln!("usage: mock-upstream [IP:PORT] ({err})");
            return std::process::ExitCode::from(2);
        }
    };
    match warden_e2e::MockUpstream::start_on(addr, false).await {
        Ok(mock) => {
            println!("listening on {}", mock.addr());
            std::future::pending::<()>().await;
            std::process::ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("mock-upstream: cannot listen on {addr}: {err}");
            std::process::ExitCode::from(1)
        }
    }
}
