// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* -f: the fork and exit hooks that keep the follow map (bpf/argtrace.bpf.h)
 * of a subject's object up to date, whatever its family. Loaded only with -f,
 * beside the subject's object, whose follow and drops maps it shares
 * (src/trace/follow.rs). Every subject's filter (want_ids) then sees a child
 * as followed from its first instruction on: sched_process_fork fires in
 * kernel_clone() before wake_up_new_task(), so the child cannot run first. */
#include "argtrace.bpf.h"

enum argtrace_follow _argtrace_follow = 0;

/* Children that could not be followed because the map was full: also
 * counted as lost (drops), and said at exit. */
__u64 follow_full = 0;

static __always_inline void follow_add(__u32 key, __u8 how)
{
	if (bpf_map_update_elem(&follow, &key, &how, BPF_ANY)) {
		__sync_fetch_and_add(&follow_full, 1);
		count_drop();
	}
}

/* A new task: a child process of a followed process joins whole (its tgid,
 * not the tracepoint's child_pid, which is a thread id); a new thread of a
 * followed process is already in. A task a followed --tid thread creates
 * joins as a process, or, a thread of the same process, as a thread. */
SEC("raw_tp/sched_process_fork")
int BPF_PROG(follow_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = BPF_CORE_READ(parent, tgid);
	__u32 ctgid = BPF_CORE_READ(child, tgid);
	__u8 *how = bpf_map_lookup_elem(&follow, &ptgid);

	if (how && *how == FOLLOW_PROCESS) {
		if (ctgid != ptgid)
			follow_add(ctgid, FOLLOW_PROCESS);
		return 0;
	}
	if (!filter_tid)
		return 0;
	__u32 ptid = BPF_CORE_READ(parent, pid);

	how = bpf_map_lookup_elem(&follow, &ptid);
	if (!how || *how != FOLLOW_THREAD)
		return 0;
	if (ctgid != ptgid)
		follow_add(ctgid, FOLLOW_PROCESS);
	else
		follow_add(BPF_CORE_READ(child, pid), FOLLOW_THREAD);
	return 0;
}

/* A task freed (after its exit and its reaping): a thread's own entry goes;
 * a process's goes with its leader once no thread of it lives (the leader is
 * reaped last; an old leader replaced by a thread's execve is freed while
 * its process lives on). */
SEC("raw_tp/sched_process_free")
int BPF_PROG(follow_free, struct task_struct *task)
{
	__u32 tid = BPF_CORE_READ(task, pid);
	__u32 tgid = BPF_CORE_READ(task, tgid);

	if (tid != tgid || BPF_CORE_READ(task, signal, live.counter) == 0)
		bpf_map_delete_elem(&follow, &tid);
	return 0;
}
