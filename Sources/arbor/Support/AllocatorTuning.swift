import CArborSystem

/// Keeps the streaming commands' 2 MiB buffers in the heap.
///
/// `arbor encrypt` and `decrypt` allocate and free a 2 MiB piece and its output on every call.
/// With glibc's default (dynamic) thresholds a buffer that size can be a fresh `mmap`, or the heap
/// is trimmed back to the kernel after it is freed; either way every piece faults in 512 new pages.
/// Measured: `arbor encrypt` of 1 GiB to /dev/null took 1.15 s with the defaults and 0.36 s with
/// fixed thresholds (docs/performance.md). Fixed thresholds keep the freed pieces for reuse; the
/// memory held stays that of one piece in flight.
enum AllocatorTuning {
    static func keepStreamBuffersInHeap() {
        arbor_set_allocator_thresholds(16 << 20, 64 << 20)
    }
}
