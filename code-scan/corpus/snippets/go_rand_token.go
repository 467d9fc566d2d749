package auth

import (
	"fmt"
	"math/rand"
)

func NewToken() string {
	token := fmt.Sprintf("%016x", rand.Int63())
	return token
}
