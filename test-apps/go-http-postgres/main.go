// go-http-postgres (scenario T3): a net/http service that keeps items in PostgreSQL through pgx's
// low-level pgconn package. The connection string names db.production.warp.local: WarpGrid's net
// resolves it through the dns shim and net.Dial opens the stream through the database-proxy shim
// (the host holds the password and does TLS, so the guest sends none and uses sslmode=disable).
//
// pgconn rather than the pgx front end: pgx's type map trips a TinyGo 0.37 reflect gap at run
// time (docs/domains/03-tinygo.md); pgconn speaks the protocol with text-format values and needs
// no reflection. JSON is written by hand for the same reason.
package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

func dsn() string {
	env := func(name, fallback string) string {
		if v := os.Getenv(name); v != "" {
			return v
		}
		return fallback
	}
	return fmt.Sprintf("postgres://%s@%s:%s/%s?sslmode=disable&connect_timeout=10",
		env("PG_USER", "app"), env("PG_HOST", "db.production.warp.local"), env("PG_PORT", "5432"),
		env("PG_DATABASE", "postgres"))
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

func reply(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, body+"\n")
}

func fail(w http.ResponseWriter, status int, err error) {
	reply(w, status, `{"error":`+jsonString(err.Error())+`}`)
}

// query runs one statement with text parameters and returns its rows as strings.
func query(w http.ResponseWriter, r *http.Request, sql string, params ...string) ([][]string, bool) {
	ctx, cancel := context.WithTimeout(r.Context(), 15*time.Second)
	defer cancel()
	conn, err := pgconn.Connect(ctx, dsn())
	if err != nil {
		fail(w, http.StatusBadGateway, fmt.Errorf("connect: %w", err))
		return nil, false
	}
	defer conn.Close(ctx)
	args := make([][]byte, len(params))
	for i, p := range params {
		args[i] = []byte(p)
	}
	result := conn.ExecParams(ctx, sql, args, nil, nil, nil).Read()
	if result.Err != nil {
		fail(w, http.StatusInternalServerError, result.Err)
		return nil, false
	}
	rows := make([][]string, len(result.Rows))
	for i, row := range result.Rows {
		rows[i] = make([]string, len(row))
		for j, v := range row {
			rows[i][j] = string(v)
		}
	}
	return rows, true
}

func item(row []string) string {
	return `{"id":` + row[0] + `,"name":` + jsonString(row[1]) + `}`
}

func main() {
	http.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	})
	http.HandleFunc("GET /version", func(w http.ResponseWriter, r *http.Request) {
		if rows, ok := query(w, r, "select version()"); ok {
			reply(w, http.StatusOK, `{"version":`+jsonString(rows[0][0])+`}`)
		}
	})
	http.HandleFunc("POST /setup", func(w http.ResponseWriter, r *http.Request) {
		if _, ok := query(w, r, "create table if not exists go_items (id serial primary key, name text not null)"); ok {
			w.WriteHeader(http.StatusNoContent)
		}
	})
	http.HandleFunc("POST /items", func(w http.ResponseWriter, r *http.Request) {
		name, err := io.ReadAll(r.Body)
		if err != nil || len(name) == 0 {
			reply(w, http.StatusBadRequest, `{"error":"the body is the item's name"}`)
			return
		}
		if rows, ok := query(w, r, "insert into go_items (name) values ($1) returning id, name", string(name)); ok {
			reply(w, http.StatusCreated, item(rows[0]))
		}
	})
	http.HandleFunc("GET /items", func(w http.ResponseWriter, r *http.Request) {
		rows, ok := query(w, r, "select id, name from go_items order by id")
		if !ok {
			return
		}
		parts := make([]string, len(rows))
		for i, row := range rows {
			parts[i] = item(row)
		}
		reply(w, http.StatusOK, "["+strings.Join(parts, ",")+"]")
	})
	http.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) {
		if _, err := strconv.Atoi(r.PathValue("id")); err != nil {
			reply(w, http.StatusBadRequest, `{"error":"id must be a number"}`)
			return
		}
		rows, ok := query(w, r, "select id, name from go_items where id = $1", r.PathValue("id"))
		if !ok {
			return
		}
		if len(rows) == 0 {
			reply(w, http.StatusNotFound, `{"error":"no such item"}`)
			return
		}
		reply(w, http.StatusOK, item(rows[0]))
	})
	http.HandleFunc("GET /sum/{a}/{b}", func(w http.ResponseWriter, r *http.Request) {
		if rows, ok := query(w, r, "select $1::int8 + $2::int8", r.PathValue("a"), r.PathValue("b")); ok {
			reply(w, http.StatusOK, `{"sum":`+rows[0][0]+`}`)
		}
	})
	log.Fatal(http.ListenAndServe(":8080", nil))
}
