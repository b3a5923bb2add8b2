/* SPDX-License-Identifier: MIT */
/*
 * The two pages Xen gives every PV guest, as pointers: set once at boot
 * (start_info from the entry, shared_info when it is mapped).  Here, at the
 * bottom of xen/, so every other file reads them without calling one
 * another in a circle.
 */
#include <xenpv/xenpv.h>

struct start_info *xen_start_info;
struct shared_info *xen_shared_info;
