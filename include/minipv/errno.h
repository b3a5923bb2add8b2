/* SPDX-License-Identifier: MIT */
/*
 * One errno set for every layer: Xen's public xen/errno.h (its values come
 * from x86 Linux, which is also what xenstored names its errors with).
 * Functions return 0 or a negative value from this set.  EPROTO is not in
 * Xen's set: a malformed message is EBADMSG here.
 *
 * Host builds (unit tests, fuzzers) use the C library's <errno.h>, whose
 * x86 Linux values are the same numbers.
 */
#ifndef MINIPV_ERRNO_H
#define MINIPV_ERRNO_H
#ifdef MINIPV_HOST
#include <errno.h>
#else
#define XEN_ERRNO(name, value) name = value,
enum minipv_errno {
#include <xen/errno.h>
};
#endif
#endif
