package auth

import (
	"time"

	"github.com/golang-jwt/jwt/v5"
)

var signingKey = []byte("s3cr3t-signing-key")

func Issue(user string) (string, error) {
	claims := jwt.MapClaims{"sub": user, "exp": time.Now().Add(time.Hour).Unix()}
	token := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
	return token.SignedString(signingKey)
}
