package main

import (
	"fmt"
	"net/url"

	"warpgrid.example/go-compat/harness"
)

func main() {
	harness.Serve(func() (string, error) {
		u, err := url.Parse("https://user:pw@api.example.com:8443/v1/items%2Fx?q=a+b&n=1#frag")
		if err != nil {
			return "", err
		}
		q := u.Query()
		if u.Port() != "8443" || q.Get("q") != "a b" || u.Fragment != "frag" || u.User.Username() != "user" {
			return "", fmt.Errorf("parsed %#v", u)
		}
		v := url.Values{"z": {"1"}, "a": {"x y"}}
		if v.Encode() != "a=x+y&z=1" {
			return "", fmt.Errorf("encode %s", v.Encode())
		}
		return u.EscapedPath() + " " + v.Encode(), nil
	})
}
