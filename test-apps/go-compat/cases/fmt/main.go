package main

import (
	"errors"
	"fmt"

	"warpgrid.example/go-compat/harness"
)

type point struct{ X, Y int }

func main() {
	harness.Serve(func() (string, error) {
		got := fmt.Sprintf("%v %+v %q %x %08.3f %T", point{1, 2}, point{3, 4}, "hi", 255, 3.14159, point{})
		want := `{1 2} {X:3 Y:4} "hi" ff 0003.142 main.point`
		if got != want {
			return "", fmt.Errorf("got %s", got)
		}
		wrapped := fmt.Errorf("outer: %w", errors.New("inner"))
		if errors.Unwrap(wrapped).Error() != "inner" {
			return "", errors.New("%w wrapping failed")
		}
		return got, nil
	})
}
