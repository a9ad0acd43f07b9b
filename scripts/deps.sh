#!/bin/sh
# Makes sure the Debian packages a target needs are installed: installs them when running as root
# with apt-get, otherwise stops with the exact command to run.
# usage: deps.sh build|run|test
set -eu
build="gcc make nasm binutils python3 grub-common"  # grub-common: unicode.pf2, the screen font
guest="libc6-dev python3"  # make guest: a static marker program, the initramfs writer
iso="grub-common grub-pc-bin grub-efi-amd64-bin xorriso mtools"
case ${1:-build} in
build) pkgs="$build" ;;
run) pkgs="$build $iso $guest qemu-system-x86" ;;
test) pkgs="$build $iso $guest qemu-system-x86 ovmf bochs bochsbios vgabios bochs-term libcmocka-dev gdb" ;;
*) echo "deps.sh: unknown set '$1'" >&2; exit 2 ;;
esac
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
	echo "deps: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >/dev/null
	apt-get install -y -q --no-install-recommends $missing >/dev/null
	exit 0
fi
echo "deps: missing packages; run: sudo apt-get install -y$missing" >&2
exit 1
