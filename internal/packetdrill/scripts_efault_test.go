package packetdrill

import (
	"path/filepath"
	"testing"
)

// TestEfaultScripts runs the scripts of testdata/scripts/efault: calls
// whose buffer is NULL, which the runner makes through the system-call
// face (sys.Process.Syscall) as packetdrill makes them through the
// kernel's.
func TestEfaultScripts(t *testing.T) {
	scripts, err := filepath.Glob(filepath.Join("testdata", "scripts", "efault", "*.pkt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(scripts) == 0 {
		t.Fatal("no scripts found")
	}
	r := NewRunner(Options{})
	for _, s := range scripts {
		t.Run(filepath.Base(s), func(t *testing.T) {
			res := r.RunFile(s)
			if res.Outcome != Pass {
				t.Errorf("%s\n%s", res, res.Detail)
			}
		})
	}
}
