package unix_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/scenarios/*.golden from the host kernel (root)")

func goldenPath(name string) string { return filepath.Join("testdata", "scenarios", name+".golden") }

// TestScenariosGolden runs every scenario on gosock and compares its log
// with the one the reference kernel (Linux 6.18) produced, kept in
// testdata. It needs no privilege; TestScenariosKernel compares with the
// live kernel and -update rewrites the files from it.
func TestScenariosGolden(t *testing.T) {
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			want, err := os.ReadFile(goldenPath(sc.name))
			if err != nil {
				t.Fatalf("no golden log (record it as root with go test -run TestScenariosKernel -update): %v", err)
			}
			got := runScenario(newGosock(t), "gosock-unix-golden", sc)
			diffLogs(t, "Linux (golden)", strings.Split(strings.TrimSuffix(string(want), "\n"), "\n"), got)
		})
	}
}
