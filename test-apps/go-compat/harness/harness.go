// Package harness runs one compatibility case as a WarpGrid HTTP component: GET / runs the
// case's check and answers 200 "ok: <detail>" when it passed, 500 "fail: <error>" otherwise
// (a panic is caught by net/http and becomes a 500 too).
package harness

import (
	"log"
	"net/http"
)

// Serve registers check at / and hands the handler to the WarpGrid trigger.
func Serve(check func() (string, error)) {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		detail, err := check()
		if err != nil {
			http.Error(w, "fail: "+err.Error(), http.StatusInternalServerError)
			return
		}
		w.Write([]byte("ok: " + detail + "\n"))
	})
	log.Fatal(http.ListenAndServe(":8080", nil))
}
