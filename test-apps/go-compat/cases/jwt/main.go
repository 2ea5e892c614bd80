package main

import (
	"fmt"

	"github.com/golang-jwt/jwt/v5"
	"warpgrid.example/go-compat/harness"
)

func main() {
	harness.Serve(func() (string, error) {
		key := []byte("secret")
		tok := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "ann", "n": 1})
		s, err := tok.SignedString(key)
		if err != nil {
			return "", err
		}
		parsed, err := jwt.Parse(s, func(t *jwt.Token) (any, error) { return key, nil })
		if err != nil || !parsed.Valid {
			return "", fmt.Errorf("parse: %v", err)
		}
		sub, _ := parsed.Claims.GetSubject()
		if sub != "ann" {
			return "", fmt.Errorf("sub = %q", sub)
		}
		return s, nil
	})
}
