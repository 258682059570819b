package openaibody

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/textproto"
)

// readMultipart reads a multipart/form-data body up to the end of its
// "model" field, with mime/multipart, and finds the field's content in the
// bytes read: the parts before it (an audio file, say) are held, the ones
// after it are streamed.
func readMultipart(r io.Reader, boundary string, limit int64) (*Body, error) {
	in := &limited{r: r, n: limit}
	var prefix bytes.Buffer
	mr := multipart.NewReader(io.TeeReader(in, &prefix), boundary)
	for {
		part, err := mr.NextRawPart()
		switch {
		case errors.Is(err, io.EOF):
			return nil, ErrNoModel
		case errors.Is(err, ErrTooLarge):
			return nil, err
		case err != nil:
			return nil, fmt.Errorf("%w: %v", ErrNotJSON, err)
		}
		if part.FormName() != "model" {
			if _, err := io.Copy(io.Discard, part); err != nil {
				return nil, multipartErr(err)
			}
			continue
		}
		value, err := io.ReadAll(io.LimitReader(part, maxModel+1))
		if err != nil {
			return nil, multipartErr(err)
		}
		if len(value) > maxModel {
			return nil, fmt.Errorf("%w: a model name of over %d bytes", ErrNotJSON, maxModel)
		}
		// The parser reads ahead of the part: its content is the span
		// that the field's header block and the next delimiter enclose.
		start, end, ok := fieldSpan(prefix.Bytes(), boundary, value)
		if !ok {
			return nil, fmt.Errorf("%w: the model field is encoded", ErrNotJSON)
		}
		return &Body{held: [][]byte{prefix.Bytes()}, Start: start, End: end, Model: string(value), rest: in}, nil
	}
}

func multipartErr(err error) error {
	if errors.Is(err, ErrTooLarge) {
		return err
	}
	return fmt.Errorf("%w: %v", ErrNotJSON, err)
}

// fieldSpan finds, in data, the content of the first part whose form name
// is "model": after its header block, before the next delimiter. It must
// be value as read, byte for byte (a field with a transfer encoding is not
// spliced).
func fieldSpan(data []byte, boundary string, value []byte) (start, end int, ok bool) {
	delimiter := []byte("--" + boundary)
	for pos := 0; ; {
		i := bytes.Index(data[pos:], delimiter)
		if i < 0 {
			return 0, 0, false
		}
		headerStart := pos + i + len(delimiter)
		// The rest of the delimiter line, then the headers.
		nl := bytes.Index(data[headerStart:], []byte("\n"))
		if nl < 0 {
			return 0, 0, false
		}
		headerStart += nl + 1
		blank := bytes.Index(data[headerStart:], []byte("\r\n\r\n"))
		if blank < 0 {
			return 0, 0, false
		}
		header, err := textproto.NewReader(bufio.NewReader(bytes.NewReader(data[headerStart : headerStart+blank+4]))).ReadMIMEHeader()
		if err != nil {
			return 0, 0, false
		}
		start = headerStart + blank + 4
		next := bytes.Index(data[start:], append([]byte("\r\n"), delimiter...))
		if next < 0 {
			return 0, 0, false
		}
		end = start + next
		if formName(header) == "model" {
			return start, end, bytes.Equal(data[start:end], value)
		}
		pos = end
	}
}

// formName is the name of a form-data part's Content-Disposition.
func formName(h textproto.MIMEHeader) string {
	disposition, params, err := mime.ParseMediaType(h.Get("Content-Disposition"))
	if err != nil || disposition != "form-data" {
		return ""
	}
	return params["name"]
}

// quote is the JSON string of s, without the HTML escapes json.Marshal
// adds.
func quote(s string) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}
