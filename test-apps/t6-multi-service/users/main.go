// T6 user service (Go, TinyGo): users in PostgreSQL through pgx, net.Dial and the database
// proxy (the host holds the credentials; the guest uses sslmode=disable and no password).
//
//	POST /users        {"name","email"} -> 201 {"id","name","email"}; 400 invalid; 409 duplicate email
//	GET  /users/{id}   the user, or 404
//	GET  /users/count  {"count": n}
//
// JSON is read with encoding/json's tokenizer and written by hand: encoding/json's reflection
// trips a TinyGo 0.37 reflect gap in a program this size (docs/domains/03-tinygo.md).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

const usersTable = `CREATE TABLE IF NOT EXISTS t6_users (
  id serial PRIMARY KEY, name text NOT NULL, email text NOT NULL UNIQUE)`

func dsn() string {
	if v := os.Getenv("DATABASE_URL"); v != "" {
		return v
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
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

func writeRaw(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, body+"\n")
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeRaw(w, status, `{"error":`+jsonString(msg)+`}`)
}

func userJSON(id int32, name, email string) string {
	return `{"id":` + strconv.FormatInt(int64(id), 10) + `,"name":` + jsonString(name) + `,"email":` + jsonString(email) + `}`
}

// stringFields reads a flat JSON object and returns its string members.
func stringFields(r io.Reader) (map[string]string, error) {
	dec := json.NewDecoder(r)
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, errors.New("body must be a JSON object")
	}
	out := map[string]string{}
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return nil, err
		}
		value, err := dec.Token()
		if err != nil {
			return nil, err
		}
		if s, ok := value.(string); ok {
			out[key.(string)] = s
		}
	}
	return out, nil
}

// withConn opens one proxied session for the request and makes sure the table exists.
func withConn(w http.ResponseWriter, r *http.Request, f func(ctx context.Context, conn *pgx.Conn)) {
	ctx, cancel := context.WithTimeout(r.Context(), 8*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn())
	if err != nil {
		writeError(w, http.StatusBadGateway, "connect: "+err.Error())
		return
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, usersTable); err != nil {
		writeError(w, http.StatusBadGateway, "create table: "+err.Error())
		return
	}
	f(ctx, conn)
}

func createUser(w http.ResponseWriter, r *http.Request) {
	fields, err := stringFields(r.Body)
	name, email := fields["name"], fields["email"]
	if err != nil || name == "" || !strings.Contains(email, "@") {
		writeError(w, http.StatusBadRequest, `body must be JSON {"name": string, "email": string with @}`)
		return
	}
	withConn(w, r, func(ctx context.Context, conn *pgx.Conn) {
		var id int32
		err := conn.QueryRow(ctx, "INSERT INTO t6_users (name, email) VALUES ($1, $2) RETURNING id", name, email).Scan(&id)
		var pgErr *pgconn.PgError
		switch {
		case errors.As(err, &pgErr) && pgErr.Code == "23505":
			writeError(w, http.StatusConflict, "email "+email+" already exists")
		case err != nil:
			writeError(w, http.StatusBadGateway, err.Error())
		default:
			writeRaw(w, http.StatusCreated, userJSON(id, name, email))
		}
	})
}

func getUser(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("id") == "count" {
		withConn(w, r, func(ctx context.Context, conn *pgx.Conn) {
			var n int64
			if err := conn.QueryRow(ctx, "SELECT count(*) FROM t6_users").Scan(&n); err != nil {
				writeError(w, http.StatusBadGateway, err.Error())
				return
			}
			writeRaw(w, http.StatusOK, `{"count":`+strconv.FormatInt(n, 10)+`}`)
		})
		return
	}
	id, err := strconv.Atoi(r.PathValue("id"))
	if err != nil || id <= 0 {
		writeError(w, http.StatusBadRequest, "id must be a positive integer")
		return
	}
	withConn(w, r, func(ctx context.Context, conn *pgx.Conn) {
		var name, email string
		err := conn.QueryRow(ctx, "SELECT name, email FROM t6_users WHERE id = $1", id).Scan(&name, &email)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			writeError(w, http.StatusNotFound, "user "+strconv.Itoa(id)+" not found")
		case err != nil:
			writeError(w, http.StatusBadGateway, err.Error())
		default:
			writeRaw(w, http.StatusOK, userJSON(int32(id), name, email))
		}
	})
}

func main() {
	http.HandleFunc("POST /users", createUser)
	http.HandleFunc("GET /users/{id}", getUser)
	log.Fatal(http.ListenAndServe(":8080", nil))
}
