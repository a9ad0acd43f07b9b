/* The reboot path (arch/x86/reboot.c) and what the NMI handlers need of it. */
#ifndef HV_X86_REBOOT_H
#define HV_X86_REBOOT_H

#include "types.h"

#define CPU_REQ_LEAVE (1U << 0) /* in percpu.requests: leave virtualization and park */

#define LEAVE_PENDING 0
#define LEAVE_DONE 1

/* Stops every CPU (each leaves SVM/VMX), then resets the machine or, with reset false, halts. */
__noreturn void reboot_machine(const char *why, bool reset);
/* True when the reboot path asked this CPU to leave; then reboot_respond() never returns. */
bool reboot_requested(void);
__noreturn void reboot_respond(void);
void reboot_set_leave_fault(bool on);
/*
 * Shared with the sleep path (vmm/sleep.c). reboot_claim: makes this CPU the one initiator of a
 * reboot or suspend (false: another CPU is one; answer it with reboot_respond()). virt_leave_all:
 * every other CPU leaves SVM/VMX from its NMI and parks, then this one; one "<who>: CPU n left"
 * line each. reboot_rearm: after a resume, every CPU may be asked again and anyone may initiate.
 */
bool reboot_claim(void);
void virt_leave_all(const char *who);
void reboot_rearm(void);

/* arch/x86/virt.c: leave whatever virtualization this CPU can have, faults eaten and counted. */
unsigned int virt_leave_cpu(void);
const char *virt_name(void);

#endif
