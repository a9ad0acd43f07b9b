# Test guests: small multiboot 1 ELF32 kernels the hypervisor runs (tests/guests/*.c).
# Included by the top Makefile; `make guests` builds $(BUILD)/guests/NAME.elf for each guest.
# The hypervisor's own lib/printf.c and lib/string.c are compiled again here for 32 bits.

GUEST_DIR   := tests/guests
GUEST_OUT   := $(BUILD)/guests
GUEST_OBJ   := $(GUEST_OUT)/obj
GUEST_NAMES := cpuid msr xsetbv hvmem io hypercall exceptions unhandled_exit initsipi irq_timer irq_ipi nmi reboot fidelity bench sleep archcheck attack spin selfcheck interleave dma msi_init taskswitch

# gcc's own headers only (-nostdinc): there is no 32-bit libc here. _LIBC_LIMITS_H_ keeps gcc's
# <limits.h> from looking for the libc one.
GUEST_CFLAGS := -m32 -std=gnu11 -ffreestanding -fno-pic -fno-pie -nostdlib -fno-stack-protector \
                -fno-builtin -mgeneral-regs-only -fno-asynchronous-unwind-tables -fno-strict-aliasing \
                -O2 -g -Wall -Wextra -Werror -Wmissing-prototypes -Wstrict-prototypes -Wshadow \
                -nostdinc -isystem $(shell $(CC) -print-file-name=include) -D_LIBC_LIMITS_H_ \
                -I$(GUEST_DIR)/lib -Iinclude -MMD -MP
GUEST_LDFLAGS := -m elf_i386 -nostdlib -z max-page-size=0x1000 -z noexecstack --no-warn-rwx-segments \
                 -T $(GUEST_DIR)/linker.ld

GUEST_LIB_OBJS := $(patsubst $(GUEST_DIR)/lib/%.c,$(GUEST_OBJ)/lib/%.o,$(wildcard $(GUEST_DIR)/lib/*.c)) \
                  $(patsubst $(GUEST_DIR)/lib/%.S,$(GUEST_OBJ)/lib/%.o,$(wildcard $(GUEST_DIR)/lib/*.S)) \
                  $(GUEST_OBJ)/hvlib/printf.o $(GUEST_OBJ)/hvlib/string.o
GUEST_ELFS := $(patsubst %,$(GUEST_OUT)/%.elf,$(GUEST_NAMES))
# Reached only through pattern rules: keep them so a rebuild does not start over.
.SECONDARY: $(patsubst %,$(GUEST_OBJ)/%.o,$(GUEST_NAMES)) $(GUEST_LIB_OBJS)

.PHONY: guests
guests: $(GUEST_ELFS)

$(GUEST_OBJ)/%.o: $(GUEST_DIR)/%.c $(GUEST_DIR)/guests.mk
	@mkdir -p $(dir $@)
	@echo "  CC32    $<"
	@$(CC) $(GUEST_CFLAGS) -c $< -o $@

$(GUEST_OBJ)/%.o: $(GUEST_DIR)/%.S $(GUEST_DIR)/guests.mk
	@mkdir -p $(dir $@)
	@echo "  AS32    $<"
	@$(CC) $(GUEST_CFLAGS) -c $< -o $@

$(GUEST_OBJ)/hvlib/%.o: lib/%.c $(GUEST_DIR)/guests.mk
	@mkdir -p $(dir $@)
	@echo "  CC32    $<"
	@$(CC) $(GUEST_CFLAGS) -c $< -o $@

$(GUEST_OUT)/%.elf: $(GUEST_OBJ)/%.o $(GUEST_LIB_OBJS) $(GUEST_DIR)/linker.ld
	@echo "  LD32    $@"
	@$(LD) $(GUEST_LDFLAGS) $(filter %.o,$^) -o $@

# A guest's own extra objects (its assembly), linked after its main object.
$(GUEST_OUT)/fidelity.elf: $(GUEST_OBJ)/fidelity_msr.o $(GUEST_OBJ)/fidelity_realmode.o $(GUEST_OBJ)/fidelity_realmode16.o
.SECONDARY: $(GUEST_OBJ)/fidelity_msr.o $(GUEST_OBJ)/fidelity_realmode.o $(GUEST_OBJ)/fidelity_realmode16.o
$(GUEST_OUT)/sleep.elf: $(GUEST_OBJ)/sleep_wake16.o
.SECONDARY: $(GUEST_OBJ)/sleep_wake16.o
$(GUEST_OUT)/attack.elf: $(GUEST_OBJ)/attack_resume16.o
$(GUEST_OUT)/msi_init.elf: $(GUEST_OBJ)/attack_resume16.o
.SECONDARY: $(GUEST_OBJ)/attack_resume16.o
ARCHCHECK_PARTS := $(patsubst %,$(GUEST_OBJ)/archcheck_%.o,ring3 cpu step io)
$(GUEST_OUT)/archcheck.elf: $(ARCHCHECK_PARTS)
.SECONDARY: $(ARCHCHECK_PARTS)
