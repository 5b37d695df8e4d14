package main

import (
	"errors"

	"github.com/partnero-etl/partnero-etl/partnero"
)

// isAuthError reports whether the API refused the key (exit code 4).
func isAuthError(err error) bool {
	var ue *partnero.UnauthorizedError
	return errors.As(err, &ue)
}
