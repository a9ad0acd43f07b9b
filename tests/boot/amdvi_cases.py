"""Boot cases for the AMD-Vi driver's interrupt and configuration rules (tests/guests/msi_init.c),
on QEMU q35 + amd-iommu with edu at 00:04.0 (SVM, TCG). Same keys as cases.py.

  fixed     edu's fixed-vector MSI passes the IOMMU and arrives once;
  init      edu's INIT MSI at the guest's own CPU. On hardware the DTE's INITPass=0 blocks it. QEMU
            7.2's model forwards no fixed interrupt once a DTE has interrupt control on (IntCtl 01b:
            amdvi_int_remap_msi rebuilds the message from an empty remapping result; without
            intremap=on it fails every interrupt instead), so the driver leaves interrupt control
            off there and says so. The INIT then reaches the CPU, and QEMU TCG resets a CPU on an
            INIT even in guest mode with the INIT intercept set (vmm/initsipi.c): the firmware runs
            on the bare CPU and the resume code's VMMCALL never returns. A known gap of the
            emulator (HV_KNOWN_GAPS=1 shows it); on hardware the DTE blocks the message, and were
            it to pass, SVM's INIT intercept hands it to the vCPU, which this case expects;
  capwrite  the unit's function is absent from port configuration space (the guest checks that a
            port write to its writable MSI data is lost); through ECAM, a write to its capability
            block is dropped (QEMU makes the block read-only anyway, so the hypervisor's log is the
            proof) and one to its MSI data lands; edu's configuration works both ways.
"""
from guest_cases import DONE, guest_expect, guest_forbid

EXTRA = ["-M", "q35", "-device", "amd-iommu", "-device", "edu,addr=04.0"]
QEMU_MODEL = r"amdvi: QEMU's model forwards no fixed interrupt with interrupt control on: left off"
RESUMED = [r"attack: resumed at 40:67 in real mode", r"attack: resume: hypercall 0 answered: still the guest",
           r"attack: resume: self-check 0: hypervisor unchanged"]
DROPPED = r"pci: guest 4-byte write of 0x{v} to the AMD-Vi capability of 00:03\.0 \(offset 0x44, {how}\): dropped"


def msi_case(test, expect_more=(), **kw):
    case = dict(name=f"amdvi-msi-{test}-q35-qemu-smp1", emulator="qemu", boot="kernel", smp=1, mem=512, timeout=90,
                cmdline="loglevel=7", modules=[("build/guests/msi_init.elf", f"msi_init.elf {test}")],
                expect=guest_expect("msi_init") + [r"iommu: AMD-Vi unit at 0x[0-9a-f]+ translates", QEMU_MODEL]
                + list(expect_more), forbid=guest_forbid(), done=DONE, exit_code=1, qemu_extra=EXTRA)
    case.update(kw)
    return case


AMDVI_CASES = [
    msi_case("fixed", expect_more=[r"ok \d+ - edu's fixed MSI on vector 0x51 arrived 1 time"]),
    msi_case("init", expect_more=[r"vcpu0: hardware INIT #1 on CPU 0", r"vcpu0: INIT: the boot CPU restarts at the reset vector f000:fff0"]
             + RESUMED, forbid=guest_forbid() + [r"msi_init: still running"],
             expect=[r"^guest msi_init: vendor \S+, hypercall vmm?call", r"iommu: AMD-Vi unit at 0x[0-9a-f]+ translates",
                     QEMU_MODEL], done=r"attack: resume: self-check|not ok|PANIC", exit_code=None,
             known_gap="QEMU 7.2's AMD-Vi model cannot block an INIT MSI without losing every fixed interrupt, and its "
                       "TCG CPUs take INIT outside the SVM intercept"),
    msi_case("capwrite", expect_more=[r"pci: guest addressed the AMD-Vi function 00:03\.0 through port 0xcf8 \(0x80001800\): absent there",
                                      DROPPED.format(v="beef0001", how="ECAM"),
                                      r"ok \d+ - through 0xCF8/0xCFC the function is absent",
                                      r"ok \d+ - a port write to its MSI data is lost", r"ok \d+ - an ECAM write to its MSI data lands",
                                      r"ok \d+ - the base address reads", r"ok \d+ - a port write to edu's MSI data lands",
                                      r"ok \d+ - an ECAM write to edu's MSI data lands"]),
]
