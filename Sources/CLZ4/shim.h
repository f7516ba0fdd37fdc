// LZ4 block compression for stored output chunks (Debian: liblz4-dev).
#include <lz4.h>
