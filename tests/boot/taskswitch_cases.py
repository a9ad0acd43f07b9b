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


def case(name, emulated, **run):
    c = dict(name=f"taskswitch-{name}", modules=MODULE, done=DONE,
             expect=guest_expect("taskswitch") + ([EMULATED] if emulated else [r"exit-stats: vcpu0 total"]),
             forbid=guest_forbid() + ([] if emulated else [NOT_EXITED]))
    c.update(run)
    return c


TASKSWITCH_CASES = [
    case("qemu-smp1", False, emulator="qemu", boot="kernel", smp=1, timeout=60, exit_code=1),
    case("bochs-skylake-smp1", True, emulator="bochs", boot="iso", proto="multiboot2",
         cpu_model="corei7_skylake_x", smp=1, timeout=300, linger=1),
    case("bochs-ryzen-smp1", False, emulator="bochs", boot="iso", proto="multiboot2", cpu_model="ryzen", smp=1,
         timeout=300, linger=1),
]
