"""The hypervisor's own log on the screen (drivers/screen.c), read back from QEMU screendumps.

A boot without a guest module stops before any guest: its last lines must be on the screen, with
the framebuffer GRUB set up under UEFI (GOP) and BIOS (VBE), and in VGA text mode (QEMU -kernel,
Multiboot 1: SeaBIOS leaves text mode). Without a serial port at all (-serial none) the run ends
when the screen shows the last line (tests/boot/screen.py ScreenWatch reads it back every few
seconds); with one, when the serial log does, and both must show it. Once the guest started, the
hypervisor's lines are no longer drawn; a panic after that (selftest=hcpanic at the test guest's
first hypercall) takes the screen back and draws them.
"""

NO_GUEST = [r"vmm: no guest image \(the first multiboot module is the guest\); nothing to run",
            r"^\[cpu0 \d+\.\d{6}\] hv: nothing left to run; halting$"]


def no_guest(name, boot, firmware, console, text, serial="none"):
    case = dict(name=name, emulator="qemu", boot=boot, firmware=firmware, proto="multiboot2",
                cmdline=f"{console} panic=halt".strip(), screendump=True, screen_text=text, screen_expect=NO_GUEST,
                timeout=120, forbid=[r"PANIC"])
    if serial == "none":
        # Nothing on a serial log to wait for or check: the screen is all there is.
        case.update(serial="none", expect=[], forbid=[], screen_forbid=[r"PANIC"],
                    screen_done=r"hv: nothing left to run")
    else:
        case.update(expect=NO_GUEST + [rf"console: screen: {'framebuffer' if text == 'fb' else 'VGA text'}, \d+x\d+ characters"],
                    done=r"hv: nothing left to run")
    return case


def guest_owns_screen(name, boot, firmware, text):
    """The spin guest asks for the exit statistics at its start (hypercall 6): the hypervisor's
    lines after the guest started go to the serial port, not to the guest's screen."""
    stats = r"stats: +0 total \d+ exits"
    return dict(name=name, emulator="qemu", boot=boot, firmware=firmware, proto="multiboot2", cmdline="",
                modules=[("build/guests/spin.elf", "spin.elf exits")], screendump=True, screen_text=text,
                timeout=120, forbid=[r"PANIC"], done=stats, linger=1,
                expect=[r"vmm: starting the guest", stats],
                screen_expect=[r"vmm: starting the guest on CPU 0 at 0x[0-9a-f]+$"], screen_forbid=[r"stats:"])


def panic_after_guest(name, boot, firmware, text):
    """The guest owns the screen once started; the panic at its first hypercall draws the log again."""
    return dict(name=name, emulator="qemu", boot=boot, firmware=firmware, proto="multiboot2",
                cmdline="selftest=hcpanic panic=halt", modules=[("build/guests/spin.elf", "spin.elf exits")],
                screendump=True, screen_text=text, timeout=120, forbid=[], done=r"panic: halting",
                expect=[r"vmm: starting the guest", r"PANIC: selftest: the guest's first hypercall"],
                screen_expect=[r"vmm: starting the guest", r"PANIC: selftest: the guest's first hypercall",
                               r"panic: halting \(panic=halt\)$"])


SCREEN_CASES = [
    no_guest("screen-noguest-uefi-fb", "iso", "ovmf", "console=fb", "fb"),
    no_guest("screen-noguest-bios-fb", "iso", "bios", "console=fb", "fb"),
    no_guest("screen-noguest-kernel-vga", "kernel", "bios", "console=vga", "vga"),
    # The default console is COM1 and the screen.
    no_guest("screen-noguest-uefi-default", "iso", "ovmf", "", "fb", serial="com1"),
    no_guest("screen-noguest-kernel-default", "kernel", "bios", "", "vga", serial="com1"),
    guest_owns_screen("screen-guest-uefi-fb", "iso", "ovmf", "fb"),
    guest_owns_screen("screen-guest-kernel-vga", "kernel", "bios", "vga"),
    panic_after_guest("screen-panic-uefi-fb", "iso", "ovmf", "fb"),
    panic_after_guest("screen-panic-kernel-vga", "kernel", "bios", "vga"),
]
