package main

import (
	"fmt"
	"regexp"

	"warpgrid.example/go-compat/harness"
)

func main() {
	harness.Serve(func() (string, error) {
		re := regexp.MustCompile(`(\w+)@(\w+)\.com`)
		m := re.FindAllStringSubmatch("ann@example.com, bob@test.com", -1)
		if len(m) != 2 || m[1][1] != "bob" || m[1][2] != "test" {
			return "", fmt.Errorf("matches: %v", m)
		}
		out := re.ReplaceAllString("x@y.com", "$2:$1")
		if out != "y:x" {
			return "", fmt.Errorf("replace: %s", out)
		}
		return fmt.Sprint(m), nil
	})
}
