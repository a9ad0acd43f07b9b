/* Error codes: functions return 0 or a negative one of these. */
#ifndef HV_ERRNO_H
#define HV_ERRNO_H

#define E_INVAL 1   /* malformed input */
#define E_NOMEM 2   /* out of memory or table space */
#define E_RANGE 3   /* value or address out of range */
#define E_FAULT 4   /* an instruction faulted (exception table) */
#define E_NOENT 5   /* not found */
#define E_NOSUPP 6  /* hardware or feature not supported */
#define E_BUSY 7    /* resource in use */
#define E_TIMEOUT 8 /* no answer in time */

#endif
