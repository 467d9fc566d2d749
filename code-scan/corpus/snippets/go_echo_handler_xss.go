package main

import (
	"fmt"
	"net/http"
)

func search(w http.ResponseWriter, r *http.Request) {
	term := r.URL.Query().Get("term")
	w.Header().Set("Content-Type", "text/html")
	fmt.Fprintf(w, "<p>No results for <b>%s</b></p>", term)
}
