"""Linux guest cases: the Debian kernel and the busybox initramfs from `make guest`.

The initramfs prints a marker line (kernel version, CPUs online, the hypervisor's CPUID signature)
and, with hvtest=poweroff, runs a short workload and powers off (ACPI S5 passes through, so QEMU
exits); with hvtest=reboot it reboots, which takes the hypervisor's reboot path.
Bochs boots Linux too slowly for CI: those cases are in SLOW_CASES (`make test-slow`).
"""

KERNEL = "build/guest/vmlinuz"
INITRD = "build/guest/initrd.gz"
def marker(cpus):
    return rf"HV-LINUX-MARKER: kernel 6\.\S+, {cpus} CPUs online, hypervisor 'MicroHVisor '"


def workload(cpus):
    """/init pins a job to each CPU; each reports the CPU it ran on."""
    return [rf"HV-LINUX-WORK: job {c} ran on cpu {c}$" for c in range(cpus)]


def firmware_view(emulator, boot, firmware):
    """Under UEFI Linux gets the EFI system table and runtime services: it lists the firmware's
    variables and reads BootOrder (tests/linux/init); elsewhere it sees no EFI firmware. Booted by
    GRUB, it gets GRUB's framebuffer as fb0 (GOP under UEFI, VBE under BIOS); from -kernel, none."""
    if firmware == "ovmf":
        return [r"efi: EFI v2\.\d+ by ", r"HV-LINUX-EFI: firmware present, [1-9]\d* variables, BootOrder [1-9]\d* bytes",
                r"fb0: EFI VGA frame buffer device", r"HV-LINUX-FB: fb0 'EFI VGA' \d+,\d+"]
    if boot == "iso" and emulator == "qemu":
        return [r"HV-LINUX-EFI: no EFI firmware", r"fb0: VESA VGA frame buffer device",
                r"HV-LINUX-FB: fb0 'VESA VGA' \d+,\d+"]
    if boot == "iso":  # Bochs: whether its VGA BIOS offers GRUB a VBE mode is not checked here
        return [r"HV-LINUX-EFI: no EFI firmware"]
    return [r"HV-LINUX-EFI: no EFI firmware", r"HV-LINUX-FB: no framebuffer"]


def started(cpus):
    """Every AP's vCPU was started by the guest's INIT-SIPI, in software (vmm/initsipi.c)."""
    return [rf"vcpu{c}: SIPI vector 0x[0-9a-f]+: starting in real mode" for c in range(1, cpus)]

HV_FORBID = [r"PANIC", r"\bEXCEPTION (#|NMI|reserved)", r"Kernel panic", r"unchecked MSR access error",
             r"hypervisor memory at GPA", r"partition stopped"]


def linux(name, hvtest="poweroff", cmdline_extra="", expect_more=(), smp=1, online=None, **kw):
    """Linux with `smp` CPUs, of which `online` (default: all) must be online."""
    online = smp if online is None else online
    guest_cmdline = f"console=ttyS0 panic=-1 hvtest={hvtest} {cmdline_extra}".strip()
    case = dict(name=name, emulator="qemu", boot="kernel", smp=smp, mem=1024, timeout=240,
                modules=[(KERNEL, guest_cmdline), (INITRD, "initrd")],
                expect=[r"guest: Linux '.*' \(boot protocol 2\.\d+\) loaded", marker(online)]
                + started(online) + firmware_view(kw.get("emulator", "qemu"), kw.get("boot", "kernel"), kw.get("firmware")) + list(expect_more),
                forbid=list(HV_FORBID), done=r"HV-LINUX-TEST: done|reboot: resetting through|Kernel panic|PANIC")
    if hvtest == "poweroff":
        # S5 goes through the hypervisor (vmm/sleep.c), which prints every vCPU's exit counters.
        case["expect"] = case["expect"] + workload(online) + [r"HV-LINUX-TEST: done"] + [
            rf"exit-stats: vcpu{c} total \d+" for c in range(smp)]
        case["done"] = rf"exit-stats: vcpu{smp - 1} total|Kernel panic|PANIC"
    case.update(kw)
    return case


LINUX_CASES = [
    linux("linux-qemu-kernel-smp1"),
    # Every CPU online, each running a pinned job: -kernel, GRUB BIOS and OVMF, with 2 and 4 CPUs.
    linux("linux-qemu-kernel-smp2", smp=2),
    linux("linux-qemu-kernel-smp4", smp=4),
    linux("linux-grub-bios-mb2-smp1", boot="iso", proto="multiboot2", firmware="bios"),
    linux("linux-grub-bios-mb2-smp2", boot="iso", proto="multiboot2", firmware="bios", smp=2),
    linux("linux-grub-bios-mb2-smp4", boot="iso", proto="multiboot2", firmware="bios", smp=4),
    linux("linux-grub-uefi-mb2-smp1", boot="iso", proto="multiboot2", firmware="ovmf"),
    linux("linux-grub-uefi-mb2-smp2", boot="iso", proto="multiboot2", firmware="ovmf", smp=2),
    linux("linux-grub-uefi-mb2-smp4", boot="iso", proto="multiboot2", firmware="ovmf", smp=4),
    # The framebuffer GRUB set up is the guest's console: the runner's screendump must show text.
    linux("linux-grub-uefi-screen", boot="iso", proto="multiboot2", firmware="ovmf", hvtest="screen",
          screendump=True, done=r"HV-LINUX-SCREEN: ready|Kernel panic|PANIC"),
    linux("linux-grub-bios-screen", boot="iso", proto="multiboot2", firmware="bios", hvtest="screen",
          screendump=True, done=r"HV-LINUX-SCREEN: ready|Kernel panic|PANIC"),
    # maxcpus=1: the other CPUs stay waiting for a SIPI that never comes, and the guest runs on.
    linux("linux-qemu-kernel-smp2-maxcpus1", smp=2, online=1, cmdline_extra="maxcpus=1",
          forbid=HV_FORBID + [r"vcpu1: SIPI"]),
    # CPU offline/online: every AP 20 times through INIT-SIPI again; none lost, then a job on each.
    linux("linux-qemu-hotplug-smp4", smp=4, hvtest="hotplug", timeout=300,
          expect_more=[r"HV-LINUX-HOTPLUG: 20 cycles per CPU, 4 of 4 CPUs online"] + workload(4)
          + [r"HV-LINUX-TEST: done"],
          forbid=HV_FORBID + [r"HV-LINUX-HOTPLUG: cpu\d+ (offline|online) failed"]),
    # NMI backtrace: Linux's NMI IPIs reach every other CPU's guest and each answers.
    linux("linux-qemu-nmi-backtrace-smp4", smp=4, hvtest="nmi-backtrace",
          expect_more=[r"sysrq: Show backtrace of all active CPUs"]
          + [rf"NMI backtrace for cpu {c}\b" for c in range(4)] + [r"HV-LINUX-TEST: done"]),
    # A reboot from inside Linux with every CPU in the guest: each leaves SVM, then the reset (-no-reboot).
    linux("linux-qemu-reboot-smp4", smp=4, hvtest="reboot",
          expect_more=[r"reboot: guest reset request", r"reboot: CPU 1 left SVM", r"reboot: CPU 2 left SVM",
                       r"reboot: CPU 3 left SVM", r"reboot: CPU 0 left SVM", r"reboot: resetting through"],
          forbid=HV_FORBID + [r"did not answer"]),
]

# Bochs' Skylake model lacks IA32_MISC_ENABLE (0x1A0), which every Intel CPU has and Linux's
# earliest code reads without a fault handler: the Linux case lets Bochs read unknown MSRs as 0
# (its own default) instead of faulting, as the MSR selftest needs.
# Bochs' Ryzen model lacks HWCR (0xC0010015), which every AMD CPU has and Linux reads without a
# fault handler: ignore_bad_msrs as above. Its MWAITX never ends by its timer, so Linux's udelay
# (MONITORX/MWAITX with a timeout wherever CPUID lists MWAITX) sleeps for good, with the
# hypervisor or without it (README "Emulator gaps"): clearcpuid=mwaitx makes Linux delay by
# polling the TSC, as on a CPU without MWAITX.
BOCHS_RYZEN_LINUX = "clearcpuid=mwaitx"
SLOW_CASES = [
    linux("linux-bochs-skylake-smp1", emulator="bochs", boot="iso", proto="multiboot2",
          cpu_model="corei7_skylake_x", timeout=3000, linger=1, bochs_ignore_bad_msrs=True),
    linux("linux-bochs-skylake-smp2", emulator="bochs", boot="iso", proto="multiboot2", smp=2,
          cpu_model="corei7_skylake_x", timeout=3000, linger=1, bochs_ignore_bad_msrs=True),
    linux("linux-bochs-ryzen-smp1", emulator="bochs", boot="iso", proto="multiboot2",
          cpu_model="ryzen", timeout=3000, linger=1, bochs_ignore_bad_msrs=True, cmdline_extra=BOCHS_RYZEN_LINUX),
    linux("linux-bochs-ryzen-smp2", emulator="bochs", boot="iso", proto="multiboot2", smp=2,
          cpu_model="ryzen", timeout=3000, linger=1, bochs_ignore_bad_msrs=True, cmdline_extra=BOCHS_RYZEN_LINUX),
    linux("linux-bochs-skylake-hotplug-smp2", emulator="bochs", boot="iso", proto="multiboot2", smp=2,
          cpu_model="corei7_skylake_x", timeout=3600, linger=1, bochs_ignore_bad_msrs=True, hvtest="hotplug",
          expect_more=[r"HV-LINUX-HOTPLUG: 20 cycles per CPU, 2 of 2 CPUs online"] + workload(2)
          + [r"HV-LINUX-TEST: done"],
          forbid=HV_FORBID + [r"HV-LINUX-HOTPLUG: cpu\d+ (offline|online) failed"]),
    # Bochs cannot boot again after an SMP reset (README): the run ends at the hypervisor's reset line.
    linux("linux-bochs-skylake-reboot-smp2", emulator="bochs", boot="iso", proto="multiboot2", smp=2,
          cpu_model="corei7_skylake_x", timeout=3000, linger=2, bochs_ignore_bad_msrs=True, hvtest="reboot",
          expect_more=[r"reboot: guest reset request", r"reboot: CPU 1 left VMX", r"reboot: CPU 0 left VMX",
                       r"reboot: resetting through"],
          forbid=HV_FORBID + [r"did not answer"]),
]
