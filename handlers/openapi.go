package handlers

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
)

// The OpenAPI document is built from Go values rather than kept as a JSON file so
// that the common parts (errors, auth, ids) are written once. openapi_test.go
// fails when it and the registered routes disagree.

type obj = map[string]any

// operation is one method+path of the document.
type operation struct {
	method, path string // path in OpenAPI form: /api/rooms/{id}
	tag, summary string
	auth         authMode
	params       []obj
	body         obj // requestBody, nil when none
	responses    obj
}

type authMode int

const (
	authNone authMode = iota
	authRequired
	authOptional
	authMetrics // METRICS_TOKEN, when the server has one
)

func ref(name string) obj { return obj{"$ref": "#/components/schemas/" + name} }

func arrayOf(schema obj) obj { return obj{"type": "array", "items": schema} }

func jsonContent(schema obj) obj { return obj{"application/json": obj{"schema": schema}} }

// ok is a success response with a JSON body.
func ok(desc string, schema obj) obj { return obj{"description": desc, "content": jsonContent(schema)} }

func jsonBody(schema obj) obj {
	return obj{"required": true, "content": jsonContent(schema)}
}

func pathParam(name, desc string, integer bool) obj {
	schema := obj{"type": "string"}
	if integer {
		schema = obj{"type": "integer", "format": "int64"}
	}
	return obj{"name": name, "in": "path", "required": true, "description": desc, "schema": schema}
}

func queryParam(name, desc string, schema obj) obj {
	return obj{"name": name, "in": "query", "required": false, "description": desc, "schema": schema}
}

var errorText = map[int]string{
	400: "Bad input", 401: "Missing or bad token", 403: "Not allowed", 404: "Not found", 409: "Conflict",
	413: "Too large", 415: "Type not allowed", 429: "Rate limited: retry after the Retry-After header's seconds",
	502: "File storage failed", 503: "A dependency is down", 504: "File storage did not answer in time",
}

// responses merges the success responses with the contract's error responses.
func responses(success obj, errs ...int) obj {
	out := obj{}
	for code, r := range success {
		out[code] = r
	}
	for _, code := range errs {
		out[itoa(code)] = obj{"$ref": "#/components/responses/E" + itoa(code)}
	}
	return out
}

func itoa(n int) string { return strconv.Itoa(n) }

// openAPIDocument assembles the whole document for the given version.
func openAPIDocument(version string) obj {
	paths := obj{}
	ops := append(append(apiOperations(), groupOperations()...), readOperations()...)
	ops = append(append(ops, searchOperations()...), reactionOperations()...)
	for _, op := range ops {
		item, _ := paths[op.path].(obj)
		if item == nil {
			item = obj{}
			paths[op.path] = item
		}
		if op.auth == authRequired && op.responses["401"] == nil {
			op.responses["401"] = obj{"$ref": "#/components/responses/E401"}
		}
		o := obj{
			"tags":        []string{op.tag},
			"summary":     op.summary,
			"operationId": operationID(op.method, op.path),
			"responses":   op.responses,
		}
		if len(op.params) > 0 {
			o["parameters"] = op.params
		}
		if op.body != nil {
			o["requestBody"] = op.body
		}
		switch op.auth {
		case authNone:
			o["security"] = []obj{} // explicitly public
		case authMetrics:
			o["security"] = []obj{{}, {"metricsToken": []string{}}}
		case authRequired:
			o["security"] = []obj{{"bearerAuth": []string{}}}
		case authOptional:
			o["security"] = []obj{{}, {"bearerAuth": []string{}}}
		}
		item[strings.ToLower(op.method)] = o
	}
	errResponses := obj{}
	for code, text := range errorText {
		errResponses["E"+itoa(code)] = ok(text, ref("Error"))
	}
	if version == "" {
		version = "dev"
	}
	return obj{
		"openapi": "3.1.0",
		"info": obj{
			"title":   "IzpoChat API",
			"version": version,
			"description": "REST API of the IzpoChat server. Real-time messaging uses Socket.IO at `/socket.io/` " +
				"(namespaces `/` and `/rooms/{id}`) and the raw WebSocket `/api/ws/{room_id}?token=JWT`. " +
				"With ALLOWED_ORIGINS set, CORS and every websocket upgrade (403 otherwise) follow it; requests without an Origin header are let in. " +
				"Every route also answers with a trailing slash. Errors are `{\"error\": text, \"detail\": text}`.",
		},
		"servers": []obj{{"url": "/", "description": "This server"}},
		"tags":    append(apiTags(), groupsTag(), readsTag(), searchTag(), reactionsTag(), userChannelTag()),
		"paths":   paths,
		"components": obj{
			"schemas":   withMentionSchemas(withReactionSchemas(withSearchSchemas(withReadSchemas(withGroupSchemas(apiSchemas()))))),
			"responses": errResponses,
			"securitySchemes": obj{
				"bearerAuth": obj{
					"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
					"description": "The access_token from login or register.",
				},
				"metricsToken": obj{
					"type": "http", "scheme": "bearer",
					"description": "METRICS_TOKEN (also accepted as ?token=); not needed when the server has none.",
				},
			},
		},
	}
}

// operationID names an operation from its method and path: GET /api/rooms/{id} → get_api_rooms_id.
func operationID(method, path string) string {
	r := strings.NewReplacer("/", "_", "{", "", "}", "", ".", "_", "-", "_")
	id := strings.ToLower(method) + r.Replace(path)
	if path == "/" {
		id = strings.ToLower(method) + "_root"
	}
	return id
}

// openAPIHandler serves the document, rendered once.
func (s *server) openAPIHandler() gin.HandlerFunc {
	body, err := json.MarshalIndent(openAPIDocument(s.cfg.Version), "", "  ")
	return func(c *gin.Context) {
		if err != nil {
			fail(c, s.log, err)
			return
		}
		c.Header("Cache-Control", "no-cache")
		c.Data(http.StatusOK, "application/json; charset=utf-8", body)
	}
}
