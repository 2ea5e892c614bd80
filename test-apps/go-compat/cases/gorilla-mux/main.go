package main

import (
	"fmt"
	"net/http"

	"github.com/gorilla/mux"
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
		r := mux.NewRouter()
		r.HandleFunc("/articles/{category}/{id:[0-9]+}", func(w http.ResponseWriter, req *http.Request) {
			v := mux.Vars(req)
			fmt.Fprintf(w, "%s/%s", v["category"], v["id"])
		}).Methods("GET")
		req, _ := http.NewRequest("GET", "/articles/go/7", nil)
		rec := &recorder{h: http.Header{}, code: 200}
		r.ServeHTTP(rec, req)
		if rec.code != 200 || string(rec.body) != "go/7" {
			return "", fmt.Errorf("got %d %q", rec.code, rec.body)
		}
		return string(rec.body), nil
	})
}
