// fastpath unix-asan variant: the fastpath unix variant, configured identically; only the
// compiler and linker flags differ (mpconfigvariant.mk).
#include "../unix/mpconfigvariant.h"
