"""Boot cases for the task-switch guest (tests/guests/taskswitch.c, issue 18): JMP, CALL/IRET, INT n
and exceptions (#GP, #DF) through task gates, and the switches that must fault. On SVM the CPU
switches tasks itself (QEMU TCG and Bochs ryzen: the reference); on VMX (Bochs corei7_skylake_x) each
one exits and vmm/task_switch.c emulates it. Same keys as cases.py.
"""
from guest_cases import DONE, guest_expect, guest_forbid

MODULE = [("build/guests/taskswitch.elf", "taskswitch.elf")]
# The guest asks for its exit statistics last (hypercall 4): on VMX the task switches are there.
EMULATED = r"exit-stats: vcpu0 total \d+, .*task-switch \d+"
NOT_EXITED = r"task-switch \d+"


def case(name, emulated, args="", **run):
    c = dict(name=f"taskswitch-{name}", modules=[(MODULE[0][0], f"{MODULE[0][1]} {args}".strip())], done=DONE,
             expect=guest_expect("taskswitch") + ([EMULATED] if emulated else [r"exit-stats: vcpu0 total"]),
             forbid=guest_forbid() + ([] if emulated else [NOT_EXITED]))
    c.update(run)
    return c


QEMU = dict(emulator="qemu", boot="kernel", smp=1, timeout=60, exit_code=1)
BOCHS = dict(emulator="bochs", boot="iso", proto="multiboot2", smp=1, timeout=300, linger=1)

# 32-bit paging, then PAE (a new CR3 with new PDPTEs, which VMX takes from the VMCS).
TASKSWITCH_CASES = [
    case("qemu-smp1", False, **QEMU),
    case("bochs-skylake-smp1", True, cpu_model="corei7_skylake_x", **BOCHS),
    case("bochs-ryzen-smp1", False, cpu_model="ryzen", **BOCHS),
    case("pae-qemu-smp1", False, args="pae", **QEMU),
    case("pae-bochs-skylake-smp1", True, args="pae", cpu_model="corei7_skylake_x", **BOCHS),
]
