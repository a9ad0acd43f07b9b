"""Boot cases for sleep states through the hypervisor (issue 19). Same keys as cases.py.

The guest tests/guests/sleep.c points the FACS waking vector at its own real-mode code, arms the
RTC alarm (CMOS) as a wake event, and enters S3 through the FADT's PM1a control register. The
hypervisor intercepts that write, takes every CPU out of the guest and out of SVM/VMX, points the
FACS at its own wake page and performs the write; the firmware's wake enters the hypervisor, which
enters SVM/VMX again on every CPU and resumes the guest at its waking vector. The guest then checks
that it is still a guest (CPUID 0x40000000, hypervisor memory #GP, FACS vector as it wrote it).

QEMU has S3 only with `-global PIIX4_PM.disable_s3=0` (the DSDT then declares \\_S3, SLP_TYP 1), and
SeaBIOS resumes at the FACS waking vector in real mode.

Bochs 2.7 has no S3 wake: its PIIX4 ACPI model ignores a PM1 write with SLP_TYP 1 (it only acts on
soft-off), so the write returns. The hypervisor's path runs up to the PM1 write, then, seeing the
platform still running, brings SVM/VMX back on every CPU and lets every vCPU go on where it was; the
guest reports that the write returned and checks it is still a guest.
"""

GUEST_LINE = r"^guest sleep: vendor \S+, hypercall vmm?call, command line '\S* ?sleep\.elf'"
DONE = r"guest: done:"
FORBID = [r"not ok \d+ - ", r"PANIC", r"\bEXCEPTION (#|NMI|reserved)", r"did not answer", r"did not come back"]
S3_ON = ["-global", "PIIX4_PM.disable_s3=0"]


def suspend_lines(n, virt):
    """The request, every CPU leaving (the initiator, CPU 0, last), the FACS swap, the PM1 write."""
    others = "".join(rf"[^\n]*sleep: CPU {i} left {virt}\b[\s\S]*?" for i in range(1, n))
    return [r"sleep: PM1a_CNT at port 0x[0-9a-f]+ intercepted",
            r"sleep: guest enters S3 \(SLP_TYP 1\) through PM1_CNT on vCPU 0: suspending the machine",
            rf"suspending the machine[\s\S]*?{others}[^\n]*sleep: CPU 0 left {virt}\b[\s\S]*?"
            r"guest waking vector 0x8000 \(64-bit 0, OSPM flags 0\) kept; the firmware wakes the hypervisor at "
            r"0x[0-9a-f]+[\s\S]*?sleep: entering S3"]


def resume_lines(n, virt, woke):
    """CPU 0 comes back through the wake page and re-enters SVM/VMX, then every AP does."""
    aps = "".join(rf"[\s\S]*?sleep: CPU {i} re-entered {virt}\b" for i in range(1, n))
    return [rf"sleep: {woke} on CPU 0 through the wake page[\s\S]*?sleep: CPU 0 re-entered {virt}\b{aps}"
            rf"[\s\S]*?sleep: resumed: {virt} on {n} of {n} CPUs"]


def qemu_case(smp):
    expect = [GUEST_LINE, r"^guest: entering S3 \(SLP_TYP 1\)"] + suspend_lines(smp, "SVM") + \
        resume_lines(smp, "SVM", "woke from S3") + [
            r"sleep: resuming the guest's boot CPU at its waking vector 0800:0000 in real mode",
            r"^guest: woke up at the waking vector 0x8000",
            r"ok \d+ - after the wake: CPUID 0x40000000 signature is 'MicroHVisor '",
            r"ok \d+ - after the wake: reading hypervisor memory at 0x[0-9a-f]+ raises #GP",
            r"ok \d+ - the FACS waking vector reads 0x8000 as the guest wrote it",
            r"guest: done: \d+ passed, 0 failed"]
    return dict(name=f"sleep-s3-qemu-smp{smp}", emulator="qemu", boot="kernel", smp=smp, timeout=60,
                exit_code=1, qemu_extra=S3_ON, modules=[("build/guests/sleep.elf", "sleep.elf")],
                expect=expect, forbid=FORBID + [r"did not enter S3", r"the S3 write returned"], done=DONE)


def bochs_case(model, virt, smp):
    expect = [GUEST_LINE, r"^guest: entering S3 \(SLP_TYP 1\)"] + suspend_lines(smp, virt) + [
        r"sleep: the platform did not enter S3 \(still running 500 ms after the write\)"] + \
        resume_lines(smp, virt, "back") + [
            r"^guest: the S3 write returned: this platform did not sleep",
            r"ok \d+ - after the returned S3 write: CPUID 0x40000000 signature is 'MicroHVisor '",
            r"ok \d+ - after the returned S3 write: reading hypervisor memory at 0x[0-9a-f]+ raises #GP",
            r"guest: done: \d+ passed, 0 failed"]
    short = "skylake" if "skylake" in model else model
    return dict(name=f"sleep-s3-bochs-{short}-smp{smp}", emulator="bochs", boot="iso", proto="multiboot2",
                cpu_model=model, smp=smp, timeout=400, linger=1, modules=[("build/guests/sleep.elf", "sleep.elf")],
                expect=expect, forbid=FORBID + [r"woke from S3"], done=DONE)


SLEEP_CASES = [
    qemu_case(1),
    qemu_case(2),
    bochs_case("ryzen", "SVM", 2),
    bochs_case("corei7_skylake_x", "VMX", 2),
]
