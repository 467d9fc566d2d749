package main

import "os/exec"

func Lookup(host string) ([]byte, error) {
	return exec.Command("nslookup", host).Output()
}
