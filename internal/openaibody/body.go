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
	// held is every byte read so far, in the buffers it was read into
	// (kept, not copied into one: a long prefix costs its size once).
	held [][]byte
	// The model's value is the bytes Start to End of the body: a JSON
	// string token (quotes included) or a form field's content.
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
// ErrNotJSON or ErrDuplicateModel as soon as it shows either. length is
// the body's length when known (a request's Content-Length), else -1: a
// short body is read into a buffer of its size rather than a chunk.
func Read(r io.Reader, contentType string, limit, length int64) (*Body, error) {
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err == nil && mediaType == "multipart/form-data" {
		if params["boundary"] == "" {
			return nil, fmt.Errorf("%w: a multipart body without a boundary", ErrNotJSON)
		}
		return readMultipart(r, params["boundary"], limit)
	}
	// Any other type is read as JSON, as model servers do: `curl -d` sends
	// JSON as application/x-www-form-urlencoded unless told otherwise.
	first := int64(chunk)
	if length >= 0 && length < first {
		// One byte more, to read the end without another buffer.
		first = length + 1
	}
	return readJSON(r, limit, int(first))
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

func readJSON(r io.Reader, limit int64, first int) (*Body, error) {
	in := &limited{r: r, n: limit}
	s := &scanner{}
	var held [][]byte
	buf := make([]byte, 0, first)
	for !s.found {
		if len(buf) == cap(buf) {
			held, buf = append(held, buf), make([]byte, 0, chunk)
		}
		n, err := in.Read(buf[len(buf):cap(buf)])
		if n > 0 {
			fresh := buf[len(buf) : len(buf)+n]
			buf = buf[:len(buf)+n]
			if ferr := s.feed(fresh); ferr != nil {
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
		held: append(held, buf), Start: int(s.modelStart), End: int(s.modelEnd), Model: name, json: true,
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

// Held is how many bytes of the body were read to find the model: what
// the Body holds.
func (b *Body) Held() int {
	n := 0
	for _, h := range b.held {
		n += len(h)
	}
	return n
}

// span reads the held bytes from to to.
func (b *Body) span(from, to int) []io.Reader {
	var out []io.Reader
	at := 0
	for _, h := range b.held {
		lo, hi := max(from-at, 0), min(to-at, len(h))
		if lo < hi {
			out = append(out, bytes.NewReader(h[lo:hi]))
		}
		at += len(h)
	}
	return out
}

// Reader is the whole body, as read.
func (b *Body) Reader() io.Reader {
	return io.MultiReader(append(b.span(0, b.Held()), b.rest)...)
}

// Rewritten is the whole body with model in place of its model: the bytes
// of the old value are replaced, nothing else is touched. delta is how
// much longer it is than the original.
func (b *Body) Rewritten(model string) (body io.Reader, delta int) {
	value := []byte(model)
	if b.json {
		value = quote(model)
	}
	parts := append(b.span(0, b.Start), bytes.NewReader(value))
	parts = append(append(parts, b.span(b.End, b.Held())...), b.rest)
	return io.MultiReader(parts...), len(value) - (b.End - b.Start)
}
