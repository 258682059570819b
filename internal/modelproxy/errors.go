// Package modelproxy holds the two HTTP proxies of the request path, both
// streaming, both answering bad input in OpenAI's error shape:
//
//   - Router, the body-based router in front of a Gateway: OpenAI clients
//     point at it as their base URL; it reads the request body's "model",
//     puts it in the model header the generated HTTPRoutes match (over
//     whatever the client sent), removes the target headers a client may not
//     set, and forwards to the Gateway. It also answers GET /v1/models with
//     the model names routable through its Gateway.
//   - Rewriter, the target-rewrite sidecar in front of a model server: when
//     the request carries the rewrite header the route set, it puts that
//     target into the body's "model", splicing the bytes, since model
//     servers (vLLM, SGLang, TGI) pick the model or LoRA adapter from the
//     body.
package modelproxy

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/modelroute/modelroute/internal/openaibody"
)

// apiError is OpenAI's error body.
type apiError struct {
	Error apiErrorDetail `json:"error"`
}

type apiErrorDetail struct {
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    string  `json:"code"`
}

// writeError answers status with an OpenAI-shaped error.
func writeError(w http.ResponseWriter, status int, errType, code, param, message string) {
	detail := apiErrorDetail{Message: message, Type: errType, Code: code}
	if param != "" {
		detail.Param = &param
	}
	body, _ := json.Marshal(apiError{Error: detail})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// writeBodyError answers a request whose body cannot be read for its
// model: 413 over the limit, 400 otherwise.
func writeBodyError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, openaibody.ErrTooLarge):
		writeError(w, http.StatusRequestEntityTooLarge, "invalid_request_error", "request_too_large", "", err.Error())
	case errors.Is(err, openaibody.ErrNoModel):
		writeError(w, http.StatusBadRequest, "invalid_request_error", "missing_model", "model",
			`the request body has no "model" string: set "model" to one of GET /v1/models`)
	case errors.Is(err, openaibody.ErrDuplicateModel):
		writeError(w, http.StatusBadRequest, "invalid_request_error", "duplicate_model", "model", err.Error())
	default:
		writeError(w, http.StatusBadRequest, "invalid_request_error", "invalid_body", "", err.Error())
	}
}

// bodyError reports whether err is one of a request body's (a client's
// fault), as opposed to the upstream's.
func bodyError(err error) bool {
	for _, e := range []error{openaibody.ErrTooLarge, openaibody.ErrNoModel, openaibody.ErrDuplicateModel, openaibody.ErrNotJSON} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}
