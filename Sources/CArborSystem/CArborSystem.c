// The functions are static inline in include/CArborSystem.h; a C target needs one source file.
#include "CArborSystem.h"
