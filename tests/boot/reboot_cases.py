"""Boot cases for the reboot path (issue 7): every guest reset request, a hypervisor panic and a fault
in the leave step go through one routine that takes every CPU out of SVM/VMX, then resets the machine.
Same keys as cases.py, plus three runner keys: `done_count` (the `done` regex must match that many
times), `no_reboot` (False: QEMU runs without -no-reboot, so a reset really reboots the machine) and
`expect_files` ({file in the case's directory: [regex]}, e.g. the Bochs log).

The guest tests/guests/reboot.c asks for a reset the way its module string names (cf9, kbd, fadt,
triple) and never returns when the reset works. The hypervisor logs, one line each:

    reboot: guest reset request: port 0xcf9        (or a panic: PANIC: ...)
    reboot: CPU 1 left SVM                          every other CPU, from its NMI
    reboot: CPU 0 left SVM                          the initiator last
    reboot: resetting through port 0xcf9            FADT register, 0xcf9, keyboard controller, triple fault

Port 0xcf9 is intercepted only where the FADT names it as the reset register (q35): anywhere else an
intercepted 0xcf9 would make every 4-byte access to the PCI configuration address 0xcf8 exit. On QEMU
`pc` and Bochs the guest's 0xcf9 write therefore reaches the chipset, which resets the machine itself
(platform_case): no hypervisor line, and the guest never returns. On q35 the same write is caught.

How a run ends:
- QEMU runs with -no-reboot, so the reset makes QEMU exit with code 0: the run waits for that exit
  (`done` is the guest's own summary line, which is forbidden: it only appears when the reset failed).
- One QEMU run lets the machine reset for real: the hypervisor's banner must come a second time.
- Bochs 2.7 treats a 0xCF9 write with RST_CPU as a machine reset (PIIX3 reset control register;
  bochs.log: "bx_pc_system_c::Reset(HARDWARE) called"). With one CPU the BIOS then boots GRUB and the
  hypervisor again, but with two CPUs the BIOS's POST stops at once with ">>PANIC<< Keyboard error:21"
  and Bochs exits (its time does not advance after an SMP reset: the bare guest, no hypervisor,
  does the same). A second banner is therefore no end for the SMP runs. They end at the hypervisor's
  `reboot: resetting through` line (after a short linger, or when Bochs exits by itself), and the
  Bochs log must show a machine reset after power-on (a nonzero instruction count). Bochs is run
  with reset_on_triple_fault=0, so a triple fault in the hypervisor would be a Bochs panic, not a reset.
"""

DONE_NEVER = r"guest: done:"  # the guest only finishes on its own when the reset failed
BANNER_LINE = r"^\[cpu0 [0-9.]+\] hv [^ ]+: x86-64 microhypervisor"
HOW = {
    "cf9": "port 0xcf9",
    "kbd": "keyboard controller",
    "fadt": "FADT reset register",
    "triple": "triple fault",
}
RESET_THROUGH = r"reboot: resetting through (the FADT reset register|port 0xcf9|the keyboard controller|a triple fault)"
FORBID = [r"did not answer", r"not ok", r"\bEXCEPTION (#|NMI|reserved)"]

# Bochs' log line for a machine reset; the one at instruction 0 is the power-on.
BOCHS_RESET = r"^0*[1-9]\d*i\[SYS\s*\] bx_pc_system_c::Reset\((HARDWARE|SOFTWARE)\) called"

# Bochs VMX models and Bochs/QEMU SVM.
SKYLAKE = "corei7_skylake_x"
RYZEN = "ryzen"


def left_lines(n, virt, reason):
    """Each CPU left virtualization, the initiator (CPU 0: the guest's CPU, the BSP for a panic) last,
    after the reason and before the reset."""
    lines = [rf"reboot: CPU {i} left {virt}\b" for i in range(n)]
    others = "".join(rf"[^\n]*reboot: CPU {i} left {virt}\b[\s\S]*?" for i in range(1, n))
    order = rf"{reason}[\s\S]*?{others}[^\n]*reboot: CPU 0 left {virt}\b[\s\S]*?{RESET_THROUGH}"
    return lines + [RESET_THROUGH, order]


def guest_case(name, method, emulator, smp, virt, through=None, **kw):
    """The reboot guest asks for a reset through `method`; `through` is the hypervisor's own reset
    line when it is known for that machine."""
    reason = rf"reboot: guest reset request: {HOW[method]}"
    expect = [rf"^guest reboot: vendor \S+, hypercall vmm?call, command line '\S* ?reboot\.elf {method}'",
              rf"^guest: requesting reset via {method}$", reason] + left_lines(smp, virt, reason)
    if through:
        expect.append(rf"reboot: resetting through {through}")
    case = dict(name=name, emulator=emulator, smp=smp, modules=[("build/guests/reboot.elf", f"reboot.elf {method}")],
                expect=expect, forbid=FORBID + [r"PANIC", DONE_NEVER], done=DONE_NEVER)
    case.update(on(emulator))
    case.update(kw)
    return case


def platform_case(name, method, emulator, smp, **kw):
    """The guest's request goes to the chipset unseen (0xcf9 without an FADT reset register there): the
    machine must reset all the same, and the hypervisor must not claim a request it never saw."""
    expect = [rf"^guest reboot: vendor \S+, hypercall vmm?call, command line '\S* ?reboot\.elf {method}'",
              rf"^guest: requesting reset via {method}$"]
    case = dict(name=name, emulator=emulator, smp=smp, modules=[("build/guests/reboot.elf", f"reboot.elf {method}")],
                expect=expect, forbid=FORBID + [r"PANIC", DONE_NEVER, r"reboot: guest reset request"],
                done=DONE_NEVER)
    case.update(on(emulator))
    if emulator == "bochs":
        case["done"] = DONE_NEVER  # Bochs exits by itself after an SMP reset (see above)
    case.update(kw)
    return case


def panic_case(name, emulator, smp, virt, through=None, **kw):
    """A forced hypervisor panic, once virtualization is on on every CPU: no guest is needed."""
    reason = r"PANIC: selftest: forced panic"
    expect = [reason] + left_lines(smp, virt, reason)
    if through:
        expect.append(rf"reboot: resetting through {through}")
    case = dict(name=name, emulator=emulator, smp=smp, cmdline="selftest=panic", expect=expect,
                forbid=FORBID + [r"boot complete"], done=DONE_NEVER)
    case.update(on(emulator))
    case.update(kw)
    return case


def on(emulator):
    """How each emulator boots and how a run ends (see the module comment)."""
    if emulator == "qemu":
        return dict(boot="kernel", timeout=60, exit_code=0)
    return dict(boot="iso", proto="multiboot2", timeout=300, done=RESET_THROUGH, linger=2,
                expect_files={"bochs.log": [BOCHS_RESET]})


def second_boot(case):
    """The machine resets for real: the banner comes back after the reset line."""
    return dict(case, expect=case["expect"] + [rf"{RESET_THROUGH}[\s\S]*{BANNER_LINE}"])


def reboot_cases():
    cases = []
    # Each guest request on QEMU (SVM), with 1 and 2 CPUs. QEMU's `pc` FADT (revision 1) has no reset
    # register, so the hypervisor resets through 0xcf9 there, and the guest's own 0xcf9 write is not
    # intercepted: the chipset resets the machine (QEMU exits with 0 under -no-reboot).
    for method in ("kbd", "triple"):
        for n in (1, 2):
            cases.append(guest_case(f"reboot-{method}-qemu-smp{n}", method, "qemu", n, "SVM", through="port 0xcf9"))
    for n in (1, 2):
        cases.append(platform_case(f"reboot-cf9-platform-qemu-smp{n}", "cf9", "qemu", n))
    # q35's FADT has a reset register (I/O 0xcf9, value 0x0f); the guest writes it and so does the hypervisor.
    # There 0xcf9 is intercepted, so the guest's plain 0xcf9 write (0x02, then 0x06) is caught too.
    cases.append(guest_case("reboot-fadt-q35-qemu-smp2", "fadt", "qemu", 2, "SVM", through="the FADT reset register",
                            qemu_extra=["-M", "q35"]))
    cases.append(guest_case("reboot-cf9-q35-qemu-smp2", "cf9", "qemu", 2, "SVM", through="the FADT reset register",
                            qemu_extra=["-M", "q35"]))
    # Bochs: SVM (ryzen) and VMX (Skylake); Bochs' log shows the machine reset. Its FADT (revision 1)
    # has no reset register either.
    # Bochs 2.7 SVM never delivers the SHUTDOWN intercept: a guest triple fault stops Bochs itself
    # ("3rd (13) exception with no resolution" in bochs.log with the intercept set). SVM triple
    # faults are proven on QEMU, VMX ones on Bochs.
    for method in ("kbd", "triple"):
        if method != "triple":
            cases.append(guest_case(f"reboot-{method}-bochs-ryzen-smp2", method, "bochs", 2, "SVM",
                                    through="port 0xcf9", cpu_model=RYZEN))
        cases.append(guest_case(f"reboot-{method}-bochs-skylake-smp2", method, "bochs", 2, "VMX",
                                through="port 0xcf9", cpu_model=SKYLAKE))
    # After the guest's APIC reset dance (global disable, enable, x2APIC where offered: Bochs Skylake),
    # the hypervisor's NMIs still reach every CPU.
    dance = [r"^guest: APIC reset: IA32_APIC_BASE 0x[0-9a-f]+ before, 0x[0-9a-f]*[89a-f]00 now$"]
    for case in (guest_case("reboot-kbd-apicreset-qemu-smp2", "kbd", "qemu", 2, "SVM", through="port 0xcf9"),
                 guest_case("reboot-kbd-apicreset-bochs-ryzen-smp2", "kbd", "bochs", 2, "SVM", through="port 0xcf9",
                            cpu_model=RYZEN),
                 guest_case("reboot-kbd-apicreset-bochs-skylake-smp2", "kbd", "bochs", 2, "VMX",
                            through="port 0xcf9", cpu_model=SKYLAKE)):
        case["modules"] = [("build/guests/reboot.elf", "reboot.elf kbd apicreset")]
        case["expect"] = [e.replace(r"reboot\.elf kbd'", r"reboot\.elf kbd apicreset'") for e in case["expect"]]
        cases.append(dict(case, expect=case["expect"] + dance))
    cases.append(platform_case("reboot-cf9-platform-bochs-ryzen-smp2", "cf9", "bochs", 2, cpu_model=RYZEN))
    cases.append(platform_case("reboot-cf9-platform-bochs-skylake-smp2", "cf9", "bochs", 2, cpu_model=SKYLAKE))
    # One real reset on QEMU: without -no-reboot the machine boots the hypervisor again, once through
    # the hypervisor's path (kbd) and once straight through the chipset (cf9).
    real = guest_case("reboot-kbd-real-reset-qemu-smp2", "kbd", "qemu", 2, "SVM", through="port 0xcf9",
                      no_reboot=False, done=BANNER_LINE, done_count=2)
    real.pop("exit_code")
    cases.append(second_boot(real))
    real = platform_case("reboot-cf9-platform-real-reset-qemu-smp2", "cf9", "qemu", 2, no_reboot=False,
                         done=BANNER_LINE, done_count=2)
    real.pop("exit_code")
    cases.append(dict(real, expect=real["expect"] + [rf"requesting reset via cf9[\s\S]*{BANNER_LINE}"]))
    # A reboot loop: 20 real resets with 4 CPUs, each boot reaching the guest again, whose APs all run
    # guest code when it resets the machine (the initsipi guest, `reboot`).
    loops = 20
    each = ([r"guest: requesting reset via kbd with 3 APs running", r"reboot: guest reset request: keyboard controller"]
            + [rf"reboot: CPU {i} left SVM\b" for i in (1, 2, 3)]
            + [r"reboot: CPU 0 left SVM\b", r"reboot: resetting through port 0xcf9", BANNER_LINE])
    cases.append(dict(name="reboot-loop-20-qemu-smp4", emulator="qemu", boot="kernel", smp=4, no_reboot=False,
                      modules=[("build/guests/initsipi.elf", "initsipi.elf reboot")], timeout=900,
                      done=BANNER_LINE, done_count=loops + 1, expect=[],
                      expect_sequence=dict(sequence=each, times=loops),
                      forbid=FORBID + [r"PANIC", r"guest: done:"]))
    # A forced hypervisor panic takes the same path.
    cases.append(panic_case("reboot-panic-qemu-smp2", "qemu", 2, "SVM", through="port 0xcf9"))
    cases.append(panic_case("reboot-panic-bochs-ryzen-smp2", "bochs", 2, "SVM", through="port 0xcf9",
                            cpu_model=RYZEN))
    cases.append(panic_case("reboot-panic-bochs-skylake-smp2", "bochs", 2, "VMX", through="port 0xcf9",
                            cpu_model=SKYLAKE))
    # A fault in the leave step (every CPU leaves twice: the second time each step faults) is eaten,
    # reported on the CPU's line, and the reset still happens.
    eaten = [r"reboot: CPU \d+ left (SVM|VMX) \(\d+ faults? eaten\)"]
    for case in (guest_case("reboot-leavefault-qemu-smp2", "kbd", "qemu", 2, "SVM", through="port 0xcf9",
                            cmdline="selftest=leavefault"),
                 guest_case("reboot-leavefault-bochs-ryzen-smp2", "kbd", "bochs", 2, "SVM", through="port 0xcf9",
                            cpu_model=RYZEN, cmdline="selftest=leavefault"),
                 guest_case("reboot-leavefault-bochs-skylake-smp2", "kbd", "bochs", 2, "VMX", through="port 0xcf9",
                            cpu_model=SKYLAKE, cmdline="selftest=leavefault")):
        cases.append(dict(case, expect=case["expect"] + eaten))
    return cases


REBOOT_CASES = reboot_cases()
