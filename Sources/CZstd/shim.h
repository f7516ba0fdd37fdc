// zstd compression for stored output chunks (Debian: libzstd-dev).
#include <zstd.h>
