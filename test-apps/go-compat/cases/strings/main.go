package main

import (
	"fmt"
	"strings"
	"unicode"

	"warpgrid.example/go-compat/harness"
)

func main() {
	harness.Serve(func() (string, error) {
		var b strings.Builder
		for _, f := range strings.Fields("  the quick  brown fox ") {
			b.WriteString(strings.ToUpper(f[:1]) + f[1:] + "-")
		}
		got := strings.TrimSuffix(b.String(), "-")
		got = strings.ReplaceAll(got, "Quick", "Slow")
		if got != "The-Slow-Brown-Fox" || !strings.EqualFold("GoLang", "golang") {
			return "", fmt.Errorf("got %q", got)
		}
		if strings.Map(func(r rune) rune {
			if unicode.IsDigit(r) {
				return -1
			}
			return r
		}, "a1b2c3") != "abc" {
			return "", fmt.Errorf("Map failed")
		}
		return got, nil
	})
}
