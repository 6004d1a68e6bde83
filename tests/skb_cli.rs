//! `argtrace skb`'s command-line promises: each bad combination of its options
//! gets one `argtrace: ...` line and its documented exit code before any BPF
//! work; a pcap file that cannot be written is an output error; and the
//! packet filters run in the kernel. Runs as root on the running kernel (the
//! end-to-end cases of skb are in e2e/src/skb.rs, run by tests/live.rs).

mod common;

use std::net::UdpSocket;
use std::process::Stdio;
use std::time::Duration;

use common::{assert_one_line_error, run, start};

#[test]
fn bad_skb_options_are_usage_errors() {
    assert_one_line_error(&run(&["skb", "--snaplen", "100"]), 2, "--pcap");
    assert_one_line_error(&run(&["skb", "--print"]), 2, "--pcap");
    assert_one_line_error(&run(&["skb", "--peek", "65536"]), 2, "65536");
    assert_one_line_error(&run(&["skb", "--pcap", "/tmp/x.pcap", "--snaplen", "0"]), 2, "--snaplen");
    assert_one_line_error(&run(&["skb", "--pcap", "/tmp/x.pcap", "--snaplen", "262145"]), 2, "--snaplen");
    assert_one_line_error(&run(&["skb", "--port", "0"]), 2, "--port");
    assert_one_line_error(&run(&["skb", "--ingress", "--egress"]), 2, "cannot be used with");
    assert_one_line_error(
        &run(&["skb", "--host", "::1", "-4"]),
        2,
        "--host ::1 is an IPv6 address, but -4 keeps only IPv4",
    );
    assert_one_line_error(&run(&["skb", "--host", "not-an-address"]), 2, "--host");
    assert_one_line_error(
        &run(&["skb", "--iface", "no-such-if0"]),
        2,
        "--iface no-such-if0: no such network interface",
    );
    // --cgroup (a real cgroup v2 directory, where one is mounted) and --iface exclude each other.
    let mounts = std::fs::read_to_string("/proc/mounts").expect("/proc/mounts");
    let cgroup2 = mounts.lines().map(|l| l.split(' ').collect::<Vec<_>>()).find(|f| f.len() > 2 && f[2] == "cgroup2");
    match cgroup2 {
        Some(f) => assert_one_line_error(
            &run(&["skb", "--iface", "lo", "--cgroup", f[1]]),
            2,
            "skb --iface lo is a socket filter on an interface, which sees no cgroup",
        ),
        None => assert_one_line_error(&run(&["skb", "--iface", "lo", "--cgroup", "/sys"]), 2, "--cgroup /sys"),
    }
    assert_one_line_error(&run(&["skb", "--iface", "lo", "--unowned"]), 2, "cannot be used with");
    assert_one_line_error(&run(&["skb", "--cgroup", "/proc"]), 2, "--cgroup /proc is not a cgroup v2 directory");
    assert_one_line_error(&run(&["skb", "--stack"]), 2, "skb cannot show stacks");
    assert_one_line_error(&run(&["skb", "--probe", "kprobe"]), 2, "skb has no kprobe probe mode");
}

#[test]
fn the_fallback_refuses_process_filters() {
    let me = std::process::id().to_string();
    for args in [["skb", "--iface", "lo", "-p", &me], ["skb", "--probe", "socket", "-u", "0"]] {
        let out = run(&args);
        assert_one_line_error(&out, 2, "sees an interface's packets, not the process that owns them");
    }
}

#[test]
fn a_pcap_that_cannot_be_written_is_an_output_error() {
    let out = run(&["skb", "--pcap", "/nonexistent-dir/out.pcap"]);
    assert_one_line_error(&out, 6, "cannot write /nonexistent-dir/out.pcap");
}

/// Runs `argtrace skb ARGS --json` while `send` makes traffic; returns the events.
fn traced(args: &[&str], send: impl FnOnce()) -> Vec<String> {
    let mut all = vec!["skb"];
    all.extend_from_slice(args);
    all.push("--json");
    let (child, _stderr) = start(&all, Stdio::piped());
    send();
    std::thread::sleep(Duration::from_millis(300));
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let out = child.wait_with_output().expect("argtrace output");
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout).lines().filter(|l| !l.starts_with("{\"summary\"")).map(String::from).collect()
}

#[test]
fn packet_filters_run_in_the_kernel() {
    let rx4 = UdpSocket::bind("127.0.0.1:0").unwrap();
    let rx6 = UdpSocket::bind("[::1]:0").unwrap();
    let (p4, p6) = (rx4.local_addr().unwrap().port(), rx6.local_addr().unwrap().port());
    let tx4 = UdpSocket::bind("127.0.0.1:0").unwrap();
    let tx6 = UdpSocket::bind("[::1]:0").unwrap();
    let send = || {
        tx4.send_to(b"four", ("127.0.0.1", p4)).unwrap();
        tx6.send_to(b"six", ("::1", p6)).unwrap();
    };
    // Only the IPv6 datagram, only leaving: --host, -6, --egress, --proto.
    let p6s = p6.to_string();
    let events = traced(&["--host", "::1", "-6", "--egress", "--proto", "udp", "--port", &p6s], send);
    assert_eq!(events.len(), 1, "{events:?}");
    assert!(events[0].contains("\"dir\": \"egress\"") && events[0].contains("\"peek\": \"six\""), "{events:?}");
    // Only arriving, IPv4, by port: the datagram once, at ingress.
    let p4s = p4.to_string();
    let events = traced(&["--ingress", "-4", "--port", &p4s, "--peek", "2"], || {
        tx4.send_to(b"four", ("127.0.0.1", p4)).unwrap();
        tx6.send_to(b"six", ("::1", p6)).unwrap();
    });
    assert_eq!(events.len(), 1, "{events:?}");
    assert!(
        events[0].contains("\"dir\": \"ingress\"") && events[0].contains("\"peek\": \"fo\", \"peek_len\": 2"),
        "{events:?}"
    );
}
