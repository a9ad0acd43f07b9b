"""How each boot case is started: QEMU (-kernel or a GRUB ISO under BIOS or OVMF) and Bochs."""
import os
import shutil
import signal
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HV_ELF = os.path.join(ROOT, "build", "hv.elf")
OVMF = "/usr/share/OVMF/OVMF_CODE.fd"
BOCHS_BIOS = "/usr/share/bochs/BIOS-bochs-latest"
BOCHS_VGA = "/usr/share/vgabios/vgabios.bin"


class PrepareError(Exception):
    pass


def missing_tools(case):
    need = ["qemu-system-x86_64"] if case["emulator"] == "qemu" else ["bochs"]
    if case.get("boot") == "iso":
        need += ["grub-mkrescue", "xorriso", "mformat"]
    missing = [t for t in need if not shutil.which(t)]
    if case.get("firmware") == "ovmf" and not os.path.exists(OVMF):
        missing.append(OVMF)
    return ", ".join(missing)


def build_iso(case, workdir):
    iso = os.path.join(workdir, "hv.iso")
    argv = [os.path.join(ROOT, "scripts", "mkiso.sh"), iso, HV_ELF, case.get("proto", "multiboot2"),
            case.get("cmdline", "")]
    for path, string in case.get("modules", []):
        argv += [os.path.join(ROOT, path), string]
    proc = subprocess.run(argv, capture_output=True, text=True)
    if proc.returncode:
        raise PrepareError(proc.stderr.strip() or "mkiso.sh failed")
    return iso


def qemu_argv(case, workdir, serial_log):
    # -icount (the TSC counts instructions) needs single-threaded TCG.
    accel = "tcg" if case.get("icount") else "tcg,thread=multi"
    argv = ["qemu-system-x86_64", "-accel", accel, "-cpu", case.get("cpu", "max"),
            "-smp", str(case.get("smp", 1)), "-m", str(case.get("mem", 512)),
            "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
            "-serial", f"file:{com1_log(case, workdir, serial_log)}", "-display", "none", "-monitor", "none", "-no-reboot",
            "-d", "int,cpu_reset,guest_errors", "-D", os.path.join(workdir, "qemu.log")]
    if case.get("qemu_log", False) is False:
        argv = argv[:-4]  # exception logging is slow; enable per case when debugging
    if case.get("no_reboot", True) is False:
        argv.remove("-no-reboot")  # a reset really resets the machine (the runner stops it)
    if case.get("screendump"):
        argv[argv.index("-monitor") + 1] = f"unix:{monitor_socket(workdir)},server,nowait"
    if case.get("serial") == "none":  # no UART at all: the screen is the only console
        argv[argv.index("-serial") + 1] = "none"
    if keys_uart(case) == "com1":
        # COM1 shared by guest and hypervisor takes the keys: the socket is COM1.
        argv[argv.index("-serial") + 1] = f"unix:{keys_socket(workdir)},server=on,wait=on"
    elif case.get("keys"):
        # COM2 is the hypervisor's console and its keyboard: a socket the runner connects to
        # (QEMU waits for it before the machine starts, so no line is lost).
        argv += ["-serial", f"unix:{keys_socket(workdir)},server=on,wait=on"]
    elif case.get("com2"):
        argv += ["-serial", f"file:{os.path.join(workdir, 'com2.log')}"]
    if case.get("icount"):
        argv += ["-icount", case["icount"]]
    if case["boot"] == "kernel":
        # kernel_image: a multiboot guest booted bare, without the hypervisor (a baseline).
        argv += ["-kernel", os.path.join(ROOT, case.get("kernel_image", HV_ELF)), "-append", case.get("cmdline", "")]
        if case.get("modules"):
            argv += ["-initrd", ",".join(f"{os.path.join(ROOT, p)} {s}".strip() for p, s in case["modules"])]
    else:
        if case.get("firmware") == "ovmf":
            argv += ["-bios", OVMF]
        argv += ["-cdrom", build_iso(case, workdir), "-boot", "d"]
    return argv + case.get("qemu_extra", [])


def keys_uart(case):
    """Where a case types its keys: "com2" (the hypervisor's own UART, the default), "com1" (shared
    with the guest: keys_uart="com1"), or None (no keys)."""
    return case.get("keys_uart", "com2") if case.get("keys") else None


def com1_log(case, workdir, serial_log):
    """Keys on COM2: the hypervisor's log (serial_log) is COM2's; the guest's COM1 goes to guest.log.
    Keys on COM1: the runner writes what it reads from the socket to serial_log."""
    return os.path.join(workdir, "guest.log") if keys_uart(case) == "com2" else serial_log


def keys_socket(workdir):
    return os.path.join(workdir, "keys.sock")


def free_tcp_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def keys_address(case, workdir):
    """Where the runner connects to type keys: (AF_UNIX, path) for QEMU, (AF_INET, (host, port)) for Bochs."""
    import socket
    if case["emulator"] == "qemu":
        return socket.AF_UNIX, keys_socket(workdir)
    with open(os.path.join(workdir, "keys.port")) as f:
        return socket.AF_INET, ("127.0.0.1", int(f.read()))


def monitor_socket(workdir):
    return os.path.join(workdir, "monitor.sock")


def screendump(workdir):
    """The screen of a running QEMU as a PPM file through its monitor socket; None if it fails."""
    import socket
    import time
    ppm = os.path.join(workdir, "screen.ppm")
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(10)
            s.connect(monitor_socket(workdir))
            s.sendall(f"screendump {ppm}\n".encode())
            deadline = time.time() + 10
            while time.time() < deadline and not os.path.exists(ppm):
                time.sleep(0.2)
            time.sleep(0.5)  # the file is written whole before QEMU answers; give it the moment
    except OSError:
        return None
    return ppm if os.path.exists(ppm) else None


def monitor_command(workdir, command):
    """What the QEMU monitor answers to one command (its echo and prompts included)."""
    import socket
    import time
    out = b""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(10)
        s.connect(monitor_socket(workdir))
        s.sendall(f"{command}\n".encode())
        deadline = time.time() + 10
        while time.time() < deadline and out.count(b"(qemu)") < 2:  # the greeting's prompt, then the answer's
            try:
                out += s.recv(65536)
            except socket.timeout:
                break
    return out.decode("utf-8", "replace")


def bochs_argv(case, workdir, serial_log):
    # No VBE: the terminal display cannot show a graphics mode (Bochs stops with a panic), so
    # GRUB finds none to set for the framebuffer the hypervisor asks for, and stays in text mode.
    iso = build_iso(case, workdir)
    rc = os.path.join(workdir, "bochsrc")
    with open(rc, "w") as f:
        f.write(f"""megs: {case.get('mem', 512)}
romimage: file={BOCHS_BIOS}
vgaromimage: file={BOCHS_VGA}
cpu: model={case['cpu_model']}, count={case.get('smp', 1)}, ips=10000000, reset_on_triple_fault=0, ignore_bad_msrs={1 if case.get('bochs_ignore_bad_msrs') else 0}
ata0-master: type=cdrom, path={iso}, status=inserted
boot: cdrom
{bochs_serial(case, workdir, serial_log)}clock: sync=none, time0=1
display_library: term
vga: extension=none
log: {os.path.join(workdir, 'bochs.log')}
panic: action=fatal
error: action=report
port_e9_hack: enabled=1
""")
    with open(os.path.join(workdir, "cont.dbg"), "w") as f:
        f.write("c\n")
    return ["bochs", "-q", "-f", rc, "-rc", os.path.join(workdir, "cont.dbg")]


def bochs_serial(case, workdir, serial_log):
    """COM1 a file, or for keys the UART that takes them a TCP server Bochs opens (and waits on) at
    start; the runner connects."""
    uart = keys_uart(case)
    lines = {"com1": f"com1: enabled=1, mode=file, dev={com1_log(case, workdir, serial_log)}\n"}
    if uart:
        port = free_tcp_port()
        with open(os.path.join(workdir, "keys.port"), "w") as f:
            f.write(str(port))
        lines[uart] = f"{uart}: enabled=1, mode=socket-server, dev=127.0.0.1:{port}\n"
    return "".join(lines.values())


def prepare(case, workdir):
    serial_log = os.path.join(workdir, "com2.log" if keys_uart(case) == "com2" else case.get("log", "serial.log"))
    env = dict(os.environ)
    if case["emulator"] == "qemu":
        argv = qemu_argv(case, workdir, serial_log)
    else:
        argv = bochs_argv(case, workdir, serial_log)
        env["TERM"] = "dumb"
    with open(os.path.join(workdir, "command"), "w") as f:
        f.write(" ".join(f"'{a}'" if " " in a or not a else a for a in argv) + "\n")
    return argv, env, serial_log


def stop(proc):
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=5)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
