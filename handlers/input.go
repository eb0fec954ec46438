package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/izpochat/server/chat"
)

const maxJSONBody = 1 << 20

// bindJSON decodes a JSON object body into dst. A body without a content type, with
// text/plain, or a form content type whose body is really JSON (curl -d '{...}') is
// read as JSON too; real forms are read when allowForm is set. Anything else is a
// clear 400.
func bindJSON(c *gin.Context, dst any, allowForm bool) error {
	ct, _, _ := mime.ParseMediaType(c.GetHeader("Content-Type"))
	isForm := ct == "application/x-www-form-urlencoded" || ct == "multipart/form-data"
	switch {
	case ct == "" || ct == "application/json" || ct == "text/plain" || strings.HasSuffix(ct, "+json"):
	case isForm && ct != "multipart/form-data":
	case isForm && allowForm:
		return bindForm(c, dst)
	default:
		return chat.Invalid("Content-Type must be application/json")
	}
	raw, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, maxJSONBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return chat.TooLarge("request body is too large")
		}
		return chat.Invalid("request body could not be read")
	}
	// encoding/json would quietly turn invalid UTF-8 into U+FFFD; the contract
	// refuses it instead.
	if !utf8.Valid(raw) {
		return chat.Invalid("request body must be valid UTF-8")
	}
	if isForm && !bytes.HasPrefix(bytes.TrimSpace(raw), []byte("{")) {
		if !allowForm {
			return chat.Invalid("Content-Type must be application/json")
		}
		values, err := url.ParseQuery(string(raw))
		if err != nil {
			return chat.Invalid("request form could not be read")
		}
		return formInto(values, dst)
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		var typeErr *json.UnmarshalTypeError
		switch {
		case len(bytes.TrimSpace(raw)) == 0:
			return chat.Invalid("request body must be a JSON object")
		case errors.As(err, &typeErr):
			if typeErr.Field == "" {
				return chat.Invalid("request body must be a JSON object")
			}
			return chat.Invalid("field %q must be of type %s", typeErr.Field, jsonTypeName(typeErr.Type.String()))
		default:
			return chat.Invalid("request body is not valid JSON")
		}
	}
	return nil
}

func jsonTypeName(goType string) string {
	switch {
	case strings.Contains(goType, "int"), strings.Contains(goType, "float"), strings.Contains(goType, "FlexInt"):
		return "number"
	case strings.Contains(goType, "bool"):
		return "boolean"
	case strings.Contains(goType, "string"):
		return "string"
	default:
		return goType
	}
}

// bindForm fills dst from a multipart form body.
func bindForm(c *gin.Context, dst any) error {
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, maxJSONBody)
	if err := c.Request.ParseMultipartForm(maxJSONBody); err != nil {
		return chat.Invalid("request form could not be read")
	}
	return formInto(c.Request.PostForm, dst)
}

// formInto fills dst's fields (by json tag) from form values.
func formInto(form url.Values, dst any) error {
	values := map[string]string{}
	for k, v := range form {
		if len(v) > 0 {
			values[k] = v[0]
		}
	}
	raw, err := json.Marshal(values)
	if err != nil {
		return chat.Invalid("request form could not be read")
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return chat.Invalid("request form has fields of the wrong type")
	}
	return nil
}

// pathID reads a positive integer id from the path.
func pathID(c *gin.Context, name string) (int64, error) {
	return parseID(c.Param(name), name)
}

func parseID(raw, name string) (int64, error) {
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		return 0, chat.Invalid("%s must be a positive integer", name)
	}
	return id, nil
}

// queryInt reads an optional non-negative integer query parameter.
func queryInt(c *gin.Context, name string) (int64, error) {
	raw := c.Query(name)
	if raw == "" {
		return 0, nil
	}
	v, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || v < 0 {
		return 0, chat.Invalid("%s must be a non-negative integer", name)
	}
	return v, nil
}

// FlexInt accepts an integer given as a JSON number or a numeric string
// (both client generations send ids either way).
type FlexInt int64

func (f *FlexInt) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "null" {
		return nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return &json.UnmarshalTypeError{Value: string(b), Type: flexIntType}
	}
	*f = FlexInt(v)
	return nil
}

var flexIntType = reflect.TypeOf(int64(0))

func (f FlexInt) String() string { return fmt.Sprint(int64(f)) }
