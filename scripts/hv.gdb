# gdb helpers for the hypervisor, loaded by the command `make debug` prints:
#   gdb build/hv.elf -x scripts/hv.gdb -ex 'target remote :1234'
# QEMU shows each CPU as a thread (thread 1 = CPU 0). The hypervisor's per-CPU block is at the
# GS base while the CPU runs hypervisor code; in guest mode $gs_base is the guest's (SVM does not
# restore the host's until the exit path does), so break in hypervisor code first, e.g.
#   hbreak vcpu_run_loop     (hardware breakpoints work before the image is relocated and paged)

set confirm off
set print pretty on

define hv-cpu
  if $argc == 0
    print *(struct percpu *)$gs_base
  else
    print *cpus[$arg0]
  end
end
document hv-cpu
hv-cpu [N]: the per-CPU block of the selected CPU (by its GS base), or of CPU N (smp.c's cpus[]).
end

define hv-vcpu
  if $argc == 0
    print *((struct percpu *)$gs_base)->vcpu
  else
    print *cpus[$arg0]->vcpu
  end
end
document hv-vcpu
hv-vcpu [N]: the vCPU the selected CPU (or CPU N) runs: registers at its last exit, counters, ring.
end

define hv-stats
  if $argc == 0
    set $hv_v = ((struct percpu *)$gs_base)->vcpu
  else
    set $hv_v = cpus[$arg0]->vcpu
  end
  set $hv_i = 0
  while $hv_i < EXIT_NR
    if $hv_v->exits[$hv_i]
      printf "%-14s %10llu exits %14llu cycles max %llu\n", reason_names[$hv_i], $hv_v->exits[$hv_i], $hv_v->exit_cycles[$hv_i], $hv_v->exit_cycles_max[$hv_i]
    end
    set $hv_i = $hv_i + 1
  end
end
document hv-stats
hv-stats [N]: the exit counters and cycles of the selected CPU's vCPU (or CPU N's), by reason.
end
