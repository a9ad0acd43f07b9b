"""Two checks of issue 18 that make other tests meaningful: the self-check can fail, and the
console never mixes two CPUs' lines.

selfcheck-gdb-poke: a byte of the hypervisor's read-only data changed from outside.

`make debug` boots the `selfcheck` guest (tests/guests/selfcheck.c) under QEMU stopped for gdb.
gdb stops the hypervisor in selfcheck_verify at the guest's first hypercall 5 (which reports the
hypervisor unchanged), changes the last byte before __rodata_end through QEMU's gdbstub (page
padding inside the checksummed range, which nothing reads), and lets the guest go on asking. The
next call must return false in gdb, and the guest must print that the self-check reported the
change (it gives up after about a minute otherwise, and the case fails). gdb's `shell` prints the
serial log into gdb's output, where the case's patterns are matched.

console-interleave-qemu-smp2: the `interleave` guest (tests/guests/interleave.c) logs 200 long
lines through hypercall 1 on each of two CPUs at once, with a hypercall 4 line of the hypervisor's
every 8 of them. No line may carry two prefixes, another CPU's letters, or be cut; lines of the two
CPUs must alternate somewhere (they did log at the same time).
"""

NAME = "selfcheck-gdb-poke"
SERIAL = f"build/tests/{NAME}/serial.log"
POKED = "*((unsigned char *)&__rodata_end - 1)"

SEAL_CASES = [
    dict(name=NAME, kind="gdb", emulator="qemu", guest="build/guests/selfcheck.elf", timeout=240,
         gdb=["hbreak selfcheck_verify", "continue", "finish",
              f"print/x {POKED}", f"set var {POKED} = {POKED} ^ 0xa5", f"print/x {POKED}",
              "continue", "finish", "delete", "continue",
              f"shell sleep 2; cat {SERIAL}"],
         expect=[r"Thread \d+ hit Breakpoint 1, selfcheck_verify",
                 # the first call: unchanged; the second, after the poke: changed
                 r"Value returned is \$1 = true[\s\S]*Value returned is \$\d+ = false",
                 r"selfcheck: code or read-only data changed: checksum [0-9a-f]+, [0-9a-f]+ at boot",
                 r"^ok \d+ - the self-check reports the hypervisor unchanged at the start",
                 r"^ok \d+ - the self-check reported the change at call \d+ \(returned -\d+\)",
                 r"^ok \d+ - its checksum changed",
                 r"^guest: done: \d+ passed, 0 failed"]),
]

LINE0 = r"\[cpu0 +[\d.]+\] guest: interleave cpu0 line"
LINE1 = r"\[cpu1 +[\d.]+\] guest: interleave cpu1 line"
SEAL_CASES.append(dict(
    name="console-interleave-qemu-smp2", emulator="qemu", boot="kernel", smp=2, timeout=120, exit_code=1,
    modules=[("build/guests/interleave.elf", "interleave.elf")], done=r"guest: done:",
    expect=[r"^ok \d+ - the AP started", r"^ok \d+ - both CPUs sent 200 lines through hypercall 1",
            r"guest: interleave cpu0 line 199 a{160} end$", r"guest: interleave cpu1 line 199 b{160} end$",
            r"^\[cpu0 +[\d.]+\] exit-stats: vcpu0 total", r"^\[cpu1 +[\d.]+\] exit-stats: vcpu1 total",
            # CPU 0, then CPU 1, then CPU 0 again: the two logged at the same time.
            rf"^{LINE0}[^\n]*\n(?:[^\n]*\n)*?{LINE1}[^\n]*\n(?:[^\n]*\n)*?{LINE0}",
            r"guest: done: \d+ passed, 0 failed"],
    forbid=[r"not ok", r"\[cpu\d+ [^\n]*\[cpu\d+ ",  # two prefixes on one line
            r"interleave cpu0 line \d{3} (?!a{160} end$)", r"interleave cpu1 line \d{3} (?!b{160} end$)",
            r"^(?!\[cpu\d+ +[\d.]+\] guest: )[^\n]*interleave cpu",  # a guest line that does not start a line
            r"exit-stats: [^\n]*(?:aaaa|bbbb|interleave)", r"^[ab]+"]))
