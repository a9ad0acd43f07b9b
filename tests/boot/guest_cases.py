"""Boot cases for the test guests (tests/guests/): the hypervisor runs one guest and its log must show
the guest's checks passing. Same keys as cases.py.

Each guest runs on QEMU TCG (-kernel, 1 and 2 CPUs), QEMU with a GRUB BIOS ISO (multiboot2) and Bochs
`model=ryzen`. A guest prints `ok N - ...` / `not ok N - ...`, then `guest: done: P passed, F failed`,
then leaves through isa-debug-exit (QEMU exit code 1 when everything passed, 3 otherwise).
"""

DONE = r"guest: done:"
HV_FORBID = [r"PANIC", r"\bEXCEPTION (#|NMI|reserved)"]  # the hypervisor's own exception dump


def guest_expect(name):
    """The guest started under the hypervisor, saw its module string and passed every check."""
    return [rf"^guest {name}: vendor \S+, hypercall vmm?call, command line '\S*{name}\.elf",
            r"guest: done: \d+ passed, 0 failed"]


def guest_forbid():
    return [r"not ok \d+ - "] + HV_FORBID


def variants(name, cmdline="", args="", smp=(1, 2, 2, 1)):
    """The four standard runs of one guest; smp gives the CPU count of each (QEMU -kernel twice,
    GRUB BIOS ISO, Bochs). The ISO run uses 2 CPUs so the parked AP is there on that path too."""
    module = [(f"build/guests/{name}.elf", f"{name}.elf {args}".strip())]
    base = dict(cmdline=cmdline, modules=module, expect=guest_expect(name), forbid=guest_forbid(), done=DONE)
    runs = [
        dict(name=f"guest-{name}-qemu-smp{smp[0]}", emulator="qemu", boot="kernel", smp=smp[0], timeout=30,
             exit_code=1),
        dict(name=f"guest-{name}-qemu-smp{smp[1]}", emulator="qemu", boot="kernel", smp=smp[1], timeout=30,
             exit_code=1),
        dict(name=f"guest-{name}-grub-mb2-smp{smp[2]}", emulator="qemu", boot="iso", proto="multiboot2",
             firmware="bios", smp=smp[2], timeout=90, exit_code=1),
        dict(name=f"guest-{name}-bochs-ryzen-smp{smp[3]}", emulator="bochs", boot="iso", proto="multiboot2",
             cpu_model="ryzen", smp=smp[3], timeout=300, linger=1),
    ]
    cases = []
    for run in runs:
        case = dict(base)
        case.update(run)
        cases.append(case)
    return cases


def with_changes(cases, **changes):
    """The same cases with some keys replaced; `expect_more` adds to the expectations."""
    more = changes.pop("expect_more", [])
    out = []
    for case in cases:
        case = dict(case, **changes)
        case["expect"] = case["expect"] + more
        out.append(case)
    return out


# The hypervisor logs each intercepted exception ("exception: vector 6 (#UD) at ... reflected").
FORCE_MASK = 0x6849  # #DE(0) #BP(3) #UD(6) #NP(11) #GP(13) #PF(14)
FORCE_LOG = [r"exception: .*#DE", r"exception: .*#UD", r"exception: .*(#NP|vector 11\b)", r"exception: .*#GP",
             r"exception: .*#PF"]
# QEMU TCG checks INT3 against the software-interrupt intercept only, never the #BP exception intercept
# (target/i386/tcg/excp_helper.c, raise_interrupt2), so the #BP exit is proven on Bochs alone.
FORCE_LOG_BOCHS = FORCE_LOG + [r"exception: .*#BP"]


# Bochs 2.7 leaves EXITINFO2 at 0 for an intercepted #PF (newer Bochs passes the faulting address,
# as the APM specifies and QEMU does), so a reflected #PF would carry CR2 = 0 there: #PF is
# reflected on QEMU only, and left out of the Bochs mask.
FORCE_MASK_BOCHS = FORCE_MASK & ~(1 << 14)
FORCE_LOG_BOCHS = [p for p in FORCE_LOG_BOCHS if "#PF" not in p]


def exceptions_force_cases():
    cmdline = f"force_intercept_exceptions={FORCE_MASK:#x}"
    qemu, _, _, bochs = variants("exceptions", cmdline=cmdline, smp=(1, 2, 1, 1))
    cases = [dict(qemu, name="guest-exceptions-force-qemu-smp1", expect=qemu["expect"] + FORCE_LOG),
             dict(bochs, name="guest-exceptions-force-bochs-ryzen-smp1", cmdline=f"force_intercept_exceptions={FORCE_MASK_BOCHS:#x}",
                  expect=bochs["expect"] + FORCE_LOG_BOCHS)]
    # Vector 2 (NMI) cannot be intercepted usefully: refused with a warning, the rest still works.
    refused = f"force_intercept_exceptions={FORCE_MASK | 1 << 2:#x}"
    cases.append(dict(qemu, name="guest-exceptions-force-refused-qemu-smp1", cmdline=refused,
                      expect=qemu["expect"] + FORCE_LOG + [r"force_intercept_exceptions: .*vector 2.*refused"]))
    return cases


def unhandled_exit_cases():
    """RDTSC with an intercept the hypervisor has no handler for: a dump, the partition stops, no crash.
    The guest never reaches isa-debug-exit, so the runner stops the emulator."""
    cases = variants("unhandled_exit", cmdline="test_unhandled_exit")
    for case in cases:
        case.update(done=r"partition stopped", linger=1,
                     expect=[r"^guest unhandled_exit: vendor", r"executing RDTSC", r"unhandled exit", r"RIP",
                             r"partition stopped",
                             # the ring's last entry is the RDTSC that failed (SVM code 0x6e, VMX 16),
                             # at the RIP the dump shows
                             r"vcpu0: RIP 0*([0-9a-f]+) RSP[\s\S]*vcpu0: recent exit #\d+: code 0x(?:6e|10) "
                             r"at RIP 0x\1 qual 0x[0-9a-f]+ tsc \d+ \(last\)$"],
                     forbid=guest_forbid() + [r"guest: done:"])
        case.pop("exit_code", None)
    return cases


def initsipi_cases():
    """Guest SMP: the guest starts its APs with INIT/SIPI in every destination form (vmm/initsipi.c
    delivers them in software, never to the hardware), restarts a running AP, and each AP reports its
    APIC ID. One CPU, 2 and 4 CPUs under QEMU -kernel, 2 on the GRUB ISO and on Bochs."""
    started = [r"vcpu1: SIPI vector 0x[0-9a-f]+: starting in real mode", r"vcpu1: INIT: waiting for a SIPI"]
    cases = variants("initsipi", smp=(1, 2, 2, 2))
    for case in cases:
        if case["smp"] > 1:
            case["expect"] = case["expect"] + started
        # Each INIT/SIPI waits for its target's CPU: slow where emulated CPUs are threads on a busy host.
        case["timeout"] = max(case["timeout"], 120)
    four = dict(cases[1], name="guest-initsipi-qemu-smp4", smp=4, timeout=180,
                expect=cases[1]["expect"] + [r"vcpu3: SIPI vector 0x[0-9a-f]+: starting in real mode"])
    return cases + [four]


def irq_timer_cases():
    """Timer interrupts. QEMU TCG (without -icount) runs its timers on host time and drops periodic ticks
    when the host is busy, hypervisor or not, so its runs pass `hostclock`: exact counts (one-shots, the
    10,000-interrupt chain) stay exact, a periodic count may fall short but never exceed the periods
    elapsed. Bochs' time is virtual (ips), so its runs check every rate both ways. The `long` run (10,000
    one-shot timer interrupts in a chain, each exactly once, then 5 s at 2 kHz) is QEMU only: Bochs runs
    10M instructions per virtual second."""
    qemu = [c for c in variants("irq_timer", args="hostclock") if c["emulator"] == "qemu"]
    bochs = [c for c in variants("irq_timer") if c["emulator"] == "bochs"]
    long_run = dict(variants("irq_timer", args="long hostclock")[0], name="guest-irq_timer-long-qemu-smp1",
                    timeout=120)
    return qemu + bochs + [long_run]


def uefi_cases():
    """Under OVMF, GRUB hands over an EFI memory map and ACPI 2.0 tables: the guest's memory map,
    the hidden hypervisor range and the parked AP must come out the same as under BIOS."""
    cases = []
    for name in ("hvmem", "initsipi"):
        case = dict(variants(name, smp=(1, 2, 2, 2))[2])  # the GRUB ISO variant, 2 CPUs
        case.update(name=f"guest-{name}-uefi-mb2-smp2", firmware="ovmf", timeout=120)
        if name == "initsipi":
            # OVMF's RSDP is out of a multiboot 1 guest's reach: the AP's APIC ID comes on its command line.
            case["modules"] = [(path, f"{arg} aps=1") for path, arg in case["modules"]]
            case["expect"] = case["expect"] + [r"# no MADT found: APIC IDs from the command line"]
            case["expect"] = case["expect"] + [r"vcpu1: SIPI vector 0x[0-9a-f]+: starting in real mode"]
        cases.append(case)
    return cases


def bench_cases():
    """The bench guest (make bench reads its figures) as a test: each exiting operation exits exactly
    once per round, the passed-through ones never, every self-IPI and self-NMI arrives. One CPU on QEMU
    -kernel and Bochs (and its VMX models): the figures are only printed, never judged here."""
    qemu, _, _, bochs = variants("bench", smp=(1, 1, 1, 1))
    return [qemu, bochs]


def archcheck_cases():
    """The hardware's checks and legal guest actions (tests/guests/archcheck.c): the standard runs, with
    INVD taken as an exit on Bochs (SVM intercepts it on request, VMX always; QEMU 7.2 TCG checks the
    WBINVD intercept for INVD, fixed upstream in 2023), plus a bare QEMU run that proves each check holds
    without the hypervisor."""
    console = [r"guest: console: esc\\x1b\[2J bel\\x07 bs\\x08 cr\\x0d nul\\x00 end$", r"guest: console: second line$"]
    cases = with_changes(variants("archcheck"), expect_more=console)
    for case in cases:
        case["forbid"] = case["forbid"] + [r"\x1b\[2J", r"\x07"]
        if case["emulator"] == "bochs":
            case["expect"] = case["expect"] + [r"exit-stats: vcpu0 .*, invd [1-9]"]
    bare = dict(cases[0], name="guest-archcheck-bare-qemu-smp1", kernel_image="build/guests/archcheck.elf",
                cmdline="archcheck.elf", modules=[],
                expect=[r"^guest archcheck: vendor \S+, hypercall vmm?call, command line '\S* ?archcheck\.elf",
                        r"# QEMU, not under the microhypervisor", r"guest: done: \d+ passed, 0 failed"])
    return cases + [bare]


def console_cases():
    """loglevel=0: a guest image that cannot be loaded still says so (LOG_CRIT), on both vendors."""
    expect = [r"guest: cannot load '.*linker\.ld'", r"partition stopped: the guest image could not be loaded"]
    module = [("tests/guests/linker.ld", "linker.ld")]
    base = dict(cmdline="loglevel=0", modules=module, expect=expect, forbid=[r"PANIC"], done=r"partition stopped",
                linger=1)
    return [dict(base, name="console-loglevel0-badguest-qemu-smp1", emulator="qemu", boot="kernel", smp=1, timeout=30),
            dict(base, name="console-loglevel0-badguest-bochs-skylake-smp1", emulator="bochs", boot="iso",
                 proto="multiboot2", cpu_model="corei7_skylake_x", smp=1, timeout=300)]


def archcheck_cr3_cases():
    """CR3 in hypervisor memory, paging on: the guest's walks fault, its #GP and #DF deliveries too, and
    that is a triple fault: the hypervisor's shutdown path, not a #GP/#DF loop. QEMU SVM and Bochs VMX
    (Bochs 2.7 SVM never delivers the SHUTDOWN intercept: see reboot_cases.py)."""
    expect = [r"^guest archcheck: vendor \S+, hypercall vmm?call, command line '\S* ?archcheck\.elf cr3hv'",
              r"# CR3 = 0x[0-9a-f]+ \(hypervisor memory\)", r"the guest triple-faulted",
              r"reboot: guest reset request: triple fault", r"reboot: resetting through"]
    module = [("build/guests/archcheck.elf", "archcheck.elf cr3hv")]
    forbid = [r"not ok", r"PANIC", r"guest: done:"]
    return [dict(name="guest-archcheck-cr3hv-qemu-smp1", emulator="qemu", boot="kernel", smp=1, timeout=60,
                 exit_code=0, modules=module, expect=expect, forbid=forbid, done=r"guest: done:"),
            dict(name="guest-archcheck-cr3hv-bochs-skylake-smp1", emulator="bochs", boot="iso", proto="multiboot2",
                 cpu_model="corei7_skylake_x", smp=1, timeout=300, modules=module, expect=expect, forbid=forbid,
                 done=r"reboot: resetting through", linger=2)]


# Intel VMX exists only in Bochs here: corei7_skylake_x with 1 and 2 CPUs, and sandy_bridge,
# whose EPT has no 1 GiB pages, so the nested tables fall back to 2 MiB leaves.
VMX_MODELS = (("skylake", "corei7_skylake_x", 1), ("skylake", "corei7_skylake_x", 2), ("sandybridge", "corei7_sandy_bridge_2600k", 1))


def intel_variants(amd_cases):
    """Every Bochs ryzen case again on each VMX model (a guest that needs 2 CPUs keeps 2)."""
    out = {}
    for case in amd_cases:
        if case.get("cpu_model") != "ryzen":
            continue
        for short, model, smp in VMX_MODELS:
            n = max(smp, case["smp"])
            name = case["name"].replace(f"bochs-ryzen-smp{case['smp']}", f"bochs-{short}-smp{n}")
            intel = dict(case, name=name, cpu_model=model, smp=n)
            if "exceptions-force" in name:
                # Bochs VMX reports the #PF address (Bochs SVM does not): the whole mask applies.
                intel["cmdline"] = f"force_intercept_exceptions={FORCE_MASK:#x}"
                intel["expect"] = guest_expect("exceptions") + FORCE_LOG + [r"exception: .*#BP"]
            if "initsipi" in name:
                # Bochs VMX drops CR0.CD/NW at VM entry (tests/guests/initsipi.c has the proof).
                intel["modules"] = [(path, f"{arg} cr0-cd-nw-dropped") for path, arg in case["modules"]]
            if short == "sandybridge":
                intel["expect"] = intel["expect"] + [r"vmx: enabled: EPT 2M, unrestricted guest"]  # no 1G
            out[name] = intel
    return list(out.values())


AMD_CASES = (

    variants("cpuid")
    + variants("msr")
    + variants("xsetbv")
    + variants("hvmem")
    + variants("io")
    + with_changes(variants("hypercall"),
                   expect_more=[r"guest: hypercall console check 4711$", r"guest: max-length:x{245}$"])
    + variants("exceptions")
    + exceptions_force_cases()
    + unhandled_exit_cases()
    + initsipi_cases()
    + uefi_cases()
    + irq_timer_cases()
    + variants("irq_ipi")
    + variants("nmi")
    + variants("fidelity")
    + bench_cases()
    + archcheck_cases()
)
GUEST_CASES = AMD_CASES + intel_variants(AMD_CASES) + archcheck_cr3_cases() + console_cases()
