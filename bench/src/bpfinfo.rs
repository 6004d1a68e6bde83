//! What the kernel can tell about BPF programs other processes loaded, with
//! raw bpf() calls: which of a tracer's perf events carry a program (to know
//! bpftrace is really attached), and per-program run time and run count
//! (kernel.bpf_stats), to split a tracer's overhead into "the program" and
//! "everything else".

use std::collections::{HashMap, HashSet};
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};

use argtrace_testkit::bpf::{
    self, put_u32, put_u64, u32_at, u64_at, BPF_ENABLE_STATS, BPF_OBJ_GET_INFO_BY_FD, BPF_PROG_GET_FD_BY_ID,
    BPF_PROG_GET_NEXT_ID, BPF_TASK_FD_QUERY,
};

const BPF_FD_TYPE_TRACEPOINT: u32 = 1;

/// How many of `pid`'s descriptors are tracepoint perf events with a BPF
/// program attached (BPF_TASK_FD_QUERY, what `bpftool perf` shows).
pub fn attached_tracepoints(pid: i32) -> usize {
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return 0;
    };
    let mut n = 0;
    for entry in dir.filter_map(|e| e.ok()) {
        let Ok(target) = std::fs::read_link(entry.path()) else {
            continue;
        };
        if !target.to_string_lossy().contains("perf_event") {
            continue;
        }
        let Some(fd) = entry.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        let mut name = [0u8; 256];
        let mut attr = [0u8; 48];
        put_u32(&mut attr, 0, pid as u32);
        put_u32(&mut attr, 4, fd);
        put_u32(&mut attr, 12, name.len() as u32);
        put_u64(&mut attr, 16, name.as_mut_ptr() as u64);
        if bpf::call(BPF_TASK_FD_QUERY, &mut attr).is_ok() && u32_at(&attr, 28) == BPF_FD_TYPE_TRACEPOINT {
            n += 1;
        }
    }
    n
}

/// Keeps kernel.bpf_stats on while alive (BPF_ENABLE_STATS: the kernel turns
/// it off again when the last such descriptor closes, even if we crash).
pub struct StatsOn(#[allow(dead_code)] OwnedFd);

pub fn enable_stats() -> io::Result<StatsOn> {
    let mut attr = [0u8; 8]; // enable_stats.type = BPF_STATS_RUN_TIME (0)
    Ok(StatsOn(bpf::call_fd(BPF_ENABLE_STATS, &mut attr)?))
}

/// One program's counters at one moment.
#[derive(Clone, Debug)]
pub struct ProgStat {
    pub name: String,
    pub run_time_ns: u64,
    pub run_cnt: u64,
}

/// Every loaded program's counters, by id.
pub fn snapshot() -> HashMap<u32, ProgStat> {
    let mut out = HashMap::new();
    for id in bpf::ids(BPF_PROG_GET_NEXT_ID) {
        let mut attr = [0u8; 12];
        put_u32(&mut attr, 0, id);
        let Ok(fd) = bpf::call_fd(BPF_PROG_GET_FD_BY_ID, &mut attr) else {
            continue;
        };
        // struct bpf_prog_info: name at 64, run_time_ns at 192, run_cnt at 200.
        let mut info = [0u8; 232];
        let mut attr = [0u8; 16];
        put_u32(&mut attr, 0, fd.as_raw_fd() as u32);
        put_u32(&mut attr, 4, info.len() as u32);
        put_u64(&mut attr, 8, info.as_mut_ptr() as u64);
        if bpf::call(BPF_OBJ_GET_INFO_BY_FD, &mut attr).is_err() {
            continue;
        }
        let name = &info[64..80];
        let name = String::from_utf8_lossy(&name[..name.iter().position(|b| *b == 0).unwrap_or(16)]).into_owned();
        out.insert(id, ProgStat { name, run_time_ns: u64_at(&info, 192), run_cnt: u64_at(&info, 200) });
    }
    out
}

/// The ids of the BPF programs `pid` holds a descriptor of (/proc/PID/fdinfo
/// says `prog_id:` for a bpf-prog descriptor), so another tool's programs
/// loaded meanwhile on a shared machine are not counted as the tracer's.
pub fn prog_ids_of(pid: i32) -> HashSet<u32> {
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return HashSet::new();
    };
    dir.filter_map(|e| e.ok())
        .filter(|e| std::fs::read_link(e.path()).is_ok_and(|t| t.to_string_lossy().contains("bpf-prog")))
        .filter_map(|e| std::fs::read_to_string(format!("/proc/{pid}/fdinfo/{}", e.file_name().to_string_lossy())).ok())
        .filter_map(|info| info.lines().find_map(|l| l.strip_prefix("prog_id:")).and_then(|v| v.trim().parse().ok()))
        .collect()
}

/// Programs of `owned` that ran between two snapshots: (name, ns, runs),
/// sorted by name.
pub fn delta(owned: &HashSet<u32>, before: &HashMap<u32, ProgStat>, after: &HashMap<u32, ProgStat>) -> Vec<ProgStat> {
    let mut v: Vec<ProgStat> = after
        .iter()
        .filter(|(id, _)| owned.contains(id))
        .filter_map(|(id, a)| {
            let b = before.get(id);
            let runs = a.run_cnt - b.map_or(0, |b| b.run_cnt);
            (runs > 0).then(|| ProgStat {
                name: a.name.clone(),
                run_time_ns: a.run_time_ns - b.map_or(0, |b| b.run_time_ns),
                run_cnt: runs,
            })
        })
        .collect();
    v.sort_by(|a, b| a.name.cmp(&b.name));
    v
}
