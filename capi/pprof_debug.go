//go:build objstore_pprof

package main

// Profiling build only (go build -tags objstore_pprof): with
// OBJSTORE_CPUPROFILE=FILE the library writes a Go CPU profile of the whole
// process lifetime, stopped by an atexit handler. Used to profile the
// benchmarks (buildscripts/bench); never part of the shipped library.

/*
void objstore_pprof_register(void);
*/
import "C"

import (
	"os"
	"runtime/pprof"
)

var profileFile *os.File

func init() {
	path := os.Getenv("OBJSTORE_CPUPROFILE")
	if path == "" {
		return
	}
	f, err := os.Create(path)
	if err != nil {
		return
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return
	}
	profileFile = f
	C.objstore_pprof_register()
}

//export objstorePprofStop
func objstorePprofStop() {
	if profileFile != nil {
		pprof.StopCPUProfile()
		profileFile.Close()
		profileFile = nil
	}
}
