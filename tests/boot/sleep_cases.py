"""Boot cases for sleep states through the hypervisor (issue 19). Same keys as cases.py.

The guest tests/guests/sleep.c points the FACS waking vector at its own real-mode code, arms the
RTC alarm (CMOS) as a wake event, and enters S3 through the FADT's PM1a control register. The
hypervisor intercepts that write, takes every CPU out of the guest and out of SVM/VMX, points the
FACS at its own wake page and performs the write; the firmware's wake enters the hypervisor, which
enters SVM/VMX again on every CPU and resumes the guest at its waking vector. The guest then checks
that it is still a guest (CPUID 0x40000000, hypervisor memory #GP, FACS vector as it wrote it).

- QEMU has S3 only with `-global PIIX4_PM.disable_s3=0` (the DSDT then declares \\_S3, SLP_TYP 1);
  the RTC alarm wakes it and SeaBIOS resumes at the FACS waking vector in real mode.
- Bochs 2.7 does have an S3 of its own: a PM1 write with SLP_TYP 1 logs "ACPI control: suspend to
  ram" and resets the machine at once with CMOS shutdown status 0xFE, and its BIOS then jumps to
  the FACS waking vector ("S3 resume jump to 0e00:0000" in bochs.log). So the whole suspend and
  resume runs on Bochs too, on SVM (ryzen) and on VMX (Skylake-X), with no wake event needed.
- `redirect`: the guest builds a FACS of its own with its own waking vector and points the FADT
  at it (checksum fixed), as an attacker would where the firmware walks the tables again at wake.
  The hypervisor compares the RSDP, root table and FADT with its boot-time copy once every CPU has
  left the guest, refuses the suspend, and every vCPU goes on; the write returns.
- `typ=5`: the guest writes a SLP_TYP the DSDT does not name. The hypervisor takes it as a sleep
  (the safe reading), but QEMU and Bochs ignore the type and the write returns: the hypervisor's
  path for a platform that did not sleep (as S1 does on hardware) brings SVM/VMX back on every CPU
  and lets every vCPU go on where it was.
"""

GUEST_LINE = r"^guest sleep: vendor \S+, hypercall vmm?call, command line '\S* ?sleep\.elf"
DONE = r"guest: done:"
FORBID = [r"not ok \d+ - ", r"PANIC", r"\bEXCEPTION (#|NMI|reserved)", r"did not answer", r"did not come back"]
S3_ON = ["-global", "PIIX4_PM.disable_s3=0"]
S3_NAME = r"S3 \(SLP_TYP 1\)"
UNNAMED = r"a sleep state the DSDT does not name \(SLP_TYP 5\)"


def suspend_lines(n, virt, state=S3_NAME):
    """The request, every CPU leaving (the initiator, CPU 0, last), the FACS swap, the PM1 write."""
    others = "".join(rf"[^\n]*sleep: CPU {i} left {virt}\b[\s\S]*?" for i in range(1, n))
    return [r"sleep: PM1a_CNT at port 0x[0-9a-f]+ intercepted",
            rf"sleep: guest enters {state} through PM1_CNT on vCPU 0: suspending the machine",
            rf"suspending the machine[\s\S]*?{others}[^\n]*sleep: CPU 0 left {virt}\b[\s\S]*?"
            r"guest waking vector 0x8000 \(64-bit 0, OSPM flags 0\) kept; the firmware wakes the hypervisor at "
            r"0x[0-9a-f]+[\s\S]*?sleep: entering "]


def resume_lines(n, virt, woke):
    """CPU 0 comes back through the wake page and re-enters SVM/VMX, then every AP does."""
    aps = "".join(rf"[\s\S]*?sleep: CPU {i} re-entered {virt}\b" for i in range(1, n))
    return [rf"sleep: {woke} on CPU 0 through the wake page[\s\S]*?sleep: CPU 0 re-entered {virt}\b{aps}"
            rf"[\s\S]*?sleep: resumed: {virt} on {n} of {n} CPUs"]


def woke_lines(n, virt):
    return [r"^guest: entering sleep \(SLP_TYP 1\)"] + suspend_lines(n, virt) + \
        resume_lines(n, virt, "woke from S3") + [
            r"sleep: resuming the guest's boot CPU at its waking vector 0800:0000 in real mode",
            r"^guest: woke up at the waking vector 0x8000",
            r"ok \d+ - after the wake: CPUID 0x40000000 signature is 'MicroHVisor '",
            r"ok \d+ - after the wake: reading hypervisor memory at 0x[0-9a-f]+ raises #GP",
            r"ok \d+ - the FACS waking vector reads 0x8000 as the guest wrote it",
            r"guest: done: \d+ passed, 0 failed"]


def returned_lines(n, virt):
    return [r"^guest: entering sleep \(SLP_TYP 5\)"] + suspend_lines(n, virt, UNNAMED) + [
        r"sleep: the platform did not enter a sleep state the DSDT does not name \(still running 500 ms"] + \
        resume_lines(n, virt, "back") + [
            r"^guest: the sleep write returned: this platform did not sleep",
            r"ok \d+ - after the returned sleep write: CPUID 0x40000000 signature is 'MicroHVisor '",
            r"ok \d+ - after the returned sleep write: reading hypervisor memory at 0x[0-9a-f]+ raises #GP",
            r"guest: done: \d+ passed, 0 failed"]


def refused_lines(n, virt):
    others = "".join(rf"[^\n]*sleep: CPU {i} left {virt}\b[\s\S]*?" for i in range(1, n))
    return [r"^guest: the FADT now names a FACS of the guest's own at 0x9000",
            r"^guest: entering sleep \(SLP_TYP 1\)",
            rf"sleep: guest enters {S3_NAME} through PM1_CNT on vCPU 0: suspending the machine[\s\S]*?{others}"
            rf"[^\n]*sleep: CPU 0 left {virt}\b[\s\S]*?sleep: S3 refused: the guest changed the ACPI tables"] + \
        resume_lines(n, virt, "back") + [
            r"^guest: the sleep write returned: this platform did not sleep",
            r"ok \d+ - after the returned sleep write: CPUID 0x40000000 signature is 'MicroHVisor '",
            r"ok \d+ - after the returned sleep write: reading hypervisor memory at 0x[0-9a-f]+ raises #GP",
            r"guest: done: \d+ passed, 0 failed"]


def qemu_case(name, smp, expect, args="", forbid=()):
    return dict(name=name, emulator="qemu", boot="kernel", smp=smp, timeout=60, exit_code=1, qemu_extra=S3_ON,
                modules=[("build/guests/sleep.elf", f"sleep.elf {args}".strip())], expect=[GUEST_LINE] + expect,
                forbid=FORBID + list(forbid), done=DONE)


def bochs_case(name, model, smp, expect, args="", forbid=()):
    return dict(name=name, emulator="bochs", boot="iso", proto="multiboot2", cpu_model=model, smp=smp,
                timeout=400, linger=1, modules=[("build/guests/sleep.elf", f"sleep.elf {args}".strip())],
                expect=[GUEST_LINE] + expect, forbid=FORBID + list(forbid), done=DONE)


def xvector_lines(n, virt):
    """QEMU's FACS (as SeaBIOS and the Bochs BIOS give it) is version 0: it has no X waking vector
    field, so firmware, and the hypervisor, must ignore what the guest wrote there and take the
    real-mode vector. (No emulator firmware here has a version 1 FACS: the 32-bit protected-mode
    entry is covered by tests/unit/test_sleep_reg.c.)"""
    lines = woke_lines(n, virt)
    lines[lines.index(r"^guest: woke up at the waking vector 0x8000")] = (
        r"^guest: woke up at the waking vector 0x8000\nok \d+ - the real-mode vector ran: no X waking vector was "
        r"set, or the FACS \(version 0\) has none")
    return [r"^guest: FACS version 0, flags 0x0"] + [l.replace(r"\(64-bit 0,", r"\(64-bit 0x[0-9a-f]{6,},") for l in lines]


WOKE_FORBID = [r"did not enter", r"write returned"]
BACK_FORBID = [r"woke from S3", r"woke up at the waking vector"]
REFUSED_FORBID = BACK_FORBID + [r"sleep: entering", r"did not enter"]
BOCHS_S3 = {"bochs.log": [r"ACPI control: suspend to ram", r"S3 resume jump to 0e00:0000"]}

SLEEP_CASES = [
    qemu_case("sleep-s3-qemu-smp1", 1, woke_lines(1, "SVM"), forbid=WOKE_FORBID),
    qemu_case("sleep-s3-qemu-smp2", 2, woke_lines(2, "SVM"), forbid=WOKE_FORBID),
    qemu_case("sleep-xvector-qemu-smp1", 1, xvector_lines(1, "SVM"), args="xvector",
              forbid=WOKE_FORBID + [r"X waking vector 0x", r"64-bit wake"]),
    dict(bochs_case("sleep-s3-bochs-ryzen-smp2", "ryzen", 2, woke_lines(2, "SVM"), forbid=WOKE_FORBID),
         expect_files=BOCHS_S3),
    dict(bochs_case("sleep-s3-bochs-skylake-smp2", "corei7_skylake_x", 2, woke_lines(2, "VMX"),
                    forbid=WOKE_FORBID), expect_files=BOCHS_S3),
    qemu_case("sleep-redirect-qemu-smp2", 2, refused_lines(2, "SVM"), args="redirect", forbid=REFUSED_FORBID),
    bochs_case("sleep-redirect-bochs-ryzen-smp2", "ryzen", 2, refused_lines(2, "SVM"), args="redirect",
               forbid=REFUSED_FORBID),
    qemu_case("sleep-returned-qemu-smp2", 2, returned_lines(2, "SVM"), args="typ=5", forbid=BACK_FORBID),
    bochs_case("sleep-returned-bochs-skylake-smp2", "corei7_skylake_x", 2, returned_lines(2, "VMX"), args="typ=5",
               forbid=BACK_FORBID),
]

# Linux suspends to RAM itself (hvtest=suspend in tests/linux/init): `echo mem > /sys/power/state`
# with the RTC alarm armed through /sys/class/rtc/rtc0/wakealarm. Its waking vector is its own
# real-mode wakeup code; after the resume it brings its APs back with INIT-SIPI, which the
# hypervisor delivers to their waiting vCPUs.
try:
    from linux_cases import linux, workload, HV_FORBID as LINUX_FORBID
except ImportError:
    linux = None


def linux_suspend_case(smp):
    expect = [r"HV-LINUX-SUSPEND: uptime \S+ s, .*\[deep\] suspend to RAM",
              r"sleep: guest enters S3 \(SLP_TYP 1\) through PM1_CNT on vCPU 0: suspending the machine"] + \
        [rf"sleep: CPU {i} left SVM" for i in range(smp)] + resume_lines(smp, "SVM", "woke from S3") + [
            r"sleep: resuming the guest's boot CPU at its waking vector [0-9a-f]{4}:[0-9a-f]{4} in real mode",
            r"ACPI: PM: Waking up from system sleep state S3",
            r"HV-LINUX-RESUMED: uptime continues: "]
    if smp > 1:
        expect.append(r"CPU1 is up")
    return linux(f"linux-qemu-suspend-smp{smp}", hvtest="suspend", smp=smp, qemu_extra=S3_ON,
                 expect_more=expect + workload(smp) + [r"HV-LINUX-TEST: done"],
                 forbid=LINUX_FORBID + [r"did not answer", r"HV-LINUX-SUSPEND: the suspend failed", r"went back"])


if linux:
    SLEEP_CASES += [linux_suspend_case(1), linux_suspend_case(2)]

# Hardware-reduced ACPI: QEMU's microvm (7.2) has no PM1 block; its FADT sets HW_REDUCED_ACPI and
# names SLEEP_CONTROL_REG in its Generic Event Device, in memory space at 0xfea00200, on the same
# page as the FADT reset register (0xfea00202). Its DSDT declares \_S5 only (SLP_TYP 5) and there is
# no FACS, so S3 cannot be tried there. The hypervisor boots on it through SeaBIOS's microvm build
# with option ROMs (multiboot through -kernel) and ACPI on. It has no port 0x61 (no PC speaker, and
# isa-pcspk cannot be added by -device), so the hypervisor calibrates the TSC against PIT channel 0
# there (drivers/timer.c). Before, port 0x61 read 0xFF, the channel 2 count seemed over at once, the
# TSC was taken for about 1 MHz and the AP missed its start.
MICROVM = ["-M", "microvm,x-option-roms=on,acpi=on,pit=on,pic=on,rtc=on,isa-serial=on",
           "-bios", "/usr/share/seabios/bios-microvm.bin"]
NEVER = r"(?!)"  # the case ends when QEMU exits: nothing the guest prints can end it early


def microvm_s5_lines(n):
    others = "".join(rf"[^\n]*sleep: CPU {i} left SVM\b[\s\S]*?" for i in range(1, n))
    return [r"sleep: SLEEP_CONTROL_REG at memory 0xfea00200 \(1 bytes\) intercepted: its page is write-trapped",
            r"ok \d+ - a write to SLEEP_CONTROL_REG without SLP_EN returned",
            r"^guest: entering S5 \(SLP_TYP 5\) through SLEEP_CONTROL_REG at 0xfea00200",
            r"sleep: guest enters S5 through SLEEP_CONTROL_REG on vCPU 0: every CPU leaves SVM, then the write "
            rf"passes through[\s\S]*?{others}[^\n]*sleep: CPU 0 left SVM\b"]


BANNER_TWICE = r"x86-64 microhypervisor[\s\S]*x86-64 microhypervisor"


def microvm_case(name, smp, expect, args, forbid=(), **extra):
    return dict(dict(name=name, emulator="qemu", boot="kernel", smp=smp, timeout=120, exit_code=0,
                     qemu_extra=MICROVM, modules=[("build/guests/sleep.elf", f"sleep.elf {args}")],
                     expect=[GUEST_LINE] + expect, forbid=FORBID + [r"not ok", r"still running"] + list(forbid),
                     done=NEVER), **extra)


# A power-off exits QEMU with 0, and so does a reset under -no-reboot. The S5 case lets a reset
# really reset the machine (no_reboot=False): the hypervisor would boot a second time, which is
# forbidden, so only a power-off passes. The reset case expects the hypervisor's reboot path.
SLEEP_CASES += [
    microvm_case("sleep-s5ctl-microvm-smp1", 1, microvm_s5_lines(1), "s5ctl", forbid=[r"reboot:", BANNER_TWICE],
                 no_reboot=False),
    microvm_case("sleep-s5ctl-microvm-smp2", 2, microvm_s5_lines(2), "s5ctl", forbid=[r"reboot:", BANNER_TWICE],
                 no_reboot=False),
    microvm_case("sleep-s5ctl-unnamed-microvm-smp2", 2,
                 microvm_s5_lines(2)[:2] + [
                     r"^guest: entering sleep \(SLP_TYP 3\) through SLEEP_CONTROL_REG at 0xfea00200",
                     r"sleep: a sleep state the DSDT does not name refused: no FACS or wake page \(the write is dropped\)",
                     r"^guest: the sleep write returned",
                     r"ok \d+ - after the returned sleep write: reading hypervisor memory at 0x[0-9a-f]+ raises #GP",
                     r"guest: done: \d+ passed, 0 failed"],
                 "s5ctl typ=3", forbid=[r"left SVM"], exit_code=1, done=DONE),
    microvm_case("sleep-resetreg-microvm-smp1", 1,
                 [r"^guest: writing 0x42 to the reset register at 0xfea00202",
                  r"reboot: guest reset request: FADT reset register",
                  r"reboot: resetting through the FADT reset register"],
                 "resetreg", forbid=[r"sleep: guest enters"]),
]
