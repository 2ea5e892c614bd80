package main

import (
	"fmt"

	"github.com/shopspring/decimal"
	"warpgrid.example/go-compat/harness"
)

func main() {
	harness.Serve(func() (string, error) {
		a := decimal.RequireFromString("0.1")
		b := decimal.RequireFromString("0.2")
		sum := a.Add(b)
		if sum.String() != "0.3" {
			return "", fmt.Errorf("0.1+0.2 = %s", sum)
		}
		price := decimal.NewFromInt(1999).Shift(-2).Mul(decimal.NewFromInt(3))
		return sum.String() + " " + price.StringFixed(2), nil
	})
}
