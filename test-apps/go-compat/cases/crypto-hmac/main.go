package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"warpgrid.example/go-compat/harness"
)

func main() {
	harness.Serve(func() (string, error) {
		// RFC 4231 test case 2.
		m := hmac.New(sha256.New, []byte("Jefe"))
		m.Write([]byte("what do ya want for nothing?"))
		got := hex.EncodeToString(m.Sum(nil))
		if got != "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" {
			return "", fmt.Errorf("hmac = %s", got)
		}
		return got, nil
	})
}
