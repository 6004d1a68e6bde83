// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Not a subject, and no programs: the structs and enums of argtrace.h that
 * user space reads the same way whatever the subject (the summary's counters
 * and their limits), kept in BTF by dummy globals so that this one skeleton
 * gives Rust their generated types (src/summary.rs). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "argtrace.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct argtrace_call_stats _argtrace_call_stats = {};
struct argtrace_errno_key _argtrace_errno_key = {};
enum argtrace_summary_limits _argtrace_summary_limits = 0;
