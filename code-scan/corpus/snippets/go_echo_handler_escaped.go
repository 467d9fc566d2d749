package main

import (
	"fmt"
	"html"
	"net/http"
)

func search(w http.ResponseWriter, r *http.Request) {
	term := html.EscapeString(r.URL.Query().Get("term"))
	w.Header().Set("Content-Type", "text/html")
	fmt.Fprintf(w, "<p>No results for <b>%s</b></p>", term)
}
