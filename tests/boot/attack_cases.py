"""Boot cases for the attack guest (tests/guests/attack.c, issue 18): what the hypervisor must own
(INIT, SMI, its vectors, NMI) against a hostile guest. Each run ends with the hypervisor answering
hypercall 0 and its self-check (hypercall 5) passing. Same keys as cases.py.

Runs: QEMU SVM with 1 and 2 CPUs, Bochs SVM (ryzen) and Bochs VMX (corei7_skylake_x) with 2 CPUs.
With 2 CPUs the second one is a parked vCPU (the guest never starts it), the issue's target.
"""
from guest_cases import DONE, guest_expect, guest_forbid
from reboot_cases import FORBID as REBOOT_FORBID, left_lines

SKYLAKE = "corei7_skylake_x"
RYZEN = "ryzen"
DROPPED_FF = r"vcpu1: interrupt vector 0xff on a parked CPU dropped"
DROPPED_LOW = r"vcpu1: interrupt vector 0x1[0-9a-f] on a parked CPU dropped"


def run(emulator, smp, model=None):
    if emulator == "qemu":
        return dict(emulator="qemu", boot="kernel", smp=smp, timeout=60, exit_code=1)
    return dict(emulator="bochs", boot="iso", proto="multiboot2", cpu_model=model, smp=smp, timeout=300, linger=1)


def tag(emulator, smp, model=None):
    short = {None: "", RYZEN: "-ryzen", SKYLAKE: "-skylake"}[model]
    return f"{emulator}{short}-smp{smp}"


MACHINES = [("qemu", 1, None), ("qemu", 2, None), ("bochs", 2, RYZEN), ("bochs", 2, SKYLAKE)]


def attack_case(attack, emulator, smp, model=None, expect_more=(), **kw):
    args = attack + (" other=1" if smp > 1 else "")
    case = dict(name=f"attack-{attack}-{tag(emulator, smp, model)}",
                modules=[("build/guests/attack.elf", f"attack.elf {args}")],
                expect=guest_expect("attack") + list(expect_more), forbid=guest_forbid(), done=DONE)
    case.update(run(emulator, smp, model))
    case.update(kw)
    return case


def vectors_cases():
    """Fixed IPIs on vectors 16-31 and 0xFF: 0x12 used to land on the host's #MC gate, 0xFF was taken
    for spurious and never EOI'd. To a parked CPU each is EOI'd and dropped (the first few logged).
    Bochs 2.7 ignores an EOI while its spurious vector is the highest in service (bare too), so
    there the guest moves its own SVR vector and sends the parked CPU no 0xFF (`bochs-svr`)."""
    cases = []
    for e, n, m in MACHINES:
        if e == "bochs":
            # A parked vCPU halts with IF=0, and Bochs turns no pending interrupt into an exit
            # while guest IF=0 (design.md): there the parked CPU's IPIs wait in its IRR unseen.
            case = attack_case("vectors", e, n, m)
            case["modules"] = [(p, f"{s} bochs-svr") for p, s in case["modules"]]
        else:
            # Only the first few drops are logged, in the order the APIC presents them, which
            # depends on how many are pending at once: any vector 16-31 stands for the rest
            # (vector 0x12 reaching the #MC gate would be a panic, which every case forbids).
            case = attack_case("vectors", e, n, m, expect_more=[DROPPED_FF, DROPPED_LOW] if n > 1 else [])
        cases.append(case)
    return cases


def ends_in_reset(case, emulator, smp, model):
    """The guest ends by asking for a reset: every CPU must answer the reboot NMI and report leaving
    virtualization (reboot_cases.py)."""
    reason = r"reboot: guest reset request: keyboard controller"
    virt = "VMX" if model == SKYLAKE else "SVM"
    case["expect"] = case["expect"][:1] + [r"attack: requesting reset via kbd", reason] + left_lines(smp, virt, reason)
    case["forbid"] = REBOOT_FORBID + [r"PANIC", r"guest: done:"]
    case["done"] = r"guest: done:"
    if emulator == "qemu":
        case.update(exit_code=0)
    else:
        case.update(done=r"reboot: resetting through", linger=2)
    return case


def smi_cases():
    """SMI IPIs to this CPU and to a parked one. On SVM the SMI is intercepted and SMM runs from host
    mode, never through a nested table (a parked vCPU's maps one page); on VMX (dual-monitor treatment
    off) SMM is entered from the guest and RSM returns there. SMM itself is firmware, trusted: SeaBIOS
    on QEMU `pc` and the Bochs BIOS relocate only the boot CPU's SMBASE (their SMI comes through the
    chipset's APM port to the first CPU), so an AP's SMI runs whatever RAM holds at 0x38000 and that
    CPU does not come back (QEMU -d int: "SMM: enter" on CPU 1, then faults in SMM; bochs.log: "Enter
    to System Management Mode" on CPU1, no RSM). What these runs prove is that the guest and the
    hypervisor go on unchanged; the README's security model says what holds on real firmware. The
    guest plants an RSM at the default entry (0x38000) before the SMIs to the other CPU, so that CPU
    comes back from SMM every time (QEMU logs SMI exits #1 and #2) instead of running whatever lies
    there, which now and then triple-faulted in SMM and reset the machine mid-test. Bochs
    sends SMIs to this CPU only: there the AP's SMM code runs into the BIOS's panic port and Bochs
    (panic: action=fatal) stops ("BIOS >>PANIC<< set_diskette_current_cyl()" with CPU1 in SMM)."""
    cases = []
    for e, n, m in MACHINES:
        # The guest's SMI IPI to itself is sent by the hypervisor's ICR emulation, in host mode;
        # the parked CPU takes its SMI in guest mode, where SVM intercepts it.
        case = attack_case("smi", e, n, m, expect_more=[r"vcpu1: SMI exit #1\b"] if e == "qemu" and n > 1 else [])
        if e == "bochs":
            case["modules"] = [(p, s.replace(" other=1", "")) for p, s in case["modules"]]
        cases.append(case)
    return cases


def nmi_idle_cases():
    """NMIs to a parked CPU, then a reset request: every CPU must still answer the reboot NMI (on VMX,
    NMI blocking is lifted after each NMI exit) and report leaving virtualization."""
    return [ends_in_reset(attack_case("nmi-idle", e, n, m), e, n, m) for e, n, m in MACHINES if n > 1]


ATTACK_CASES = vectors_cases() + smi_cases() + nmi_idle_cases()



RESUMED = [r"attack: resumed at 40:67 in real mode", r"attack: resume: hypercall 0 answered: still the guest",
           r"attack: resume: self-check 0: hypervisor unchanged"]
RESTART = r"vcpu0: INIT: the boot CPU restarts at the reset vector f000:fff0"

BOCHS_IF_GAP = ("Bochs 2.7 turns a pending external interrupt into an exit only while the guest has IF=1 "
                "(design.md, checked there); the attack guest waits for its INIT with IF=0, so the proxied "
                "INIT waits too. Hardware exits on it whatever the guest's IF (VMX external-interrupt "
                "exiting, SVM INTR intercept with V_INTR_MASKING)")
PROXIED = r"vcpu\d+: I/O APIC 0x[0-9a-f]+ entry \d+: delivery mode INIT, proxied on vector 0xf2"


def init_cases():
    """INIT. The guest's INIT IPIs are caught at the ICR (vmm/initsipi.c), so `init-self-ipi` (an INIT
    IPI at its own APIC ID, with CMOS shutdown status 0x0A and the 40:67 vector) proves the boot
    CPU's INIT: the vCPU restarts at F000:FFF0, the firmware runs again as the guest and jumps to
    the guest's real-mode code, which still reaches the hypervisor.

    An I/O APIC entry with delivery mode INIT never reaches the hardware as one (vmm/ioapic.c): it
    is sent as a fixed interrupt on the proxy vector, and the CPU that takes it gives its vCPU the
    INIT. `init-self` is the same resume through the I/O APIC; `init-other` aims it at a parked CPU,
    which must still answer the reboot path afterwards (`init-other-reset`). Before the proxy, QEMU
    and Bochs both reset the CPU outside guest mode here (README, "Hardware INIT")."""
    cases = []
    for e, n, m in MACHINES:
        case = attack_case("init-self-ipi", e, n, m)
        case["expect"] = case["expect"][:1] + [RESTART] + RESUMED
        cases.append(case)
        case = attack_case("init-self", e, n, m, **({"known_gap": BOCHS_IF_GAP} if e == "bochs" else {}))
        case["expect"] = case["expect"][:1] + [PROXIED, RESTART] + RESUMED
        cases.append(case)
        if n < 2:
            continue
        case = ends_in_reset(attack_case("init-other", e, n, m, expect_more=[PROXIED]), e, n, m)
        case.update(name=case["name"].replace("init-other", "init-other-reset"))
        cases.append(case)
    return cases


ATTACK_CASES += init_cases()
