package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"warpgrid.example/go-compat/harness"
)

func main() {
	harness.Serve(func() (string, error) {
		sum := sha256.Sum256([]byte("abc"))
		got := hex.EncodeToString(sum[:])
		if got != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
			return "", fmt.Errorf("sha256(abc) = %s", got)
		}
		return got, nil
	})
}
