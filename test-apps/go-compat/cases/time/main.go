package main

import (
	"fmt"
	"time"

	"warpgrid.example/go-compat/harness"
)

func main() {
	harness.Serve(func() (string, error) {
		t, err := time.Parse(time.RFC3339, "2026-03-29T00:30:00Z")
		if err != nil {
			return "", err
		}
		later := t.Add(90 * time.Minute)
		if later.Format("15:04") != "02:00" || later.Sub(t) != 90*time.Minute {
			return "", fmt.Errorf("arithmetic: %v", later)
		}
		start := time.Now()
		time.Sleep(5 * time.Millisecond)
		if time.Since(start) < 5*time.Millisecond {
			return "", fmt.Errorf("sleep returned early")
		}
		d, _ := time.ParseDuration("1h2m3s")
		return later.Format(time.RFC1123) + " " + d.String(), nil
	})
}
