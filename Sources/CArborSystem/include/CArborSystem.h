#ifndef C_ARBOR_SYSTEM_H
#define C_ARBOR_SYSTEM_H

// glibc's allocator settings, which Swift's Glibc module does not export (malloc.h).
#if defined(__linux__)
#include <malloc.h>

static inline void arbor_set_allocator_thresholds(int mmap_threshold, int trim_threshold) {
    mallopt(M_MMAP_THRESHOLD, mmap_threshold);
    mallopt(M_TRIM_THRESHOLD, trim_threshold);
}
#else
static inline void arbor_set_allocator_thresholds(int mmap_threshold, int trim_threshold) {
    (void)mmap_threshold;
    (void)trim_threshold;
}
#endif

#endif
