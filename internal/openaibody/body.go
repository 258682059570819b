// Package openaibody reads the "model" of an OpenAI API request body as it
// streams, and rewrites it: JSON bodies (chat, completions, embeddings,
// responses…) and multipart form bodies (/v1/audio/*, whose model is a
// form field). It reads no more of a body than it needs to find the model,
// and holds no more than that: a body whose model comes first is streamed
// on at once, one whose model comes last is held up to it. What follows is
// checked as it streams, never held: a JSON body must stay valid and name
// its model once.
package openaibody

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
)

// chunk is how much of a body is read at a time.
const chunk = 32 << 10

// Body is a request body read up to its model.
type Body struct {
	// Prefix is every byte read so far; the model's value is
	// Prefix[Start:End]: a JSON string token (quotes included) or a form
	// field's content.
	Prefix     []byte
	Start, End int
	// Model is the decoded model.
	Model string
	// json: the value is a JSON string token (else a form field's bytes).
	json bool
	rest io.Reader
}

// Read reads the model of a body of contentType from r, reading at most
// limit bytes of it in all: the rest, read through Reader or Rewritten,
// fails with ErrTooLarge past the limit. A JSON body's rest also fails with
// ErrNotJSON or ErrDuplicateModel as soon as it shows either.
func Read(r io.Reader, contentType string, limit int64) (*Body, error) {
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err == nil && mediaType == "multipart/form-data" {
		if params["boundary"] == "" {
			return nil, fmt.Errorf("%w: a multipart body without a boundary", ErrNotJSON)
		}
		return readMultipart(r, params["boundary"], limit)
	}
	// Any other type is read as JSON, as model servers do: `curl -d` sends
	// JSON as application/x-www-form-urlencoded unless told otherwise.
	return readJSON(r, limit)
}

// limited fails with ErrTooLarge once the body turns out to have more than
// n bytes.
type limited struct {
	r io.Reader
	n int64
}

func (l *limited) Read(p []byte) (int, error) {
	if l.n <= 0 {
		// At the limit: fine if the body ends here.
		var one [1]byte
		n, err := io.ReadFull(l.r, one[:])
		if n > 0 {
			return 0, ErrTooLarge
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			err = io.EOF
		}
		return 0, err
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}

func readJSON(r io.Reader, limit int64) (*Body, error) {
	in := &limited{r: r, n: limit}
	s := &scanner{}
	buf := make([]byte, chunk)
	var prefix []byte
	for !s.found {
		n, err := in.Read(buf)
		if n > 0 {
			prefix = append(prefix, buf[:n]...)
			if ferr := s.feed(buf[:n]); ferr != nil {
				return nil, ferr
			}
		}
		switch {
		case s.found:
		case errors.Is(err, io.EOF):
			if !s.complete() {
				return nil, fmt.Errorf("%w: it ends too soon", ErrNotJSON)
			}
			return nil, ErrNoModel
		case err != nil:
			return nil, err
		}
	}
	name, err := s.modelName()
	if err != nil {
		return nil, err
	}
	return &Body{
		Prefix: prefix, Start: int(s.modelStart), End: int(s.modelEnd), Model: name, json: true,
		rest: &checked{r: in, s: s},
	}, nil
}

// checked scans the rest of a JSON body as it is read.
type checked struct {
	r io.Reader
	s *scanner
}

func (c *checked) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if ferr := c.s.feed(p[:n]); ferr != nil {
		return 0, ferr
	}
	if errors.Is(err, io.EOF) && !c.s.complete() {
		return n, fmt.Errorf("%w: it ends too soon", ErrNotJSON)
	}
	return n, err
}

// Reader is the whole body, as read.
func (b *Body) Reader() io.Reader {
	return io.MultiReader(bytes.NewReader(b.Prefix), b.rest)
}

// Rewritten is the whole body with model in place of its model: the bytes
// of the old value are replaced, nothing else is touched. delta is how
// much longer it is than the original.
func (b *Body) Rewritten(model string) (body io.Reader, delta int) {
	value := []byte(model)
	if b.json {
		value = quote(model)
	}
	return io.MultiReader(bytes.NewReader(b.Prefix[:b.Start]), bytes.NewReader(value),
		bytes.NewReader(b.Prefix[b.End:]), b.rest), len(value) - (b.End - b.Start)
}
