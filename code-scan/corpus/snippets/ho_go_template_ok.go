package main

import (
	"html/template"
	"net/http"
)

func page(w http.ResponseWriter, r *http.Request) {
	tmpl.Execute(w, r.URL.Query().Get("msg"))
}
