#!/usr/bin/env python3
"""Builds the default Linux guest from Debian packages only: build/guest/vmlinuz (Debian's
linux-image-*-amd64) and build/guest/initrd.gz (busybox-static, tests/linux/init and a static
CPUID marker). Downloaded packages are cached under build/guest-cache/ and their versions printed.
"""
import gzip
import io
import os
import shutil
import stat
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CACHE = os.path.join(ROOT, "build", "guest-cache")
OUT = os.path.join(ROOT, "build", "guest")
APPLETS = ["sh", "mount", "echo", "cat", "uname", "poweroff", "reboot", "sleep", "ls", "grep", "mkdir",
           "setsid", "cttyhack", "head", "tr", "dmesg", "ps", "free", "top", "vi", "less", "insmod", "wc",
           "dd", "md5sum"]
# Kernel modules the tests load: efivarfs reads EFI variables through the firmware's runtime services;
# the AHCI driver and what it needs (Debian builds them as modules), in load order, for hvtest=disk.
MODULES = ["kernel/fs/efivarfs/efivarfs.ko"]
DISK_MODULES = ["kernel/crypto/crct10dif_common.ko", "kernel/crypto/crct10dif_generic.ko", "kernel/lib/crc-t10dif.ko",
                "kernel/lib/crc64.ko", "kernel/crypto/crc64_rocksoft_generic.ko", "kernel/lib/crc64-rocksoft.ko",
                "kernel/block/t10-pi.ko", "kernel/drivers/scsi/scsi_common.ko", "kernel/drivers/scsi/scsi_mod.ko",
                "kernel/drivers/scsi/sd_mod.ko", "kernel/drivers/ata/libata.ko", "kernel/drivers/ata/libahci.ko",
                "kernel/drivers/ata/ahci.ko"]


def run(*argv, **kw):
    return subprocess.run(argv, check=True, capture_output=True, text=True, **kw).stdout


def kernel_package():
    for line in run("apt-cache", "depends", "linux-image-amd64").splitlines():
        line = line.strip()
        if line.startswith("Depends: linux-image-"):
            return line.split()[1]
    sys.exit("mklinux: cannot find the package linux-image-amd64 depends on (run apt-get update)")


def fetch(package):
    """The cached .deb of `package`, downloaded once."""
    os.makedirs(CACHE, exist_ok=True)
    for name in sorted(os.listdir(CACHE)):
        if name.startswith(package + "_") and name.endswith(".deb"):
            return os.path.join(CACHE, name)
    try:
        run("apt-get", "download", package, cwd=CACHE)
    except subprocess.CalledProcessError as e:
        sys.exit(f"mklinux: cannot download {package} from the Debian archive: {e.stderr.strip()}\n"
                 "mklinux: run 'apt-get update' first, and check that the machine reaches the archive")
    return fetch(package)


def extract(deb):
    target = deb[:-4]
    if not os.path.isdir(target):
        run("dpkg-deb", "-x", deb, target)
    return target


class Cpio:
    """A newc cpio archive written without root: device nodes are only headers."""

    def __init__(self):
        self.out = io.BytesIO()
        self.ino = 1

    def add(self, name, mode, data=b"", rdev=(0, 0)):
        fields = [self.ino, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1], len(name) + 1, 0]
        self.out.write(b"070701" + b"".join(b"%08X" % f for f in fields) + name.encode() + b"\0")
        self._pad()
        self.out.write(data)
        self._pad()
        self.ino += 1

    def _pad(self):
        self.out.write(b"\0" * (-self.out.tell() % 4))

    def finish(self):
        self.add("TRAILER!!!", 0)
        return self.out.getvalue()


def main():
    kdeb, bdeb = fetch(kernel_package()), fetch("busybox-static")
    for deb in (kdeb, bdeb):
        print("mklinux: using", os.path.basename(deb).replace("%3a", ":"))
    kdir, bdir = extract(kdeb), extract(bdeb)
    vmlinuz = [f for f in os.listdir(os.path.join(kdir, "boot")) if f.startswith("vmlinuz-")][0]
    os.makedirs(OUT, exist_ok=True)
    shutil.copyfile(os.path.join(kdir, "boot", vmlinuz), os.path.join(OUT, "vmlinuz"))

    marker = os.path.join(CACHE, "hvmarker")
    run("gcc", "-static", "-O2", "-Wall", "-Werror", "-o", marker, os.path.join(ROOT, "tests", "linux", "hvmarker.c"))

    cpio = Cpio()
    for d in ("bin", "sbin", "dev", "proc", "sys", "etc", "tmp", "root"):
        cpio.add(d, stat.S_IFDIR | 0o755)
    cpio.add("dev/console", stat.S_IFCHR | 0o600, rdev=(5, 1))
    with open(os.path.join(bdir, "bin", "busybox"), "rb") as f:
        cpio.add("bin/busybox", stat.S_IFREG | 0o755, f.read())
    for applet in APPLETS:
        cpio.add("bin/" + applet, stat.S_IFLNK | 0o777, b"busybox")
    with open(marker, "rb") as f:
        cpio.add("bin/hvmarker", stat.S_IFREG | 0o755, f.read())
    cpio.add("lib", stat.S_IFDIR | 0o755)
    kver = vmlinuz[len("vmlinuz-"):]
    for module in MODULES + DISK_MODULES:
        with open(os.path.join(kdir, "lib", "modules", kver, module), "rb") as f:
            cpio.add("lib/" + os.path.basename(module), stat.S_IFREG | 0o644, f.read())
    # /init loads the disk modules in this order (no modprobe, no modules.dep in the initramfs).
    cpio.add("lib/disk-modules", stat.S_IFREG | 0o644,
             "".join(os.path.basename(m) + "\n" for m in DISK_MODULES).encode())
    with open(os.path.join(ROOT, "tests", "linux", "init"), "rb") as f:
        cpio.add("init", stat.S_IFREG | 0o755, f.read())
    with open(os.path.join(OUT, "initrd.gz"), "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as f:
        f.write(cpio.finish())
    print(f"mklinux: build/guest/vmlinuz ({vmlinuz}), build/guest/initrd.gz "
          f"({os.path.getsize(os.path.join(OUT, 'initrd.gz')) // 1024} KiB)")


if __name__ == "__main__":
    main()
