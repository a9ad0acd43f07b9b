/*
 * The register values power-on and INIT give a CPU (Intel SDM vol. 3A, table 10-1; AMD APM vol. 2,
 * table 14-1), where a vCPU starts from them. One definition for both backends.
 */
#ifndef HV_X86_POWER_ON_H
#define HV_X86_POWER_ON_H

#include "x86/cpu.h"

#define RFLAGS_RESERVED (1ULL << 1) /* reads as 1: the only bit set after INIT */
#define CR0_INIT (CR0_CD | CR0_NW | CR0_ET) /* caches disabled, real mode */
#define DR6_INIT 0xFFFF0FF0ULL
#define DR7_INIT 0x400ULL
#define PAT_POWER_ON 0x0007040600070406ULL /* WB, WT, UC-, UC in each half; INIT keeps the PAT */

/* The reset vector (SDM vol. 3A, 10.1.4): CS selector F000 with base FFFF0000, IP FFF0. */
#define RESET_CS_SELECTOR 0xF000
#define RESET_CS_BASE 0xFFFF0000ULL
#define RESET_IP 0xFFF0

#endif
