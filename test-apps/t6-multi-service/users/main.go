// T6 user service (Go, TinyGo): users in PostgreSQL through pgx's low-level pgconn package,
// net.Dial and the database proxy (the host holds the credentials; the guest uses
// sslmode=disable and no password).
//
//	POST /users        {"name","email"} -> 201 {"id","name","email"}; 400 invalid; 409 duplicate email
//	                   (reported to the analytics service as a `signup_rejected` event)
//	GET  /users/{id}   the user, or 404
//	GET  /users/count  {"count": n}
//
// The analytics service (Bun) is called with net/http's ordinary client: the host routes
// http://analytics.t6.warp.local to it ([http_client] allow in warp.toml).
//
// pgconn rather than the pgx front end, and JSON read and written by hand: pgx's type map and
// encoding/json's reflection trip a TinyGo 0.37 reflect gap at run time (docs/domains/03-tinygo.md).
package main

import (
	"context"
	"errors"
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

const usersTable = `CREATE TABLE IF NOT EXISTS t6_users (
  id serial PRIMARY KEY, name text NOT NULL, email text NOT NULL UNIQUE)`

func dsn() string {
	if v := os.Getenv("DATABASE_URL"); v != "" {
		return v
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

func analyticsURL() string {
	if v := os.Getenv("ANALYTICS_URL"); v != "" {
		return v
	}
	return "http://analytics.t6.warp.local"
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

// userJSON renders a user; id is Postgres' text form of the integer.
func userJSON(id, name, email string) string {
	return `{"id":` + id + `,"name":` + jsonString(name) + `,"email":` + jsonString(email) + `}`
}

// stringFields reads a flat JSON object whose members are strings (others are refused).
func stringFields(r io.Reader) (map[string]string, error) {
	raw, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	p := &parser{s: strings.TrimSpace(string(raw))}
	out := map[string]string{}
	if !p.eat('{') {
		return nil, errors.New("body must be a JSON object")
	}
	if p.eat('}') {
		return out, p.end()
	}
	for {
		key, err := p.str()
		if err != nil {
			return nil, err
		}
		if !p.eat(':') {
			return nil, errors.New("expected ':' after a key")
		}
		value, err := p.str()
		if err != nil {
			return nil, fmt.Errorf("member %q: %w", key, err)
		}
		out[key] = value
		if p.eat('}') {
			return out, p.end()
		}
		if !p.eat(',') {
			return nil, errors.New("expected ',' or '}'")
		}
	}
}

type parser struct {
	s string
	i int
}

func (p *parser) skip() {
	for p.i < len(p.s) && strings.IndexByte(" \t\r\n", p.s[p.i]) >= 0 {
		p.i++
	}
}

func (p *parser) eat(c byte) bool {
	p.skip()
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *parser) end() error {
	p.skip()
	if p.i != len(p.s) {
		return errors.New("trailing data after the object")
	}
	return nil
}

// str reads a JSON string (escapes \" \\ \/ \n \t \r \b \f and \uXXXX for the BMP).
func (p *parser) str() (string, error) {
	if !p.eat('"') {
		return "", errors.New("expected a string")
	}
	var b strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		p.i++
		switch {
		case c == '"':
			return b.String(), nil
		case c != '\\':
			b.WriteByte(c)
		case p.i < len(p.s):
			e := p.s[p.i]
			p.i++
			switch e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'u':
				if p.i+4 > len(p.s) {
					return "", errors.New("short \\u escape")
				}
				n, err := strconv.ParseUint(p.s[p.i:p.i+4], 16, 32)
				if err != nil {
					return "", errors.New("bad \\u escape")
				}
				b.WriteRune(rune(n))
				p.i += 4
			default:
				b.WriteByte(e)
			}
		}
	}
	return "", errors.New("unterminated string")
}

// query runs one statement with text parameters on a proxied session for this request (creating
// the table first) and returns its rows as strings, or the server's error.
func query(r *http.Request, sql string, params ...string) ([][]string, error) {
	ctx, cancel := context.WithTimeout(r.Context(), 8*time.Second)
	defer cancel()
	conn, err := pgconn.Connect(ctx, dsn())
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(ctx)
	if result := conn.ExecParams(ctx, usersTable, nil, nil, nil, nil).Read(); result.Err != nil {
		return nil, result.Err
	}
	args := make([][]byte, len(params))
	for i, p := range params {
		args[i] = []byte(p)
	}
	result := conn.ExecParams(ctx, sql, args, nil, nil, nil).Read()
	if result.Err != nil {
		return nil, result.Err
	}
	rows := make([][]string, len(result.Rows))
	for i, row := range result.Rows {
		rows[i] = make([]string, len(row))
		for j, v := range row {
			rows[i][j] = string(v)
		}
	}
	return rows, nil
}

func createUser(w http.ResponseWriter, r *http.Request) {
	fields, err := stringFields(r.Body)
	name, email := fields["name"], fields["email"]
	if err != nil || name == "" || !strings.Contains(email, "@") {
		writeError(w, http.StatusBadRequest, `body must be JSON {"name": string, "email": string with @}`)
		return
	}
	rows, err := query(r, "INSERT INTO t6_users (name, email) VALUES ($1, $2) RETURNING id", name, email)
	switch {
	case pgCode(err) == "23505": // unique_violation
		if err := reportRejectedSignup(); err != nil {
			log.Printf("users: reporting a rejected signup to analytics: %v", err)
		}
		writeError(w, http.StatusConflict, "email "+email+" already exists")
	case err != nil:
		writeError(w, http.StatusBadGateway, err.Error())
	default:
		writeRaw(w, http.StatusCreated, userJSON(rows[0][0], name, email))
	}
}

// reportRejectedSignup posts a `signup_rejected` event to the analytics service. Best effort:
// the signup's own answer does not depend on it.
func reportRejectedSignup() error {
	resp, err := http.Post(analyticsURL()+"/events", "application/json", strings.NewReader(`{"type":"signup_rejected"}`))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		body, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("analytics answered %d: %s", resp.StatusCode, body)
	}
	return nil
}

// pgCode is the SQLSTATE of the *pgconn.PgError in err's chain, or "". Not errors.As: its
// Type.Implements check panics under TinyGo 0.37 ("reflect: unimplemented: AssignableTo with
// interface", measured on this service); a type assertion per link does not use reflect.
func pgCode(err error) string {
	for err != nil {
		if pgErr, ok := err.(*pgconn.PgError); ok {
			return pgErr.Code
		}
		err = errors.Unwrap(err)
	}
	return ""
}

func getUser(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("id") == "count" { // one pattern: the mux has no "more specific wins" here
		rows, err := query(r, "SELECT count(*) FROM t6_users")
		if err != nil {
			writeError(w, http.StatusBadGateway, err.Error())
			return
		}
		writeRaw(w, http.StatusOK, `{"count":`+rows[0][0]+`}`)
		return
	}
	id, err := strconv.Atoi(r.PathValue("id"))
	if err != nil || id <= 0 {
		writeError(w, http.StatusBadRequest, "id must be a positive integer")
		return
	}
	rows, err := query(r, "SELECT id, name, email FROM t6_users WHERE id = $1", strconv.Itoa(id))
	switch {
	case err != nil:
		writeError(w, http.StatusBadGateway, err.Error())
	case len(rows) == 0:
		writeError(w, http.StatusNotFound, "user "+strconv.Itoa(id)+" not found")
	default:
		writeRaw(w, http.StatusOK, userJSON(rows[0][0], rows[0][1], rows[0][2]))
	}
}

func main() {
	http.HandleFunc("POST /users", createUser)
	http.HandleFunc("GET /users/{id}", getUser)
	log.Fatal(http.ListenAndServe(":8080", nil))
}
