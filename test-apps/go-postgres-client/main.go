// go-postgres-client: an HTTP service that queries PostgreSQL with pgx. The connection string
// names the service host db.production.warp.local: WarpGrid's net resolves it through the dns
// shim and net.Dial opens the TCP stream through the database-proxy shim (the host holds the
// credentials and does TLS, so the guest uses sslmode=disable and no password).
package main

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

func dsn() string {
	if v := os.Getenv("DATABASE_URL"); v != "" {
		return v
	}
	return "postgres://app@db.production.warp.local:5432/postgres?sslmode=disable"
}

// writeJSON writes flat JSON objects and lists of them by hand: encoding/json's reflection trips
// a TinyGo 0.37 reflect gap in a program this size (docs/domains/03-tinygo.md).
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintln(w, toJSON(v))
}

func toJSON(v any) string {
	switch x := v.(type) {
	case string:
		return jsonString(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case int32:
		return strconv.FormatInt(int64(x), 10)
	case map[string]string:
		return object(len(x), func(emit func(k, v string)) {
			for k, s := range x {
				emit(k, jsonString(s))
			}
		})
	case map[string]int64:
		return object(len(x), func(emit func(k, v string)) {
			for k, n := range x {
				emit(k, strconv.FormatInt(n, 10))
			}
		})
	case []row:
		parts := make([]string, len(x))
		for i, r := range x {
			parts[i] = `{"n":` + strconv.FormatInt(int64(r.N), 10) + `,"text":` + jsonString(r.Text) + `}`
		}
		return "[" + strings.Join(parts, ",") + "]"
	}
	return jsonString(fmt.Sprint(v))
}

func object(n int, fill func(emit func(k, v string))) string {
	parts := make([]string, 0, n)
	fill(func(k, v string) { parts = append(parts, jsonString(k)+":"+v) })
	return "{" + strings.Join(parts, ",") + "}"
}

func jsonString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20:
			fmt.Fprintf(&b, "\\u%04x", r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

type row struct {
	N    int32
	Text string
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
