package main

import (
	"encoding/json"
	"fmt"

	"warpgrid.example/go-compat/harness"
)

type order struct {
	ID    int               `json:"id"`
	Items []string          `json:"items"`
	Meta  map[string]string `json:"meta,omitempty"`
	Paid  *bool             `json:"paid"`
}

func main() {
	harness.Serve(func() (string, error) {
		in := `{"id":7,"items":["a","b"],"meta":{"k":"v"},"paid":true}`
		var o order
		if err := json.Unmarshal([]byte(in), &o); err != nil {
			return "", err
		}
		out, err := json.Marshal(o)
		if err != nil {
			return "", err
		}
		if string(out) != in {
			return "", fmt.Errorf("round trip gave %s", out)
		}
		var anyv map[string]any
		if err := json.Unmarshal(out, &anyv); err != nil || anyv["id"].(float64) != 7 {
			return "", fmt.Errorf("generic decode: %v %v", anyv, err)
		}
		return string(out), nil
	})
}
