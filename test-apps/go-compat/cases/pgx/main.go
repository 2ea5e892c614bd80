package main

import (
	"context"
	"fmt"
	"os"

	"github.com/jackc/pgx/v5"
	"warpgrid.example/go-compat/harness"
)

// With DATABASE_URL set (the matrix runner starts PostgreSQL), a real query through the
// database-proxy shim; otherwise only the configuration parser runs.
func main() {
	harness.Serve(func() (string, error) {
		dsn := os.Getenv("DATABASE_URL")
		if dsn == "" {
			cfg, err := pgx.ParseConfig("postgres://app@db.production.warp.local:5432/app?sslmode=disable")
			if err != nil {
				return "", err
			}
			return "config only: " + cfg.Host, nil
		}
		conn, err := pgx.Connect(context.Background(), dsn)
		if err != nil {
			return "", err
		}
		defer conn.Close(context.Background())
		var n int64
		var s string
		if err := conn.QueryRow(context.Background(), "select $1::int8 * 2, upper($2)", 21, "pgx").Scan(&n, &s); err != nil {
			return "", err
		}
		if n != 42 || s != "PGX" {
			return "", fmt.Errorf("got %d %s", n, s)
		}
		return fmt.Sprintf("query: %d %s", n, s), nil
	})
}
