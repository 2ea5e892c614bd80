package main

import (
	"fmt"

	"gopkg.in/yaml.v3"
	"warpgrid.example/go-compat/harness"
)

type config struct {
	Name  string            `yaml:"name"`
	Ports []int             `yaml:"ports"`
	Env   map[string]string `yaml:"env"`
}

func main() {
	harness.Serve(func() (string, error) {
		var c config
		if err := yaml.Unmarshal([]byte("name: api\nports: [80, 443]\nenv:\n  A: b\n"), &c); err != nil {
			return "", err
		}
		if c.Name != "api" || len(c.Ports) != 2 || c.Ports[1] != 443 || c.Env["A"] != "b" {
			return "", fmt.Errorf("decoded %+v", c)
		}
		out, err := yaml.Marshal(c)
		if err != nil {
			return "", err
		}
		return string(out), nil
	})
}
