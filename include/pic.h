/* The legacy 8259 interrupt controllers. */
#ifndef HV_PIC_H
#define HV_PIC_H

/*
 * Masks every line of both 8259s. Firmware leaves them at the real-mode vector base 8, where a
 * timer tick the hypervisor acknowledges on the guest's behalf would reach the guest as a #DF
 * after the guest itself has remapped and masked them; the guest unmasks what it programs.
 */
void pic_mask_all(void);

#endif
