#!/usr/bin/env python3
"""Test runner: host unit tests, then boot cases under QEMU and Bochs.

Every case prints one result line; the run ends with `N passed, N failed, N skipped`.
Serial logs and emulator logs stay under build/tests/<case>/ so a failure can be read afterwards.

usage: tests/run.py [--unit-only | --boot-only] [-k SUBSTRING] [-j JOBS]
"""
import argparse
import concurrent.futures
import glob
import os
import re
import shutil
import signal
import subprocess
import socket
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, "build")
sys.path.insert(0, os.path.join(ROOT, "tests", "boot"))
import cases as boot_cases  # noqa: E402
import emulators  # noqa: E402
import screen  # noqa: E402


class Result:
    def __init__(self, name, status, detail="", seconds=0.0):
        self.name, self.status, self.detail, self.seconds = name, status, detail, seconds

    def line(self):
        text = f"{self.status} {self.name}"
        if self.seconds:
            text += f" ({self.seconds:.1f}s)"
        if self.detail:
            text += f": {self.detail}"
        return text


def run_unit_tests():
    """Each cmocka test function is one case; cmocka reports in TAP form."""
    results = []
    env = dict(os.environ, CMOCKA_MESSAGE_OUTPUT="TAP")
    for binary in sorted(glob.glob(os.path.join(BUILD, "unit", "test_*"))):
        if binary.endswith(".d") or not os.access(binary, os.X_OK):
            continue
        suite = os.path.basename(binary)
        start = time.time()
        proc = subprocess.run([binary], capture_output=True, text=True, env=env, timeout=300)
        seen = 0
        for line in proc.stdout.splitlines():
            m = re.match(r"^(not ok|ok) \d+ - (.*)$", line)
            if m:
                seen += 1
                status = "PASS" if m.group(1) == "ok" else "FAIL"
                results.append(Result(f"unit/{suite}/{m.group(2)}", status))
        if proc.returncode != 0 and not any(r.status == "FAIL" for r in results[-seen:] if seen):
            tail = (proc.stdout + proc.stderr).strip().splitlines()[-5:]
            results.append(Result(f"unit/{suite}", "FAIL", f"exit {proc.returncode}: {' | '.join(tail)}",
                                  time.time() - start))
        elif seen == 0:
            results.append(Result(f"unit/{suite}", "FAIL", "no test results in the output"))
    return results


def check_log(case, log):
    """Returns None when the log satisfies the case, else why not."""
    for pattern in case.get("expect", []):
        if not re.search(pattern, log, re.M):
            return f"missing /{pattern}/"
    # ("sequence": [regex, ...], "times": n): the regexes in that order, n times over. Checked by
    # one scan from each match to the next, so a failing log costs no regex backtracking.
    seq = case.get("expect_sequence")
    if seq:
        pos = 0
        for rep in range(seq["times"]):
            for pattern in seq["sequence"]:
                m = re.compile(pattern, re.M).search(log, pos)
                if not m:
                    return f"missing /{pattern}/ in round {rep + 1} of {seq['times']}"
                pos = m.end()
    for pattern in case.get("forbid", []) + boot_cases.ALWAYS_FORBIDDEN:
        m = re.search(pattern, log, re.M)
        if m:
            return f"found forbidden /{pattern}/: {m.group(0)!r}"
    return None


class KeyFeeder:
    """A case's `keys` [(regex, bytes)]: the UART that takes them (COM2, or COM1 with
    keys_uart="com1") is a socket; everything read from it goes to the case's log, and each key is typed once its regex matches the log after where the
    previous key's regex matched, so each key waits for the answer to the one before."""

    def __init__(self, case, workdir, log_path, deadline):
        self.keys = list(case["keys"])
        self.pos = 0
        self.sock = None
        family, address = emulators.keys_address(case, workdir)
        while self.sock is None and time.time() < deadline:
            s = socket.socket(family, socket.SOCK_STREAM)
            try:
                s.connect(address)
                self.sock = s
            except OSError:
                s.close()
                time.sleep(0.2)
        if self.sock is None:
            raise emulators.PrepareError(f"cannot connect to the keys' UART at {address}")
        self.log = open(log_path, "wb")
        self.thread = threading.Thread(target=self.read, daemon=True)
        self.thread.start()

    def read(self):
        while True:
            try:
                data = self.sock.recv(4096)
            except OSError:
                return
            if not data:
                return
            self.log.write(data)
            self.log.flush()

    def feed(self, log):
        while self.keys:
            m = re.compile(self.keys[0][0], re.M).search(log, self.pos)
            if not m:
                return
            self.pos = m.end()
            try:
                self.sock.sendall(self.keys.pop(0)[1])
            except OSError:
                return

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
        self.thread.join(timeout=2)
        self.log.close()


def run_gdb_case(case):
    """`make debug` as a user runs it (QEMU stopped for gdb, on a free port), then `gdb -batch` with
    the command line it printed and case["gdb"] commands; the output must match case["expect"]."""
    name = case["name"]
    workdir = os.path.join(BUILD, "tests", name)
    shutil.rmtree(workdir, ignore_errors=True)
    os.makedirs(workdir)
    if not shutil.which("gdb") or not shutil.which("qemu-system-x86_64"):
        return Result(name, "SKIP", "needs gdb and qemu-system-x86_64")
    start = time.time()
    port = emulators.free_tcp_port()
    try:
        os.remove(os.path.join(BUILD, "hv.iso"))  # built again for this GUEST (the ISO rule cannot tell)
    except FileNotFoundError:
        pass
    make_out = os.path.join(workdir, "make.out")
    serial = os.path.join(workdir, "serial.log")
    with open(make_out, "w") as out:
        proc = subprocess.Popen(["make", "-s", "--no-print-directory", "debug", f"GUEST={case['guest']}",
                                 f"GDB_PORT={port}", f"DEBUG_SERIAL=file:{serial}"],
                                cwd=ROOT, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    LIVE.add(proc)
    problem, gdb_cmd = None, None
    try:
        while gdb_cmd is None and time.time() - start < 120 and proc.poll() is None:
            m = re.search(r"^debug:   (gdb .*)$", read_text(make_out), re.M)
            if m:
                gdb_cmd = m.group(1)
            time.sleep(0.2)
        if gdb_cmd is None:
            problem = "make debug printed no gdb command line"
        else:
            import shlex
            argv = shlex.split(gdb_cmd) + ["-batch"]
            for c in case["gdb"]:
                argv += ["-ex", c]
            time.sleep(1)  # QEMU opens its gdb port after make printed the line
            with open(os.path.join(workdir, "gdb.command"), "w") as f:
                f.write(" ".join(shlex.quote(a) for a in argv) + "\n")
            g = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=case.get("timeout", 120))
            out = g.stdout + g.stderr
            with open(os.path.join(workdir, "gdb.out"), "w") as f:
                f.write(out)
            for pattern in case["expect"]:
                if not re.search(pattern, out, re.M):
                    problem = f"missing /{pattern}/ in gdb.out"
                    break
    except subprocess.TimeoutExpired:
        problem = "gdb timed out"
    finally:
        emulators.stop(proc)
        LIVE.discard(proc)
    seconds = time.time() - start
    if problem:
        return Result(name, "FAIL", f"{problem} ({os.path.relpath(workdir, ROOT)})", seconds)
    return Result(name, "PASS", "", seconds)


def run_boot_case(case):
    if case.get("kind") == "gdb":
        return run_gdb_case(case)
    name = case["name"]
    workdir = os.path.join(BUILD, "tests", name)
    shutil.rmtree(workdir, ignore_errors=True)
    os.makedirs(workdir)
    missing = emulators.missing_tools(case)
    if missing:
        return Result(name, "SKIP", f"needs {missing}")
    # An emulator gap that no hypervisor setting can close (named in the case): HV_KNOWN_GAPS=1
    # runs it anyway, to show the gap.
    if case.get("known_gap") and os.environ.get("HV_KNOWN_GAPS") != "1":
        return Result(name, "SKIP", f"emulator gap: {case['known_gap']}")
    start = time.time()
    try:
        argv, env, serial_log = emulators.prepare(case, workdir)
    except emulators.PrepareError as e:
        return Result(name, "FAIL", f"setup: {e}")
    timeout = case.get("timeout", 60)
    done = re.compile(case.get("done", boot_cases.DEFAULT_DONE), re.M)
    done_count = case.get("done_count", 1)  # e.g. 2: the banner again after a real reset
    with open(os.path.join(workdir, "emulator.out"), "w") as out:
        proc = subprocess.Popen(argv, cwd=workdir, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
        LIVE.add(proc)
        reason = None
        feeder = None
        watch = screen.ScreenWatch(case, workdir) if case.get("screen_done") else None
        if case.get("keys"):
            try:
                feeder = KeyFeeder(case, workdir, serial_log, time.time() + 30)
            except emulators.PrepareError as e:
                reason = f"setup: {e}"
        while reason is None:
            log = read_text(serial_log)
            if feeder:
                feeder.feed(log)
            if watch.done() if watch else sum(1 for _ in done.finditer(log)) >= done_count:
                reason = "done"
                break
            if proc.poll() is not None:
                reason = f"emulator exited ({proc.returncode})"
                break
            if time.time() - start > timeout:
                reason = "timeout"
                break
            time.sleep(0.2)
        screen_problem = None
        if case.get("screendump") and reason == "done":
            screen_problem = screen.check_case(case, workdir)
        if proc.poll() is None:
            # Give the hypervisor a moment to finish the lines after the marker, then stop the emulator.
            time.sleep(case.get("linger", 0.5))
            emulators.stop(proc)
        LIVE.discard(proc)
        if feeder:
            feeder.close()
    log = read_text(serial_log)
    seconds = time.time() - start
    problem = check_log(case, log)
    for fname, patterns in case.get("expect_files", {}).items():  # e.g. {"bochs.log": [regex]}
        text = read_text(os.path.join(workdir, fname))
        missing = [p for p in patterns if not re.search(p, text, re.M)]
        if missing and not problem:
            problem = f"missing /{missing[0]}/ in {fname}"
    if case.get("screendump") and not problem:
        problem = screen_problem if reason == "done" else f"no screendump: {reason}"
    # expect_timeout: the case proves something does NOT happen (its done regex must never match).
    if reason == "timeout" and not problem and not case.get("expect_timeout"):
        problem = f"timed out after {timeout}s waiting for /{done.pattern}/"
    if problem is None and "exit_code" in case and reason.startswith("emulator exited"):
        if proc.returncode != case["exit_code"]:
            problem = f"emulator exit code {proc.returncode}, expected {case['exit_code']}"
    if problem:
        return Result(name, "FAIL", f"{problem} (serial log: {os.path.relpath(serial_log, ROOT)})", seconds)
    return Result(name, "PASS", "", seconds)


def read_text(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace").replace("\r", "")
    except FileNotFoundError:
        return ""


# Emulators still running: each is in a session of its own, so a runner stopped by a signal
# (`timeout`, Ctrl-C) must stop them itself, or they run on for good.
LIVE = set()


def stop_emulators(signum, frame):
    for proc in list(LIVE):
        emulators.stop(proc)
    os._exit(128 + signum)  # not sys.exit: the pool would go on starting the queued cases


def main():
    signal.signal(signal.SIGTERM, stop_emulators)
    signal.signal(signal.SIGINT, stop_emulators)
    ap = argparse.ArgumentParser()
    ap.add_argument("--unit-only", action="store_true")
    ap.add_argument("--boot-only", action="store_true")
    ap.add_argument("-k", dest="filter", default="")
    ap.add_argument("-j", dest="jobs", type=int, default=2)
    ap.add_argument("--slow", action="store_true", help="the slow cases only (Linux on Bochs)")
    args = ap.parse_args()

    results = []
    if not args.boot_only:
        for r in run_unit_tests():
            if args.filter in r.name:
                print(r.line(), flush=True)
                results.append(r)
    if not args.unit_only:
        pool_cases = boot_cases.SLOW_CASES if args.slow else boot_cases.CASES
        selected = [c for c in pool_cases if args.filter in c["name"]]
        with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
            for r in pool.map(run_boot_case, selected):
                print(r.line(), flush=True)
                results.append(r)
    passed = sum(r.status == "PASS" for r in results)
    failed = sum(r.status == "FAIL" for r in results)
    skipped = sum(r.status == "SKIP" for r in results)
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
