package main

import (
	"crypto/sha256"
	"encoding/hex"
)

func Checksum(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
