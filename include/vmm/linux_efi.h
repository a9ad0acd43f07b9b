/*
 * The EFI half of the Linux boot protocol (Documentation/arch/x86/zero-page.rst, efi_info at
 * 0x1C0): the guest's EFI memory map and boot_params.efi_info. Pure functions over byte buffers,
 * like vmm/linux_boot.c; vmm/guest_linux.c places and copies the result.
 *
 * The guest gets the firmware's EFI memory map (UEFI 2.x, 7.2 GetMemoryMap) with every range the
 * hypervisor keeps turned into EfiReservedMemoryType, so the EFI map and the e820 map agree on what
 * the guest may use. The runtime regions stay as the firmware described them: the nested tables
 * map them 1:1 and Linux calls SetVirtualAddressMap itself.
 */
#ifndef HV_VMM_LINUX_EFI_H
#define HV_VMM_LINUX_EFI_H

#include "lib/range.h"
#include "types.h"

/* EFI_MEMORY_DESCRIPTOR fields (UEFI 2.x, 7.2); firmware may use a larger stride than 40. */
#define EFI_MD_TYPE 0
#define EFI_MD_PHYS_START 8
#define EFI_MD_VIRT_START 16
#define EFI_MD_NR_PAGES 24
#define EFI_MD_ATTRIBUTE 32
#define EFI_MD_MIN_SIZE 40
#define EFI_MD_PAGE_SIZE 4096ULL
#define EFI_RESERVED_MEMORY_TYPE 0
#define EFI_MEMORY_RUNTIME (1ULL << 63)

/* What boot_params.efi_info points the kernel at; addresses are guest-physical. */
struct linux_efi_args {
	uint64_t systab;       /* the firmware's 64-bit EFI system table */
	uint64_t memmap;       /* the guest's EFI memory map */
	uint32_t memmap_size;  /* its bytes: descriptors * desc_size */
	uint32_t desc_size;    /* the firmware's descriptor stride */
	uint32_t desc_version; /* the firmware's descriptor version */
};

/* Bytes the guest's map may need: each hidden range can split one descriptor into three. */
uint64_t linux_efi_mmap_bytes_max(uint32_t count, uint32_t desc_size, const struct range_set *hidden);

/*
 * Copy the firmware's `count` descriptors of `desc_size` bytes from src into dst[dst_size], split
 * where they meet a range of `hidden` (rounded out to whole pages): the part inside becomes
 * EfiReservedMemoryType without EFI_MEMORY_RUNTIME, the rest keeps its type, attributes and any
 * bytes past the fields this code knows. A virtual start that the firmware set moves with the
 * split. Stores the bytes written in *out_bytes and returns 0; -E_INVAL for a descriptor size
 * below 40 or not a multiple of 8, or a descriptor that wraps past 2^64; -E_NOMEM if dst is too
 * small. why[len] says which.
 */
int linux_efi_build_mmap(const uint8_t *src, uint32_t count, uint32_t desc_size, const struct range_set *hidden,
			 uint8_t *dst, uint64_t dst_size, uint64_t *out_bytes, char *why, size_t len);

/* Fill boot_params.efi_info in bp (4 KiB) for a 64-bit kernel: signature "EL64" and the fields of a. */
void linux_efi_fill_boot_params(uint8_t *bp, const struct linux_efi_args *a);

#endif
