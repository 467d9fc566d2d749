package main

import (
	"net/http"
	"os"
	"path/filepath"
)

func download(w http.ResponseWriter, r *http.Request) {
	name := r.FormValue("file")
	data, err := os.ReadFile(filepath.Join("/srv/exports", name))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	w.Write(data)
}
