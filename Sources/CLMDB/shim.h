// CLMDB: the system liblmdb (Debian liblmdb-dev), exposed to Swift unchanged.
// No wrappers live here: every LMDB call Swift needs can be made directly.
#ifndef CLMDB_SHIM_H
#define CLMDB_SHIM_H
#include <lmdb.h>
#endif
