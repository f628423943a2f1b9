// fastpath unix variant: configured as the standard variant.
#include "variants/standard/mpconfigvariant.h"
