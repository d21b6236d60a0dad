//! `pxby serve` on a port that another program holds, or with a `--data` that is not a
//! dataset, fails at once with a clear message.

use assert_cmd::Command;

#[test]
fn serve_on_a_port_in_use_fails_with_a_clear_message() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let out = Command::new(env!("CARGO_BIN_EXE_pxby"))
        .args(["serve", "--port", &port])
        .timeout(std::time::Duration::from_secs(20))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "error: port {port} on 127.0.0.1 is already in use"
        )),
        "{stderr}"
    );
}

#[test]
fn serve_with_a_file_that_is_not_a_dataset_fails_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("not.pxds");
    std::fs::write(&bad, b"not a dataset").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_pxby"))
        .args(["serve", "--port", "0", "--data"])
        .arg(&bad)
        .timeout(std::time::Duration::from_secs(20))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with(&format!("error: {}: ", bad.display())),
        "{stderr}"
    );
}
