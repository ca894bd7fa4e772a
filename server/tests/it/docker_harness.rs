//! Self-test of the Docker harness: image, a published container, and removal of exactly ours.

use crate::support::docker::Containers;
use crate::support::portall::free_port;
use std::process::Command;

#[test]
fn runs_a_published_container_and_removes_only_its_own() {
    let port = free_port();
    let prefix;
    {
        let mut c = Containers::new("harness");
        prefix = c.prefix.clone();
        let id = c.run(
            "web",
            &[&format!("127.0.0.1:{port}:80")],
            &["httpd", "-f", "-p", "80"],
        );
        assert_eq!(id.len(), 64, "full container id");
        assert_eq!(c.running(), vec![c.name("web")]);
        let ps = Command::new("docker")
            .args(["ps", "--format", "{{.Names}} {{.Ports}}"])
            .output()
            .unwrap();
        let ps = String::from_utf8_lossy(&ps.stdout);
        assert!(
            ps.contains(&format!("{} 127.0.0.1:{port}->80/tcp", c.name("web"))),
            "docker ps shows the published port:\n{ps}"
        );
        // The port really answers: busybox httpd behind the published binding.
        let mut ok = false;
        for _ in 0..50 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                ok = true;
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        assert!(ok, "published port {port} accepts connections");
    }
    let left = Command::new("docker")
        .args([
            "ps",
            "-a",
            "--filter",
            &format!("name={prefix}"),
            "--format",
            "{{.Names}}",
        ])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&left.stdout).trim(),
        "",
        "guard removed its containers"
    );
}
