// go-http-server: a plain net/http service that WarpGrid runs as a component. Nothing here is
// WarpGrid-specific: http.HandleFunc and http.ListenAndServe register the handler with the
// WarpGrid HTTP trigger through WarpGrid's net/http for TinyGo.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"strconv"
	"sync"
)

type item struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

var (
	mu    sync.Mutex
	items = []item{{1, "anvil"}, {2, "rocket skates"}}
)

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func main() {
	greeting := os.Getenv("GREETING")
	if greeting == "" {
		greeting = "Hello from WarpGrid"
	}

	http.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s (Go %s)\n", greeting, "tinygo")
	})
	http.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	http.HandleFunc("GET /items", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		writeJSON(w, http.StatusOK, items)
	})
	http.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.Atoi(r.PathValue("id"))
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "id must be a number"})
			return
		}
		for _, it := range items {
			if it.ID == id {
				writeJSON(w, http.StatusOK, it)
				return
			}
		}
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such item"})
	})
	http.HandleFunc("POST /items", func(w http.ResponseWriter, r *http.Request) {
		var in item
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Name == "" {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "want {\"name\": ...}"})
			return
		}
		in.ID = len(items) + 1
		writeJSON(w, http.StatusCreated, in)
	})
	http.HandleFunc("POST /echo", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", r.Header.Get("Content-Type"))
		w.Header().Set("X-Echo-Length", strconv.Itoa(len(body)))
		w.Write(body)
	})
	http.HandleFunc("GET /hello/{name}", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{
			"hello": r.PathValue("name"),
			"lang":  r.URL.Query().Get("lang"),
		})
	})
	http.HandleFunc("/files/{path...}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "file %q via %s\n", r.PathValue("path"), r.Method)
	})

	log.Fatal(http.ListenAndServe(":8080", nil))
}
