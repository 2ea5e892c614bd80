package main

import (
	"fmt"
	"net/http"

	"github.com/go-chi/chi/v5"
	"warpgrid.example/go-compat/harness"
)

type recorder struct {
	h    http.Header
	code int
	body []byte
}

func (r *recorder) Header() http.Header         { return r.h }
func (r *recorder) WriteHeader(c int)           { r.code = c }
func (r *recorder) Write(b []byte) (int, error) { r.body = append(r.body, b...); return len(b), nil }

func main() {
	harness.Serve(func() (string, error) {
		r := chi.NewRouter()
		r.Get("/users/{id}", func(w http.ResponseWriter, req *http.Request) {
			fmt.Fprintf(w, "user %s", chi.URLParam(req, "id"))
		})
		req, _ := http.NewRequest("GET", "/users/42", nil)
		rec := &recorder{h: http.Header{}, code: 200}
		r.ServeHTTP(rec, req)
		if rec.code != 200 || string(rec.body) != "user 42" {
			return "", fmt.Errorf("got %d %q", rec.code, rec.body)
		}
		req404, _ := http.NewRequest("GET", "/nope", nil)
		rec404 := &recorder{h: http.Header{}, code: 200}
		r.ServeHTTP(rec404, req404)
		if rec404.code != 404 {
			return "", fmt.Errorf("unknown route gave %d", rec404.code)
		}
		return string(rec.body), nil
	})
}
