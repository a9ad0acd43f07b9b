"""The self-check can fail (issue 18): a byte of the hypervisor's read-only data changed from outside.

`make debug` boots the `selfcheck` guest (tests/guests/selfcheck.c) under QEMU stopped for gdb.
gdb stops the hypervisor in selfcheck_verify at the guest's first hypercall 5 (which reports the
hypervisor unchanged), changes the last byte before __rodata_end through QEMU's gdbstub (page
padding inside the checksummed range, which nothing reads), and lets the guest go on asking. The
next call must return false in gdb, and the guest must print that the self-check reported the
change (it gives up after about a minute otherwise, and the case fails). gdb's `shell` prints the
serial log into gdb's output, where the case's patterns are matched.
"""

NAME = "selfcheck-gdb-poke"
SERIAL = f"build/tests/{NAME}/serial.log"
POKED = "*((unsigned char *)&__rodata_end - 1)"

SELFCHECK_CASES = [
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
