"""Boot cases: how to boot the hypervisor and what its serial log must (and must not) show.

Keys: name, emulator (qemu|bochs), boot (kernel|iso), proto (multiboot|multiboot2), firmware
(bios|ovmf), cpu_model (Bochs), smp, mem, cmdline, modules [(path, string)], expect [regex],
forbid [regex], done (regex that ends the run; default: the boot-complete line or a panic),
timeout (seconds), exit_code (QEMU's, when the run ends by the emulator exiting), keys [(regex,
bytes)] (COM2 is a socket: the hypervisor's log, each key typed once its regex matches after the
previous one's match; the guest's COM1 is guest.log), expect_timeout (the done regex must never
match: the case passes at its timeout), kind="gdb" (tests/run.py run_gdb_case: make debug + gdb),
screendump (QEMU: the screen at the end must not be blank), screen_text ("fb" or "vga": read the
hypervisor's text back from it), screen_expect / screen_forbid [regex] (on that text), serial="none"
(no UART at all) with screen_done (regex on the screen's text that ends the run; tests/boot/screen.py).
"""

DEFAULT_DONE = r"boot complete|PANIC"
# A triple fault shows up as the emulator resetting; these lines must never appear in a good boot.
ALWAYS_FORBIDDEN = [r"selftest: .*: FAILED"]

BANNER = [
    r"^\[cpu0 [0-9.]+\] hv [^ ]+: x86-64 microhypervisor",
    r"^\[cpu0 [0-9.]+\] boot: loader '[^']*', protocol multiboot[12]",
    r"^\[cpu0 [0-9.]+\] boot: command line '.*'",
    r"^\[cpu0 [0-9.]+\] mmap: 0x[0-9a-f]{16}-0x[0-9a-f]{16} usable",
    r"^\[cpu0 [0-9.]+\] mm: hypervisor at 0x[0-9a-f]+-0x[0-9a-f]+ \(\d+ KiB\)",
    r"^\[cpu0 [0-9.]+\] mm: own page tables",
    r"^\[cpu0 [0-9.]+\] boot complete",
]
# The hypervisor's own exception dump ("EXCEPTION #GP ..."), not a VMCS field name such as EXCEPTION_BITMAP.
NO_PANIC = [r"PANIC", r"\bEXCEPTION (#|NMI|reserved)"]


def smp(n):
    """Every CPU 1..n-1 reports itself online on its own prefixed line, and the summary counts them."""
    lines = [rf"^\[cpu{i} [0-9.]+\] smp: CPU {i} online \(APIC ID {i}\)$" for i in range(1, n)]
    lines += [rf"^\[cpu0 [0-9.]+\] smp: CPU {i}: APIC ID {i}$" for i in range(n)]
    return lines + [rf"^\[cpu0 [0-9.]+\] smp: {n} of {n} CPUs online$"]


def boot(name, emulator="qemu", boot="kernel", expect=None, forbid=None, **kw):
    case = dict(name=name, emulator=emulator, boot=boot, expect=expect if expect is not None else BANNER,
                forbid=forbid if forbid is not None else NO_PANIC)
    case.update(kw)
    return case


def fault(name, fault_name, dump_lines, **kw):
    """A selftest fault: the dump names the exception, shows registers and a trace, then panics."""
    expect = [rf"selftest: raising {fault_name} on purpose", r"EXCEPTION " + dump_lines,
              r"^\[cpu0 [0-9.]+\] RIP 0008:ffffffff8[0-9a-f]{7} RFLAGS", r"CR0 [0-9a-f]{16} CR2 [0-9a-f]{16}",
              r"RAX [0-9a-f]{16} RBX", r"R12 [0-9a-f]{16}", r"stack trace", r"PANIC: unhandled",
              r"reboot: resetting through port 0xcf9"]
    return boot(name, cmdline=f"selftest={fault_name}", expect=expect, forbid=[], done=r"reboot: resetting through port",
                **kw)


CASES = [
    # How users boot it: QEMU -kernel (multiboot 1), GRUB ISO under BIOS (both protocols) and UEFI,
    # each with every CPU brought online.
    boot("qemu-kernel-mb1-smp1", cmdline="loglevel=7", expect=BANNER + smp(1)),
    boot("qemu-kernel-mb1-smp2", smp=2, mem=2048, expect=BANNER + smp(2)),
    boot("qemu-kernel-mb1-smp4", smp=4, expect=BANNER + smp(4)),
    boot("qemu-kernel-modules", cmdline="loglevel=6",
         modules=[("tests/boot/data/module-a.txt", "guest=test arg1"), ("tests/boot/data/module-b.txt", "second")],
         expect=BANNER + [r"module 0: 0x[0-9a-f]+-0x[0-9a-f]+ \(18 bytes\) '\S*module-a.txt guest=test arg1'",
                          r"module 1: .*'\S*module-b.txt second'",
                          # module 0 is the guest: a text file is refused by name, and nothing crashes
                          r"guest: cannot load '\S*module-a.txt guest=test arg1': no multiboot header",
                          r"partition stopped: the guest image could not be loaded"]),
    boot("grub-bios-mb1", boot="iso", proto="multiboot", firmware="bios", timeout=90,
         expect=BANNER + smp(1) + [r"loader 'GRUB 2[^']*', protocol multiboot1"]),
    boot("grub-bios-mb2-smp1", boot="iso", proto="multiboot2", firmware="bios", timeout=90,
         cmdline="loglevel=7 baud=115200",
         expect=BANNER + smp(1) + [r"loader 'GRUB 2[^']*', protocol multiboot2", r"boot: ACPI RSDP"]),
    boot("grub-bios-mb2-smp2", boot="iso", proto="multiboot2", firmware="bios", smp=2, timeout=90,
         expect=BANNER + smp(2)),
    boot("grub-bios-mb2-smp4", boot="iso", proto="multiboot2", firmware="bios", smp=4, timeout=90,
         expect=BANNER + smp(4)),
    boot("grub-uefi-mb2-smp2", boot="iso", proto="multiboot2", firmware="ovmf", smp=2, timeout=120,
         expect=BANNER + smp(2) + [r"loader 'GRUB 2[^']*', protocol multiboot2", r"boot: EFI memory map",
                                   r"acpi: RSDP revision 2 from the loader, XSDT"]),
    boot("bochs-skylake-mb2-smp2", emulator="bochs", boot="iso", proto="multiboot2", cpu_model="corei7_skylake_x",
         smp=2, timeout=240, expect=BANNER + smp(2) + [r"cpu: GenuineIntel"]),
    boot("bochs-ryzen-mb2-smp2", emulator="bochs", boot="iso", proto="multiboot2", cpu_model="ryzen", smp=2,
         timeout=240, expect=BANNER + smp(2) + [r"cpu: AuthenticAMD"]),

    # A CPU that never answers is reported by APIC ID and skipped; the others go on.
    boot("smp-ghost-cpu", smp=2, cmdline="ghost_cpu=77",
         expect=BANNER + [r"smp: CPU 1 online \(APIC ID 1\)",
                          r"smp: CPU with APIC ID 77 did not answer INIT-SIPI-SIPI within 1000 ms; skipped",
                          r"smp: 2 of 3 CPUs online"]),

    # Command line handling.
    boot("option-unknown", cmdline="frobnicate=1 loglevel=6",
         expect=BANNER + [r"warning: unknown option 'frobnicate' ignored"]),
    boot("option-bad-value", cmdline="console=com9", done=r"PANIC|boot complete", forbid=[r"boot complete"],
         expect=[r"bad value for console=", r"PANIC: bad command line", r"reboot: resetting through port 0xcf9"]),
    boot("option-help", cmdline="help", expect=BANNER + [r"options: +console=", r"options: +selftest="]),
    # COM1 says where the console went; the banner and the rest then appear on COM2 only.
    boot("option-console-com2", cmdline="console=com2", com2=True, done=r"console: COM1 -> port", linger=1,
         expect=[r"console: COM1 -> port 0x2f8 at 115200 baud"], forbid=[r"hv .*: x86-64 microhypervisor"]),
    boot("option-console-com2-output", cmdline="console=com2 baud=38400", com2=True, log="com2.log"),

    # Exception dumps and the exception table.
    boot("selftest-msr", cmdline="selftest=msr",
         expect=BANNER + [r"selftest: non-canonical load recovered from #GP: ok",
                          r"selftest: rdmsr_safe of EFER reads LME: ok"]),
    # QEMU TCG never faults on MSR accesses; Bochs with ignore_bad_msrs=0 does, as hardware does.
    boot("bochs-ryzen-selftest-msr", emulator="bochs", boot="iso", cpu_model="ryzen", cmdline="selftest=msr",
         timeout=240, expect=BANNER + [r"selftest: rdmsr of an unknown MSR recovered from #GP: ok",
                                       r"selftest: wrmsr of an unknown MSR recovered from #GP: ok"]),
    fault("selftest-ud", "ud", r"#UD invalid opcode \(vector 6\) error code 0x0"),
    fault("selftest-gp", "gp", r"#GP general protection \(vector 13\) error code 0x0"),
    fault("selftest-pf", "pf", r"#PF page fault \(vector 14\) error code 0x0[\s\S]*CR2 0000000000000010"),
    fault("selftest-de", "de", r"#DE divide error \(vector 0\)"),
    fault("selftest-bp", "bp", r"#BP breakpoint \(vector 3\)"),
    fault("selftest-df", "df", r"#DF double fault \(vector 8\) error code 0x0"),
    boot("selftest-panic-halt", cmdline="selftest=ud panic=halt", forbid=[r"reboot: resetting"],
         expect=[r"EXCEPTION #UD", r"panic: halting"], done=r"panic: halting"),
]

# Test guests run under the hypervisor (tests/boot/guest_cases.py).
try:
    from guest_cases import GUEST_CASES
except ImportError:
    GUEST_CASES = []
CASES += GUEST_CASES
try:  # the reboot path (tests/boot/reboot_cases.py)
    from reboot_cases import REBOOT_CASES
except ImportError:
    REBOOT_CASES = []
CASES += REBOOT_CASES
try:  # sleep states (tests/boot/sleep_cases.py)
    from sleep_cases import SLEEP_CASES
except ImportError:
    SLEEP_CASES = []
CASES += SLEEP_CASES

try:  # attacks on what the hypervisor owns (tests/boot/attack_cases.py)
    from attack_cases import ATTACK_CASES
except ImportError:
    ATTACK_CASES = []
CASES += ATTACK_CASES
try:  # hardware task switches, emulated on VMX (tests/boot/taskswitch_cases.py)
    from taskswitch_cases import TASKSWITCH_CASES
except ImportError:
    TASKSWITCH_CASES = []
CASES += TASKSWITCH_CASES
try:  # the debug console (tests/boot/debugkeys_cases.py)
    from debugkeys_cases import DEBUGKEYS_CASES
except ImportError:
    DEBUGKEYS_CASES = []
CASES += DEBUGKEYS_CASES
try:  # the self-check can fail, and the console keeps lines whole (tests/boot/seal_cases.py)
    from seal_cases import SEAL_CASES
except ImportError:
    SEAL_CASES = []
CASES += SEAL_CASES

try:  # DMA protection through the IOMMU (tests/boot/dma_cases.py)
    from dma_cases import DMA_CASES
except ImportError:
    DMA_CASES = []
CASES += DMA_CASES

try:
    from amdvi_cases import AMDVI_CASES
except ImportError:
    AMDVI_CASES = []
CASES += AMDVI_CASES

try:  # the hypervisor's log on the screen (tests/boot/screen_cases.py)
    from screen_cases import SCREEN_CASES
except ImportError:
    SCREEN_CASES = []
CASES += SCREEN_CASES

# Linux guests (tests/boot/linux_cases.py); the slow Bochs ones only with --slow (make test-slow).
try:
    from linux_cases import LINUX_CASES, SLOW_CASES
except ImportError:
    LINUX_CASES, SLOW_CASES = [], []
CASES += LINUX_CASES
