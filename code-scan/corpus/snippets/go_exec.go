package main

import (
	"net/http"
	"os/exec"
)

func handler(w http.ResponseWriter, r *http.Request) {
	out, _ := exec.Command("sh", "-c", "nslookup "+r.URL.Query().Get("host")).Output()
	w.Write(out)
}
