package main

import "crypto/des"

func NewBlock(key []byte) {
	block, _ := des.NewCipher(key)
	_ = block
}
