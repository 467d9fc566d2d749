package main

import (
	"html/template"
	"net/http"
)

func page(w http.ResponseWriter, r *http.Request) {
	msg := template.HTML(r.URL.Query().Get("msg"))
	tmpl.Execute(w, msg)
}
