package main

import (
	"context"
	"fmt"
	"os"

	"github.com/redis/go-redis/v9"
	"warpgrid.example/go-compat/harness"
)

func main() {
	harness.Serve(func() (string, error) {
		addr := os.Getenv("REDIS_ADDR")
		if addr == "" {
			opt, err := redis.ParseURL("redis://cache.production.warp.local:6379/0")
			if err != nil {
				return "", err
			}
			return "config only: " + opt.Addr, nil
		}
		ctx := context.Background()
		rdb := redis.NewClient(&redis.Options{Addr: addr, Password: os.Getenv("REDIS_PASSWORD")})
		defer rdb.Close()
		if err := rdb.Set(ctx, "wg:matrix", "42", 0).Err(); err != nil {
			return "", err
		}
		v, err := rdb.Get(ctx, "wg:matrix").Result()
		if err != nil || v != "42" {
			return "", fmt.Errorf("get: %q %v", v, err)
		}
		return "set/get " + v, nil
	})
}
