"""The debug console (issue 15): keys typed on the hypervisor's own UART (console=com2) while the
`spin` guest runs. The runner connects to COM2 (a unix socket for QEMU, a TCP socket for Bochs),
keeps what it reads as com2.log (the hypervisor's log, which the checks read), and types each key
once the answer to the one before has appeared. The guest's COM1 is guest.log.

debugkeys-shared-*: COM1 shared by guest and hypervisor with debugkeys=on (the guest's UART
emulated, vmm/vuart.c): the runner types on COM1, Ctrl-A three times before the keys and after
them, and the guest must get its own input and none of the keys."""
import linux_cases

DONE = r"reboot: debug key R: rebooting"
FORBID = [r"PANIC", r"\bEXCEPTION (#|NMI|reserved)", r"not ok \d+ - ", r"does nothing"]

# (key, the regex its answer must show); each key is typed after the previous answer's regex.
ANSWERS = [
    (b"h", r"debug: R  reboot through the reboot path"),
    (b"e", r"stats: +0 cpuid +\d+ +\d+ +\d+[\s\S]*?stats: +0 total \d+ exits"),
    (b"v", r"vcpu0: (?:in the hypervisor|running|halted)[^\n]*\n(?:.*\n)*?.*vcpu0: RAX [0-9a-f]{16}"),
    (b"r", r"vcpu0: ring of the last 16 exits\n(?:.*\n)*?.*vcpu0: recent exit #\d+: code 0x[0-9a-f]+ at RIP 0x[0-9a-f]+ "
           r"qual 0x[0-9a-f]+ tsc \d+ \(last\)"),
    (b"m", r"memory: (?:SVM|VMX)[^\n]*nested tables at 0x[0-9a-f]+ map 0-0x[0-9a-f]+ 1:1"),
    (b"+", r"debug: log level 7"),
    (b"-", r"debug: log level 6"),
    (b"R", DONE),
]


def keys_case(name, emulator, smp, guest_args, cpu_model=None, timeout=120, extra_expect=()):
    module = [("build/guests/spin.elf", f"spin.elf {guest_args}".strip())]
    # The first key waits for the statistics table the guest asks for (hypercall 6) at its start.
    first = r"stats: cpu reason +count +avg-cycles +max-cycles\n(?:.*\n)*?.*stats: +0 total \d+ exits"
    keys, after = [], first
    for key, answer in ANSWERS:
        keys.append((after, key))
        after = answer
    expect = [r"debug: keys on the console \(port 0x2f8\): press h for help", first]
    expect += [a for _, a in ANSWERS] + list(extra_expect)
    case = dict(name=name, emulator=emulator, smp=smp, cmdline="console=com2", modules=module, keys=keys,
                expect=expect, forbid=FORBID, done=DONE, timeout=timeout, linger=1,
                expect_files={"guest.log": [r"^ok \d+ - the hypervisor's UART \(COM2\) does not answer the guest",
                                            r"^ok \d+ - hypercall 6 prints the exit statistics table",
                                            r"^# (?:spinning|halting) "]})
    if emulator == "qemu":
        case.update(boot="kernel")
    else:
        case.update(boot="iso", proto="multiboot2", cpu_model=cpu_model)
    return case


# A vCPU the guest never started still answers from its wait-for-SIPI state.
WAITING = [r"vcpu1: waiting for SIPI"]

# `make debug`: gdb stops an AP (QEMU thread 2) in its run loop and reads its per-CPU block through
# the GS base, the helpers of scripts/hv.gdb, and a vCPU field.
GDB_CASE = dict(name="make-debug-gdb", kind="gdb", emulator="qemu", guest="build/guests/spin.elf", timeout=180,
                gdb=["hbreak park_ap", "continue", "hv-cpu", "print cpus[1]->cpu_id", "delete",
                     "hbreak vcpu_run_loop", "continue", "hv-vcpu", "hv-stats"],
                # gdb shows an argument the function has not changed as v=v@entry=...
                expect=[r"Thread 2 hit Breakpoint 1, park_ap", r"^  cpu_id = 1,$",
                        r"^\$2 = 1$", r"vcpu_run_loop \(v=(?:v@entry=)?0x[0-9a-f]+\)", r"^  part = 0x[0-9a-f]+"])


def panic_ring_case(name, emulator, cpu_model=None):
    """selftest=hcpanic: the panic prints the panicking CPU's exit ring, the hypercall last (SVM
    VMMCALL 0x81, VMX VMCALL 18), at the RIP the guest's hypercall is at."""
    module = [("build/guests/spin.elf", "spin.elf exits")]
    case = dict(name=name, emulator=emulator, smp=1, cmdline="selftest=hcpanic", modules=module,
                done=r"reboot: resetting through", linger=1, timeout=300 if emulator == "bochs" else 60, forbid=[],
                expect=[r"PANIC: selftest: the guest's first hypercall",
                        r"PANIC: selftest[^\n]*\n(?:.*recent exit.*\n)*.*vcpu0: recent exit #\d+: code 0x(?:81|12) "
                        r"at RIP 0x[0-9a-f]+ qual 0x[0-9a-f]+ tsc \d+ \(last\)\n(?!.*recent exit)",
                        r"reboot: resetting through"])
    if emulator == "qemu":
        case.update(boot="kernel")
    else:
        case.update(boot="iso", proto="multiboot2", cpu_model=cpu_model)
    return case


TOGGLE = b"\x01\x01\x01"
TO_HV = r"debug: console input to the hypervisor: every key is a debug key"
TO_GUEST = r"debug: console input back to the guest"


def shared_spin_case(name, emulator, smp, cpu_model=None, timeout=120):
    """The spin guest on a shared COM1: Ctrl-A x3, the keys up to `-`, Ctrl-A x3 (input back to the
    guest: the `x` typed then is the guest's, never a key), Ctrl-A x3 again, then R."""
    module = [("build/guests/spin.elf", "spin.elf exits")]
    keys, after = [(r"^# spinning on CPUID exits", TOGGLE)], TO_HV
    for key, answer in ANSWERS[:-1]:
        keys.append((after, key))
        after = answer
    # x while the input is the guest's, then the switch back: R is a key again
    keys += [(after, TOGGLE), (TO_GUEST, b"x" + TOGGLE), (TO_HV, b"R")]
    expect = [r"debug: keys on the console shared with the guest \(port 0x3f8",
              r"^ok \d+ - hypercall 6 prints the exit statistics table", r"^# spinning on CPUID exits"]
    expect += [a for _, a in ANSWERS] + [TO_GUEST + r"[\s\S]*" + TO_HV]
    case = dict(name=name, emulator=emulator, smp=smp, cmdline="debugkeys=on", modules=module, keys=keys,
                keys_uart="com1", expect=expect, forbid=FORBID + [r"debug: key 'x'", r"debug: key '\?'"],
                done=DONE, timeout=timeout, linger=1)
    if emulator == "qemu":
        case.update(boot="kernel")
    else:
        case.update(boot="iso", proto="multiboot2", cpu_model=cpu_model)
    return case


def shared_linux_case(name, smp=1):
    """Linux on a shared COM1 (QEMU SVM): Ctrl-A x3, keys h e v answered, Ctrl-A x3, then a line the
    guest reads (hvtest=echo) and prints back: exactly that line, no key and no Ctrl-A in it."""
    keys = [(r"^HV-LINUX-ECHO: type a line", TOGGLE), (TO_HV, b"h"), (ANSWERS[0][1], b"e"),
            (r"stats: +0 total \d+ exits", b"v"), (ANSWERS[2][1], TOGGLE), (TO_GUEST, b"hello hv\r")]
    case = linux_cases.linux(name, hvtest="echo", smp=smp, keys=keys, keys_uart="com1", cmdline="debugkeys=on")
    case["expect"] = case["expect"] + [
        r"debug: keys on the console shared with the guest \(port 0x3f8", TO_HV, ANSWERS[0][1],
        r"stats: +0 [a-z-]+ +\d+ +\d+ +\d+", ANSWERS[2][1], TO_GUEST, r"^HV-LINUX-ECHO: got 'hello hv'$",
        r"HV-LINUX-TEST: done"] + [rf"exit-stats: vcpu{c} total \d+" for c in range(smp)]
    case["forbid"] = case["forbid"] + [r"does nothing"]
    case["done"] = rf"exit-stats: vcpu{smp - 1} total|Kernel panic|PANIC"
    return case


DEBUGKEYS_CASES = [
    panic_ring_case("panic-ring-qemu-smp1", "qemu"),
    panic_ring_case("panic-ring-bochs-skylake-smp1", "bochs", "corei7_skylake_x"),
    GDB_CASE,
    keys_case("debugkeys-qemu-smp1", "qemu", 1, "exits"),
    keys_case("debugkeys-qemu-smp2", "qemu", 2, "exits", extra_expect=WAITING),
    keys_case("debugkeys-bochs-ryzen-smp1", "bochs", 1, "exits", cpu_model="ryzen", timeout=300),
    keys_case("debugkeys-bochs-skylake-smp1", "bochs", 1, "exits", cpu_model="corei7_skylake_x", timeout=300),
    # The VMX-preemption timer: the guest spins with interrupts off and takes no exit at all.
    # SVM has no timer of its own (README, "When keys are answered"): a guest spinning with
    # interrupts off on its only CPU takes no exit, and the first key stays unanswered for 20 s.
    dict(keys_case("debugkeys-cli-unanswered-qemu-smp1", "qemu", 1, "cli", timeout=20),
         expect_timeout=True, expect=[r"debug: keys on the console", r"stats: +0 total \d+ exits"],
         forbid=FORBID + [r"debug: key '"]),
    shared_spin_case("debugkeys-shared-qemu-smp1", "qemu", 1),
    shared_spin_case("debugkeys-shared-qemu-smp2", "qemu", 2),
    shared_spin_case("debugkeys-shared-bochs-skylake-smp1", "bochs", 1, cpu_model="corei7_skylake_x", timeout=300),
    shared_linux_case("debugkeys-shared-linux-qemu-smp1"),
    # Two CPUs: the guest's UART is touched from both (console lines, the interrupt), under one lock.
    shared_linux_case("debugkeys-shared-linux-qemu-smp2", smp=2),
    # A guest halted with interrupts off: only the preemption timer exits, and `v`, answered on
    # that exit, reads the guest's activity state: halted.
    keys_case("debugkeys-hlt-bochs-skylake-smp1", "bochs", 1, "hlt", cpu_model="corei7_skylake_x", timeout=300,
              extra_expect=[r"vcpu0: halted \(in the hypervisor answering this key\)", r"stats: +0 timer +\d+"]),
    keys_case("debugkeys-cli-bochs-skylake-smp1", "bochs", 1, "cli", cpu_model="corei7_skylake_x", timeout=300,
              extra_expect=[r"stats: +0 timer +\d+"]),
]
