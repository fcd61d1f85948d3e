// The system zlib, used to compress snapshots.
#include <zlib.h>
