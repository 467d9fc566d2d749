package auth

import (
	"os"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func Issue(user string) (string, error) {
	key := []byte(os.Getenv("JWT_SIGNING_KEY"))
	claims := jwt.MapClaims{"sub": user, "exp": time.Now().Add(time.Hour).Unix()}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(key)
}
