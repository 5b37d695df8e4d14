package partnero

// UnauthorizedError is the API's 401: a missing or unknown key.
type UnauthorizedError struct {
	Message string
}

func (e *UnauthorizedError) Error() string {
	return "unauthorized: " + e.Message
}
