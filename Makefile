# Build the hypervisor image (build/hv.elf), its GRUB ISO, and run the tests.
# Run `make help` for the targets.

BUILD      := build
CC         := gcc
LD         := ld
NASM       := nasm
HOSTCC     := gcc
PYTHON     := python3

VERSION    := $(shell git describe --always --dirty --tags 2>/dev/null || echo unknown)

# Freestanding, no SSE/AVX (the guest's extended state stays loaded across exits), kernel code
# model because the image is linked in the top 2 GiB of the address space.
CFLAGS := -std=gnu11 -ffreestanding -fno-pic -fno-pie -mcmodel=kernel -mno-red-zone \
          -mgeneral-regs-only -fno-stack-protector -fno-omit-frame-pointer -fno-builtin \
          -fno-strict-aliasing -fno-asynchronous-unwind-tables -O2 -g \
          -Wall -Wextra -Werror -Wmissing-prototypes -Wstrict-prototypes -Wshadow -Wundef \
          -Wno-unused-parameter -Iinclude -DHV_VERSION='"$(VERSION)"' -MMD -MP
LDFLAGS := -nostdlib -z max-page-size=0x1000 -z noexecstack --no-warn-rwx-segments -T linker.ld
NASMFLAGS := -f elf64 -g -Iinclude/ -I$(BUILD)/include/

SRC_DIRS := boot arch/x86 arch/x86/svm arch/x86/vmx vmm drivers lib
C_SRCS   := $(filter-out arch/x86/asm_offsets.c,$(foreach d,$(SRC_DIRS),$(wildcard $(d)/*.c)))
ASM_SRCS := $(foreach d,$(SRC_DIRS),$(wildcard $(d)/*.asm))
OBJS     := $(patsubst %.c,$(BUILD)/obj/%.o,$(C_SRCS)) $(patsubst %.asm,$(BUILD)/obj/%.o,$(ASM_SRCS)) \
            $(BUILD)/obj/gen/font8x16.o
# The screen's 8x16 font, generated from GRUB's Unifont (package grub-common) by scripts/mkfont.py.
FONT_PF2 ?= /usr/share/grub/unicode.pf2

.PHONY: all iso run debug test test-slow unit boot-tests guest bench clean help
all: $(BUILD)/hv.elf

help:
	@echo "make            build build/hv.elf"
	@echo "make iso        build/hv.iso: GRUB (BIOS and UEFI), multiboot2, serial console"
	@echo "make run        boot the ISO in QEMU (SVM, TCG) with the serial console here; HV_CMDLINE=... adds options"
	@echo "make debug      as make run, stopped at the first instruction for gdb (prints the gdb command line)"
	@echo "make test       unit tests, then every boot case (tests/boot/cases.py)"
	@echo "make unit       host unit tests only;  make boot-tests  boot cases only (K=substring filters)"
	@echo "make guest      build/guest/vmlinuz + initrd.gz: Debian's kernel and a busybox initramfs"
	@echo "make test-slow  the slow cases: Linux on Bochs (VMX and SVM, SMP, hotplug, reboot)"
	@echo "make bench      instructions per exit round trip (QEMU icount, Bochs SVM and VMX), Linux exits by reason"

$(BUILD)/obj/%.o: %.c Makefile
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/gen/font8x16.c: scripts/mkfont.py $(FONT_PF2)
	@mkdir -p $(dir $@)
	@echo "  GEN     $@"
	@$(PYTHON) scripts/mkfont.py $(FONT_PF2) $@.tmp && mv $@.tmp $@

$(BUILD)/obj/gen/font8x16.o: $(BUILD)/gen/font8x16.c Makefile
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) -c $< -o $@

# Offsets of C structures for the assembly files, generated from asm_offsets.c.
$(BUILD)/include/asm_offsets.inc: arch/x86/asm_offsets.c Makefile
	@mkdir -p $(dir $@)
	@echo "  GEN     $@"
	@$(CC) $(CFLAGS) -MF $(BUILD)/include/asm_offsets.d -MT $@ -S $< -o - | \
		sed -n 's/^->\([A-Z0-9_]*\) \$$\{0,1\}\(-\{0,1\}[0-9]*\).*/%define \1 \2/p' > $@.tmp
	@mv $@.tmp $@

$(BUILD)/obj/%.o: %.asm Makefile $(BUILD)/include/asm_offsets.inc
	@mkdir -p $(dir $@)
	@echo "  NASM    $<"
	@$(NASM) $(NASMFLAGS) -MD $(@:.o=.d) -MP $< -o $@

$(BUILD)/hv.elf: $(OBJS) linker.ld
	@echo "  LD      $@"
	@$(LD) $(LDFLAGS) $(OBJS) -o $@

# ---- host unit tests: each tests/unit/test_X.c includes the sources it tests ----
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/unit/%,$(UNIT_SRCS))
UNIT_CFLAGS := -std=gnu11 -g -O1 -Wall -Wextra -Werror -Wshadow -Wno-unused-function \
               -Iinclude -Itests/unit -DHOST_TEST -fsanitize=address,undefined -MMD -MP

$(BUILD)/unit/%: tests/unit/%.c Makefile
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $<"
	@$(HOSTCC) $(UNIT_CFLAGS) $< -o $@ -lcmocka

# Runs every test binary, then prints the totals over all of them (cmocka counts per binary).
unit: $(UNIT_BINS)
	@fail=0; run=0; bad=0; for t in $(UNIT_BINS); do \
		out=$$($$t 2>&1) || fail=1; printf '%s\n' "$$out"; \
		n=$$(printf '%s\n' "$$out" | sed -n 's/^\[==========\] \([0-9]*\) test(s) run\./\1/p'); \
		f=$$(printf '%s\n' "$$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test(s), listed below:/\1/p'); \
		run=$$((run + $${n:-0})); bad=$$((bad + $${f:-0})); \
	done; \
	echo "unit: $$run tests in $(words $(UNIT_BINS)) files, $$bad failed"; exit $$fail

# The default guest: Debian's Linux with a busybox initramfs that gives a shell on the serial
# console. GUEST=build/guests/NAME.elf boots a multiboot test guest instead.
HV_CMDLINE ?=
# Linux gets every CPU: its INIT-SIPI reaches each AP's vCPU (vmm/initsipi.c).
LINUX_CMDLINE ?= console=ttyS0
GUEST ?=
GUEST_IMAGE = $(BUILD)/guest/vmlinuz $(BUILD)/guest/initrd.gz
ifeq ($(GUEST),)
ISO_MODULES = $(BUILD)/guest/vmlinuz "$(LINUX_CMDLINE)" $(BUILD)/guest/initrd.gz initrd
ISO_DEPS = guest
else
ISO_MODULES = $(GUEST) "$(notdir $(GUEST))"
ISO_DEPS = guests
endif

$(GUEST_IMAGE): scripts/mklinux.py tests/linux/init tests/linux/hvmarker.c
	@echo "  GUEST   $(GUEST_IMAGE)"
	@$(PYTHON) scripts/mklinux.py

guest: $(GUEST_IMAGE)

$(BUILD)/hv.iso: $(BUILD)/hv.elf scripts/mkiso.sh $(ISO_DEPS)
	@echo "  ISO     $@"
	@scripts/mkiso.sh $@ $(BUILD)/hv.elf multiboot2 "$(HV_CMDLINE)" $(ISO_MODULES)

iso:
	@scripts/deps.sh run
	@$(MAKE) --no-print-directory $(BUILD)/hv.iso

# A test guest ends QEMU through isa-debug-exit ((status << 1) | 1: 1 means it passed); Linux
# ends it with 'poweroff -f'.
run: iso
	qemu-system-x86_64 -accel tcg,thread=multi -cpu max -smp 2 -m 1024 \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		-serial stdio -display none -monitor none -no-reboot -cdrom $(BUILD)/hv.iso; \
		status=$$?; [ $$status -eq 1 ] || [ $$status -eq 0 ] || echo "qemu exited with $$status"

# As `make run`, but QEMU waits for gdb before the first instruction (-S) on GDB_PORT. The gdb line
# it prints loads the hypervisor's symbols and scripts/hv.gdb (hv-cpu, hv-vcpu, hv-stats).
GDB_PORT ?= 1234
DEBUG_SERIAL ?= stdio
debug: iso
	@echo "debug: QEMU is stopped at the reset vector, waiting for gdb on port $(GDB_PORT). In another terminal:"
	@echo "debug:   gdb $(abspath $(BUILD)/hv.elf) -x $(abspath scripts/hv.gdb) -ex 'target remote :$(GDB_PORT)'"
	@echo "debug: then e.g. 'hbreak vcpu_run_loop', 'continue', 'hv-cpu', 'hv-vcpu', 'hv-stats'"
	qemu-system-x86_64 -accel tcg,thread=multi -cpu max -smp 2 -m 1024 \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		-serial $(DEBUG_SERIAL) -display none -monitor none -no-reboot -cdrom $(BUILD)/hv.iso \
		-gdb tcp::$(GDB_PORT) -S; \
		status=$$?; [ $$status -eq 1 ] || [ $$status -eq 0 ] || echo "qemu exited with $$status"

# Test guests (tests/guests/guests.mk defines `guests`).
-include tests/guests/guests.mk

test:
	@scripts/deps.sh test
	@$(MAKE) --no-print-directory all guests guest $(UNIT_BINS)
	@$(PYTHON) tests/run.py

test-slow:
	@scripts/deps.sh test
	@$(MAKE) --no-print-directory all guest
	@$(PYTHON) tests/run.py --boot-only --slow

# Instructions per exit round trip and the Linux guest's exits by reason: build/bench.json and
# build/bench.md (scripts/bench.py); exits 0 whatever the figures.
bench: all guests guest
	@$(PYTHON) scripts/bench.py

boot-tests: all guests guest
	@$(PYTHON) tests/run.py --boot-only -k "$(K)"

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD)/obj $(BUILD)/unit $(BUILD)/include -name '*.d' -type f 2>/dev/null)
