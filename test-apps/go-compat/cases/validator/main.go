package main

import (
	"fmt"

	"github.com/go-playground/validator/v10"
	"warpgrid.example/go-compat/harness"
)

type signup struct {
	Email string `validate:"required,email"`
	Age   int    `validate:"gte=18,lte=130"`
}

func main() {
	harness.Serve(func() (string, error) {
		v := validator.New()
		if err := v.Struct(signup{Email: "a@b.co", Age: 30}); err != nil {
			return "", fmt.Errorf("valid input rejected: %v", err)
		}
		err := v.Struct(signup{Email: "nope", Age: 3})
		if err == nil {
			return "", fmt.Errorf("invalid input accepted")
		}
		return err.Error(), nil
	})
}
