/* Helpers for instructions the hypervisor completes for the guest (vmm/emulate.c). */
#ifndef HV_VMM_EMULATE_H
#define HV_VMM_EMULATE_H

#include "vmm/guest_walk.h"
#include "vmm/insn_decode.h"
#include "vmm/vcpu.h"

/* The mode the guest's current instruction runs in (CR0.PE, EFER.LMA, CS.L, CS.D). */
enum cpu_mode vcpu_cpu_mode(struct vcpu *v);
/* The guest's paging state, for guest_translate() and guest_read_linear(). */
void vcpu_guest_paging(struct vcpu *v, struct guest_paging *g);
/* guest_phys_map_fn over the partition's RAM (ctx is the partition). */
const void *vcpu_guest_ram(uint64_t gpa, uint64_t len, void *ctx);
/*
 * The instruction bytes at CS:RIP through the guest's own page tables: up to 15, or up to the end
 * of RIP's page when the next page is not mapped (*avail says how many). 0 or a guest_read_linear error.
 */
int vcpu_fetch_insn(struct vcpu *v, uint8_t bytes[INSN_MAX_LEN], size_t *avail);

#endif
