// MemoryStorage is defined inline in its header; this unit checks that the
// header stands on its own.
#include "gossipmonger/memory_storage.h"
