#!/bin/sh
# Builds a GRUB rescue ISO that boots under BIOS and UEFI with the hypervisor and its modules.
# usage: mkiso.sh OUT.iso HV.ELF multiboot|multiboot2 "HV CMDLINE" [MODULE_FILE "MODULE STRING"]...
set -eu
out=$1 hv=$2 proto=$3 cmdline=$4
shift 4
case $proto in
multiboot) module_cmd=module ;;
multiboot2) module_cmd=module2 ;;
*) echo "mkiso.sh: protocol must be multiboot or multiboot2, not '$proto'" >&2; exit 2 ;;
esac
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/boot/grub"
cp "$hv" "$root/boot/hv.elf"
modules=""
n=0
while [ $# -ge 2 ]; do
	n=$((n + 1))
	cp "$1" "$root/boot/module$n"
	modules="$modules
	$module_cmd /boot/module$n $2"
	shift 2
done
cat > "$root/boot/grub/grub.cfg" <<CFG
set timeout=0
set default=0
# The video drivers (GOP and UGA under UEFI, VBE under BIOS): the hypervisor's multiboot2 header
# asks for a framebuffer, which it hands on to the guest.
insmod all_video
serial --unit=0 --speed=115200
terminal_input serial console
terminal_output serial console
menuentry "hv" {
	$proto /boot/hv.elf $cmdline$modules
	boot
}
CFG
grub-mkrescue -o "$out" "$root" >/dev/null 2>&1 || {
	echo "mkiso.sh: grub-mkrescue failed; it needs grub-pc-bin, grub-efi-amd64-bin, xorriso and mtools" >&2
	exit 1
}
