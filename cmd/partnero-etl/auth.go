package main

import (
	"errors"
	"os"
	"strings"

	"github.com/partnero-etl/partnero-etl/partnero"
)

// apiKey resolves the key from --api-key, --api-key-file or PARTNERO_API_KEY,
// in that order, without the blanks around it. Every problem with it is a
// usage error (exit 2) that names where the key came from; the key itself
// never appears in errors or logs.
func (g *globalOptions) apiKey() (string, error) {
	var key, source string
	switch {
	case g.APIKey != "":
		key, source = g.APIKey, "--api-key"
	case g.APIKeyFile != "":
		source = "--api-key-file " + g.APIKeyFile
		k, err := partnero.ReadAPIKeyFile(g.APIKeyFile)
		if err != nil {
			return "", usageError("--api-key-file: %v", err)
		}
		key = k
	case os.Getenv("PARTNERO_API_KEY") != "":
		key, source = os.Getenv("PARTNERO_API_KEY"), "PARTNERO_API_KEY"
	default:
		return "", usageError("no API key: pass --api-key, --api-key-file or set PARTNERO_API_KEY")
	}
	key = strings.TrimSpace(key)
	if key == "" {
		return "", usageError("the API key from %s is empty", source)
	}
	if err := partnero.CheckAPIKey(key); err != nil {
		return "", usageError("the API key from %s: %v", source, err)
	}
	return key, nil
}

// isAuthError reports whether the API refused the key (exit code 4).
func isAuthError(err error) bool {
	return errors.Is(err, partnero.ErrUnauthorized)
}
