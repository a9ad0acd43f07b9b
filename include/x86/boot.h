/* Addresses fixed by linker.ld and shared by the boot assembly and C. */
#ifndef HV_X86_BOOT_H
#define HV_X86_BOOT_H

#define HV_PHYS_LOAD 0x200000
#define HV_VIRT_BASE 0xFFFFFFFF80000000
#define PHYSMAP_BASE 0xFFFF800000000000 /* every physical address p is reachable at PHYSMAP_BASE + p */

#define BOOT_STACK_SIZE 0x4000

#endif
