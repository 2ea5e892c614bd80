package main

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/rs/zerolog"
	"warpgrid.example/go-compat/harness"
)

func main() {
	harness.Serve(func() (string, error) {
		var buf bytes.Buffer
		log := zerolog.New(&buf)
		log.Info().Str("user", "ann").Int("n", 3).Msg("hello")
		got := strings.TrimSpace(buf.String())
		if got != `{"level":"info","user":"ann","n":3,"message":"hello"}` {
			return "", fmt.Errorf("got %s", got)
		}
		return got, nil
	})
}
