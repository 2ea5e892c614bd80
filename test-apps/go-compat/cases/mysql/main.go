package main

import (
	"database/sql"
	"fmt"
	"os"

	"github.com/go-sql-driver/mysql"
	"warpgrid.example/go-compat/harness"
)

func main() {
	harness.Serve(func() (string, error) {
		dsn := os.Getenv("MYSQL_DSN")
		if dsn == "" {
			cfg, err := mysql.ParseDSN("app@tcp(db.production.warp.local:3306)/app?parseTime=true")
			if err != nil {
				return "", err
			}
			return "config only: " + cfg.Addr, nil
		}
		db, err := sql.Open("mysql", dsn)
		if err != nil {
			return "", err
		}
		defer db.Close()
		var n int
		if err := db.QueryRow("select 40 + 2").Scan(&n); err != nil {
			return "", err
		}
		return fmt.Sprintf("query: %d", n), nil
	})
}
