//go:build objstore_pprof

#include <stdlib.h>

extern void objstorePprofStop(void);

static void objstore_pprof_at_exit(void) { objstorePprofStop(); }

void objstore_pprof_register(void) { atexit(objstore_pprof_at_exit); }
