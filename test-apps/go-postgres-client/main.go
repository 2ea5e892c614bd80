// go-postgres-client: an HTTP service that queries PostgreSQL with pgx. The connection string
// names the service host db.production.warp.local: WarpGrid's net resolves it through the dns
// shim and net.Dial opens the TCP stream through the database-proxy shim (the host holds the
// credentials and does TLS, so the guest uses sslmode=disable and no password).
package main

import (
	"context"
	"encoding/json"
	"log"
	"net/http"
	"os"
	"time"

	"github.com/jackc/pgx/v5"
)

func dsn() string {
	if v := os.Getenv("DATABASE_URL"); v != "" {
		return v
	}
	return "postgres://app@db.production.warp.local:5432/postgres?sslmode=disable"
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func withConn(w http.ResponseWriter, r *http.Request, f func(ctx context.Context, conn *pgx.Conn) (any, error)) {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn())
	if err != nil {
		writeJSON(w, http.StatusBadGateway, map[string]string{"error": "connect: " + err.Error()})
		return
	}
	defer conn.Close(ctx)
	out, err := f(ctx, conn)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func main() {
	http.HandleFunc("GET /version", func(w http.ResponseWriter, r *http.Request) {
		withConn(w, r, func(ctx context.Context, conn *pgx.Conn) (any, error) {
			var version string
			err := conn.QueryRow(ctx, "select version()").Scan(&version)
			return map[string]string{"version": version}, err
		})
	})
	http.HandleFunc("GET /add/{a}/{b}", func(w http.ResponseWriter, r *http.Request) {
		withConn(w, r, func(ctx context.Context, conn *pgx.Conn) (any, error) {
			var sum int64
			err := conn.QueryRow(ctx, "select $1::int8 + $2::int8", r.PathValue("a"), r.PathValue("b")).Scan(&sum)
			return map[string]int64{"sum": sum}, err
		})
	})
	http.HandleFunc("GET /series/{n}", func(w http.ResponseWriter, r *http.Request) {
		withConn(w, r, func(ctx context.Context, conn *pgx.Conn) (any, error) {
			rows, err := conn.Query(ctx, "select g, 'row ' || g from generate_series(1, $1::int) g", r.PathValue("n"))
			if err != nil {
				return nil, err
			}
			type row struct {
				N    int32  `json:"n"`
				Text string `json:"text"`
			}
			var out []row
			for rows.Next() {
				var x row
				if err := rows.Scan(&x.N, &x.Text); err != nil {
					return nil, err
				}
				out = append(out, x)
			}
			return out, rows.Err()
		})
	})
	http.HandleFunc("GET /blocked", func(w http.ResponseWriter, r *http.Request) {
		// Not a database endpoint: WarpGrid's net refuses it at once.
		_, err := pgx.Connect(r.Context(), "postgres://app@example.invalid:8080/x?sslmode=disable&connect_timeout=2")
		writeJSON(w, http.StatusOK, map[string]string{"error": errString(err)})
	})
	log.Fatal(http.ListenAndServe(":8080", nil))
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
