"""Linux guest cases: the Debian kernel and the busybox initramfs from `make guest`.

The initramfs prints a marker line (kernel version, CPUs online, the hypervisor's CPUID signature)
and, with hvtest=poweroff, runs a short workload and powers off (ACPI S5 passes through, so QEMU
exits); with hvtest=reboot it reboots, which takes the hypervisor's reboot path.
Bochs boots Linux too slowly for CI: those cases are in SLOW_CASES (`make test-slow`).
"""

KERNEL = "build/guest/vmlinuz"
INITRD = "build/guest/initrd.gz"
MARKER = r"HV-LINUX-MARKER: kernel 6\.\S+, 1 CPUs online, hypervisor 'MicroHVisor '"
HV_FORBID = [r"PANIC", r"\bEXCEPTION (#|NMI|reserved)", r"Kernel panic", r"unchecked MSR access error",
             r"hypervisor memory at GPA", r"partition stopped"]


def linux(name, hvtest="poweroff", cmdline_extra="", expect_more=(), **kw):
    guest_cmdline = f"console=ttyS0 panic=-1 hvtest={hvtest} {cmdline_extra}".strip()
    case = dict(name=name, emulator="qemu", boot="kernel", smp=1, mem=1024, timeout=240,
                modules=[(KERNEL, guest_cmdline), (INITRD, "initrd")],
                expect=[r"guest: Linux '.*' \(boot protocol 2\.\d+\) loaded", MARKER] + list(expect_more),
                forbid=list(HV_FORBID), done=r"HV-LINUX-TEST: done|reboot: resetting through|Kernel panic|PANIC")
    if hvtest == "poweroff":
        case["expect"] = case["expect"] + [r"HV-LINUX-TEST: done"]
    case.update(kw)
    return case


LINUX_CASES = [
    linux("linux-qemu-kernel-smp1"),
    # Until guest SMP lands the guest runs on the boot CPU: a second CPU stays parked.
    linux("linux-qemu-kernel-smp2-maxcpus1", smp=2, cmdline_extra="maxcpus=1"),
    linux("linux-grub-bios-mb2-smp1", boot="iso", proto="multiboot2", firmware="bios"),
    linux("linux-grub-uefi-mb2-smp1", boot="iso", proto="multiboot2", firmware="ovmf"),
    # A reboot from inside Linux goes through the reboot path and the machine resets (-no-reboot).
    linux("linux-qemu-reboot-smp2", smp=2, hvtest="reboot", cmdline_extra="maxcpus=1",
          expect_more=[r"reboot: guest reset request", r"reboot: CPU 1 left SVM", r"reboot: CPU 0 left SVM",
                       r"reboot: resetting through"]),
]

# Bochs' Skylake model lacks IA32_MISC_ENABLE (0x1A0), which every Intel CPU has and Linux's
# earliest code reads without a fault handler: the Linux case lets Bochs read unknown MSRs as 0
# (its own default) instead of faulting, as the MSR selftest needs.
SLOW_CASES = [
    linux("linux-bochs-skylake-smp1", emulator="bochs", boot="iso", proto="multiboot2",
          cpu_model="corei7_skylake_x", timeout=3000, linger=1, bochs_ignore_bad_msrs=True),
]
