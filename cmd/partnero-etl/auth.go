package main

import (
	"errors"

	"github.com/partnero-etl/partnero-etl/partnero"
)

// isAuthError reports whether the API refused the key (exit code 4).
func isAuthError(err error) bool {
	return errors.Is(err, partnero.ErrUnauthorized)
}
