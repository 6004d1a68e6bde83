// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* argtrace syscall's numbers from the running kernel: not a subject, one
 * program run at start-up through BPF_PROG_TEST_RUN (raw_tp: Linux 5.10),
 * once per syscall number, never attached.
 *
 * At boot init_ftrace_syscalls() numbers each syscall's struct
 * syscall_metadata (its name, argument names and C types: what the
 * tracefs format files print) and keeps them in the nr-indexed array
 * `syscalls_metadata`. User space finds that static's address in
 * /proc/kallsyms (CONFIG_KALLSYMS_ALL) and writes it here; the program reads
 * the entry of the number in its context (args[0]) into `out`. It only
 * reads. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "syscall.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* &syscalls_metadata (a struct syscall_metadata **), from /proc/kallsyms. */
const volatile __u64 metadata_addr = 0;

/* The entry of the last number asked. */
struct syscall_meta out = {};

SEC("raw_tp")
int read_syscall_meta(struct bpf_raw_tracepoint_args *ctx)
{
	__u64 nr = ctx->args[0];
	struct syscall_metadata **table = NULL, *meta = NULL;
	const char **args, **types;
	__u32 n;

	out.nr = -1;
	out.nb_args = 0;
	out.name[0] = 0;
	if (nr >= ARGTRACE_SYSCALL_NR_MAX)
		return 1;
	if (bpf_probe_read_kernel(&table, sizeof(table), (void *)metadata_addr) || !table)
		return 2;
	if (bpf_probe_read_kernel(&meta, sizeof(meta), table + nr) || !meta)
		return 0;
	out.nr = BPF_CORE_READ(meta, syscall_nr);
	n = BPF_CORE_READ(meta, nb_args);
	out.nb_args = n;
	bpf_probe_read_kernel_str(out.name, sizeof(out.name), BPF_CORE_READ(meta, name));
	args = BPF_CORE_READ(meta, args);
	types = BPF_CORE_READ(meta, types);
#pragma unroll
	for (int i = 0; i < 6; i++) {
		const char *a = NULL, *t = NULL;

		out.args[i][0] = 0;
		out.types[i][0] = 0;
		if (i >= n)
			continue;
		if (!bpf_probe_read_kernel(&a, sizeof(a), args + i) && a)
			bpf_probe_read_kernel_str(out.args[i], sizeof(out.args[i]), a);
		if (!bpf_probe_read_kernel(&t, sizeof(t), types + i) && t)
			bpf_probe_read_kernel_str(out.types[i], sizeof(out.types[i]), t);
	}
	return 0;
}
