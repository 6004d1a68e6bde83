//! A program that starts two threads through the C library and joins them:
//! the "C-library thread" of the side-by-side test against strace
//! (tests/strace.rs). glibc makes them with clone3 on x86_64 and with clone
//! on arm64 (2.36).

fn main() {
    let workers: Vec<_> = (0..2).map(|i| std::thread::spawn(move || i * 2)).collect();
    let sum: i32 = workers.into_iter().map(|w| w.join().expect("thread")).sum();
    std::process::exit(if sum == 2 { 0 } else { 1 });
}
