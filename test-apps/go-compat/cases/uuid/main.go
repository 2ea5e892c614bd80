package main

import (
	"fmt"

	"github.com/google/uuid"
	"warpgrid.example/go-compat/harness"
)

func main() {
	harness.Serve(func() (string, error) {
		id, err := uuid.NewRandom()
		if err != nil {
			return "", err
		}
		back, err := uuid.Parse(id.String())
		if err != nil || back != id || id.Version() != 4 {
			return "", fmt.Errorf("parse %v: %v", id, err)
		}
		sha := uuid.NewSHA1(uuid.NameSpaceDNS, []byte("warpgrid.dev"))
		return id.String() + " " + sha.String(), nil
	})
}
