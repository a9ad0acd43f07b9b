/* The legacy 8259 PICs (Intel 8259A data sheet): only masked here, the guest owns them. */
#include "console.h"
#include "pic.h"
#include "x86/cpu.h"

#define PIC_MASTER_DATA 0x21
#define PIC_SLAVE_DATA 0xA1

void pic_mask_all(void)
{
	outb(PIC_MASTER_DATA, 0xFF);
	outb(PIC_SLAVE_DATA, 0xFF);
	pr_info("pic: legacy 8259 interrupt lines masked until the guest programs them");
}
