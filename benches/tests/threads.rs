//! The load programs and the neutral server on several threads, end to end: every
//! connection is made and echoed on, whichever thread it lands on, and the report counts
//! the messages of all threads.

use std::{
    net::TcpListener,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

/// Kills the server when the test ends, passed or not.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn neutral_server(threads: usize) -> (Server, String) {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let addr = format!("127.0.0.1:{port}");
    let child = Command::new(env!("CARGO_BIN_EXE_echo-server"))
        .args(["neutral", &addr, &threads.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("echo-server starts");
    let server = Server(child);
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(&addr).is_err() {
        assert!(
            Instant::now() < deadline,
            "the neutral server never listened"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    (server, addr)
}

/// Runs a load program to its end and returns its report line.
fn run(program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .stderr(Stdio::inherit())
        .output()
        .expect("the load program runs");
    assert!(out.status.success(), "{program} failed: {:?}", out.status);
    String::from_utf8(out.stdout).expect("a UTF-8 report")
}

fn number(report: &str, key: &str) -> f64 {
    let start = report
        .find(&format!("\"{key}\":"))
        .unwrap_or_else(|| panic!("no {key} in {report}"))
        + key.len()
        + 3;
    let rest = &report[start..];
    let end = rest.find([',', '}']).expect("a JSON number ends");
    rest[..end].parse().expect("a number")
}

#[test]
fn a_load_on_three_threads_uses_every_connection_against_a_two_thread_server() {
    let (server, addr) = neutral_server(2);
    let pid = server.0.id().to_string();
    let report = run(
        env!("CARGO_BIN_EXE_load"),
        &[
            "--addr",
            &addr,
            "--conns",
            "7",
            "--size",
            "100",
            "--pipeline",
            "2",
            "--warmup",
            "0.2",
            "--duration",
            "0.5",
            "--threads",
            "3",
            "--cpu-pid",
            &pid,
        ],
    );
    assert_eq!(number(&report, "connections"), 7.0, "{report}");
    assert_eq!(number(&report, "errors"), 0.0, "{report}");
    let messages = number(&report, "messages");
    assert!(messages > 0.0, "{report}");
    assert_eq!(number(&report, "bytes"), messages * 100.0, "{report}");
    assert!(number(&report, "p50_us") > 0.0, "{report}");
    // The server was measured, and so was the load program itself (its fixed side).
    assert!(number(&report, "cpu_user_s") >= 0.0, "{report}");
    assert!(number(&report, "fixed_cpu_s") >= 0.0, "{report}");
}

#[test]
fn a_client_load_reports_the_fixed_server_it_is_given() {
    let (server, addr) = neutral_server(2);
    let pid = server.0.id().to_string();
    let report = run(
        env!("CARGO_BIN_EXE_client-load"),
        &[
            "sockeye",
            "--addr",
            &addr,
            "--conns",
            "5",
            "--warmup",
            "0.2",
            "--duration",
            "0.5",
            "--fixed-pid",
            &pid,
        ],
    );
    assert_eq!(number(&report, "connections"), 5.0, "{report}");
    assert_eq!(number(&report, "errors"), 0.0, "{report}");
    assert!(number(&report, "messages") > 0.0, "{report}");
    assert!(number(&report, "fixed_cpu_s") >= 0.0, "{report}");
}

#[test]
fn more_threads_than_connections_still_make_every_connection() {
    let (_server, addr) = neutral_server(1);
    let report = run(
        env!("CARGO_BIN_EXE_load"),
        &[
            "--addr",
            &addr,
            "--conns",
            "2",
            "--warmup",
            "0.1",
            "--duration",
            "0.3",
            "--threads",
            "5",
        ],
    );
    assert_eq!(number(&report, "connections"), 2.0, "{report}");
    assert_eq!(number(&report, "errors"), 0.0, "{report}");
    // Without --cpu-pid the load program measures itself and has no fixed side.
    assert!(!report.contains("fixed_cpu_s"), "{report}");
}
