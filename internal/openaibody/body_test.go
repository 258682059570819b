package openaibody

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
)

// readAll reads a body's model, then the whole body through Reader.
func readAll(t *testing.T, body, contentType string, limit int64) (string, string, error) {
	t.Helper()
	b, err := Read(iotest.OneByteReader(strings.NewReader(body)), contentType, limit, -1)
	if err != nil {
		return "", "", err
	}
	all, err := io.ReadAll(b.Reader())
	return b.Model, string(all), err
}

func TestReadJSON(t *testing.T) {
	big := strings.Repeat("x", 100<<10)
	for _, tc := range []struct {
		name, body string
		model      string
		err        error
	}{
		{name: "model first", body: `{"model":"llama","messages":[{"role":"user","content":"hi"}]}`, model: "llama"},
		{name: "model last, after a large message", body: `{"messages":[{"content":"` + big + `"}],"model":"llama"}`, model: "llama"},
		{name: "whitespace everywhere", body: " \n{ \"model\" \t: \r\n \"m\" , \"n\" : [ 1 , 2.5e-3 , -0 , true , false , null ] }\n", model: "m"},
		{name: "escapes in the value", body: `{"model":"a\"b\\c\/d\u00e9\ud83e\udd99"}`, model: "a\"b\\c/dé🦙"},
		{name: "an escaped key", body: `{"\u006dodel":"x"}`, model: "x"},
		{name: "a nested model does not count", body: `{"messages":[{"model":"nested"}],"model":"top"}`, model: "top"},
		{name: "nested model only", body: `{"messages":[{"model":"nested"}]}`, err: ErrNoModel},
		{name: "Model is another key", body: `{"Model":"x"}`, err: ErrNoModel},
		{name: "model not a string", body: `{"model":42}`, err: ErrNoModel},
		{name: "model null", body: `{"model":null}`, err: ErrNoModel},
		{name: "twice", body: `{"model":"a","model":"b"}`, err: ErrDuplicateModel},
		{name: "twice, once escaped", body: `{"model":"a","x":1,"\u006dodel":"b"}`, err: ErrDuplicateModel},
		{name: "not JSON", body: `model=llama`, err: ErrNotJSON},
		{name: "an array", body: `[{"model":"x"}]`, err: ErrNotJSON},
		{name: "a string", body: `"model"`, err: ErrNotJSON},
		{name: "empty", body: ``, err: ErrNotJSON},
		{name: "truncated before the model", body: `{"messages":[`, err: ErrNotJSON},
		{name: "truncated after the model", body: `{"model":"x","messages":[`, err: ErrNotJSON},
		{name: "garbage after the object", body: `{"model":"x"} {}`, err: ErrNotJSON},
		{name: "a trailing comma", body: `{"model":"x",}`, err: ErrNotJSON},
		{name: "a control character in a string", body: "{\"model\":\"x\ny\"}", err: ErrNotJSON},
		{name: "a bad escape", body: `{"model":"\q"}`, err: ErrNotJSON},
		{name: "a leading zero", body: `{"n":01,"model":"x"}`, err: ErrNotJSON},
		{name: "a byte order mark", body: "\ufeff{\"model\":\"x\"}", err: ErrNotJSON},
	} {
		t.Run(tc.name, func(t *testing.T) {
			model, all, err := readAll(t, tc.body, "application/json", 1<<30)
			if !errors.Is(err, tc.err) {
				t.Fatalf("error %v; want %v", err, tc.err)
			}
			if tc.err != nil {
				return
			}
			if model != tc.model {
				t.Errorf("model %q; want %q", model, tc.model)
			}
			if all != tc.body {
				t.Errorf("the body read through changed")
			}
		})
	}
}

// A body whose model comes first is not read past the chunk that holds
// it; one whose model comes last is held up to it.
func TestReadHoldsOnlyThePrefix(t *testing.T) {
	rest := strings.Repeat(`{"role":"user","content":"hello"},`, 1<<16) + `{}]}`
	b, err := Read(strings.NewReader(`{"model":"first","messages":[`+rest), "application/json", 1<<30, -1)
	if err != nil {
		t.Fatal(err)
	}
	if b.Held() > chunk {
		t.Errorf("held %d bytes of a body whose model comes first; want at most one chunk (%d)", b.Held(), chunk)
	}
	last := `{"messages":[` + rest[:len(rest)-1] + `,"model":"last"}`
	b, err = Read(strings.NewReader(last), "application/json", 1<<30, -1)
	if err != nil {
		t.Fatal(err)
	}
	if b.Held() > len(last) || b.Held() < len(last)-chunk {
		t.Errorf("held %d bytes of %d", b.Held(), len(last))
	}
}

func TestReadLimit(t *testing.T) {
	body := `{"model":"x","messages":"` + strings.Repeat("y", 1000) + `"}`
	if _, err := Read(strings.NewReader(`{"messages":"`+strings.Repeat("y", 1000)+`","model":"x"}`), "application/json", 100, -1); !errors.Is(err, ErrTooLarge) {
		t.Errorf("model past the limit: %v; want ErrTooLarge", err)
	}
	b, err := Read(strings.NewReader(body), "application/json", 100, -1)
	if err != nil {
		t.Fatalf("model within the limit: %v", err)
	}
	if _, err := io.ReadAll(b.Reader()); !errors.Is(err, ErrTooLarge) {
		t.Errorf("the rest past the limit: %v; want ErrTooLarge", err)
	}
	b, err = Read(strings.NewReader(body), "application/json", int64(len(body)), int64(len(body)))
	if err != nil {
		t.Fatal(err)
	}
	if all, err := io.ReadAll(b.Reader()); err != nil || string(all) != body {
		t.Errorf("a body of exactly the limit: %v", err)
	}
}

// The rest of the body is checked as it streams: a duplicate model or bad
// JSON after the model fails the read.
func TestRestIsChecked(t *testing.T) {
	for _, tc := range []struct {
		body string
		err  error
	}{
		{`{"model":"a","messages":[],"model":"b"}`, ErrDuplicateModel},
		{`{"model":"a","messages":[}`, ErrNotJSON},
		{`{"model":"a"`, ErrNotJSON},
	} {
		b, err := Read(strings.NewReader(tc.body), "application/json", 1<<20, -1)
		if err != nil {
			if !errors.Is(err, tc.err) {
				t.Errorf("%s: %v; want %v", tc.body, err, tc.err)
			}
			continue
		}
		if _, err := io.ReadAll(b.Reader()); !errors.Is(err, tc.err) {
			t.Errorf("%s: reading the rest: %v; want %v", tc.body, err, tc.err)
		}
	}
}

func TestRewritten(t *testing.T) {
	body := `{"stream":true, "model" : "support-assistant" ,"messages":[{"model":"keep"}]}`
	b, err := Read(iotest.HalfReader(strings.NewReader(body)), "application/json", 1<<20, -1)
	if err != nil {
		t.Fatal(err)
	}
	r, delta := b.Rewritten(`lora "v2" <&>`)
	got, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"stream":true, "model" : "lora \"v2\" <&>" ,"messages":[{"model":"keep"}]}`
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("rewritten (-want +got):\n%s", diff)
	}
	if delta != len(want)-len(body) {
		t.Errorf("delta %d; want %d", delta, len(want)-len(body))
	}
}

// multipartBody is a transcription request: a file part, then the model
// field, then another field; or the model first.
func multipartBody(t *testing.T, modelFirst bool, file []byte) (string, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	writeModel := func() {
		if err := w.WriteField("model", "whisper-large"); err != nil {
			t.Fatal(err)
		}
	}
	if modelFirst {
		writeModel()
	}
	fw, err := w.CreateFormFile("file", "audio.wav")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fw.Write(file); err != nil {
		t.Fatal(err)
	}
	if !modelFirst {
		writeModel()
	}
	if err := w.WriteField("language", "en"); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.String(), w.FormDataContentType()
}

func TestReadMultipart(t *testing.T) {
	file := bytes.Repeat([]byte("RIFF\x00\x01wave"), 20000)
	for _, modelFirst := range []bool{true, false} {
		t.Run(fmt.Sprintf("model first: %v", modelFirst), func(t *testing.T) {
			body, contentType := multipartBody(t, modelFirst, file)
			b, err := Read(iotest.HalfReader(strings.NewReader(body)), contentType, 1<<30, -1)
			if err != nil {
				t.Fatal(err)
			}
			if b.Model != "whisper-large" {
				t.Errorf("model %q", b.Model)
			}
			if modelFirst && b.Held() > 8<<10 {
				t.Errorf("held %d bytes though the model comes first", b.Held())
			}
			r, _ := b.Rewritten("whisper-lora")
			got, err := io.ReadAll(r)
			if err != nil {
				t.Fatal(err)
			}
			if want := strings.Replace(body, "\r\n\r\nwhisper-large\r\n", "\r\n\r\nwhisper-lora\r\n", 1); string(got) != want {
				t.Errorf("the rewritten body differs from the original but for the field")
			}
			form, err := multipart.NewReader(bytes.NewReader(got), strings.TrimPrefix(contentType, "multipart/form-data; boundary=")).ReadForm(1 << 20)
			if err != nil {
				t.Fatal(err)
			}
			if v := form.Value["model"]; len(v) != 1 || v[0] != "whisper-lora" {
				t.Errorf("the rewritten form's model: %v", v)
			}
		})
	}
	if _, err := Read(strings.NewReader("--x\r\n\r\n"), "multipart/form-data; boundary=x", 1<<20, -1); !errors.Is(err, ErrNotJSON) {
		t.Errorf("a broken multipart body: %v; want a 400", err)
	}
	body, contentType := multipartBody(t, false, file)
	if _, err := Read(strings.NewReader(strings.Replace(body, `name="model"`, `name="other"`, 1)), contentType, 1<<30, -1); !errors.Is(err, ErrNoModel) {
		t.Errorf("no model field: %v; want ErrNoModel", err)
	}
	if _, err := Read(strings.NewReader(body), contentType, 1000, -1); !errors.Is(err, ErrTooLarge) {
		t.Errorf("a model after a large file, over the limit: %v; want ErrTooLarge", err)
	}
}

// FuzzReadJSON holds the streaming reader to encoding/json: for any body,
// read in pieces of any size, it finds the model encoding/json decodes (a
// duplicate model key it refuses instead, as documented), refuses what
// encoding/json refuses, passes the body through unchanged, and a rewrite
// changes the model and nothing else. A crasher it finds lands in
// testdata/fuzz/FuzzReadJSON.
func FuzzReadJSON(f *testing.F) {
	for _, seed := range []string{
		`{"model":"llama","messages":[{"role":"user","content":"hi"}]}`,
		`{"messages":[{"model":"nested"}],"model":"top"}`,
		`{"model":"a\"b\\c\u00e9\ud83e\udd99\ud800"}`,
		`{"\u006dodel":"x","model":"y"}`,
		`{"model":"x"`, `{"model":1}`, `[{"model":"x"}]`, `{"a":[1,2.5e+3,-0.1E-2,true,false,null,{}],"model":""}`,
		"{\"model\":\"\xff\xfe\"}", `{"model":"x"} `, `{"n":-01}`,
	} {
		f.Add([]byte(seed), uint8(1), "lora")
	}
	f.Fuzz(func(t *testing.T, body []byte, piece uint8, rewrite string) {
		var decoded map[string]json.RawMessage
		jsonErr := json.Unmarshal(body, &decoded)
		var wantModel string
		hasModel := jsonErr == nil && json.Unmarshal(decoded["model"], &wantModel) == nil && decoded["model"] != nil
		if hasModel && string(decoded["model"]) == "null" {
			hasModel = false
		}
		// Half the runs give the length (a buffer of the body's size), half
		// not (chunks).
		length := int64(-1)
		if piece&0x80 != 0 {
			length = int64(len(body))
		}
		read := func() (*Body, error) {
			return Read(&pieces{data: body, size: int(piece%64) + 1}, "application/json", 1<<30, length)
		}
		b, err := read()
		var all []byte
		if err == nil {
			all, err = io.ReadAll(b.Reader())
		}
		switch {
		case errors.Is(err, ErrDuplicateModel):
			// Refused either way, or a body encoding/json takes with a
			// model given twice.
			if jsonErr == nil && topLevelModelKeys(t, body) < 2 {
				t.Fatal("refused as a duplicate model, though it names its model once")
			}
			return
		case jsonErr != nil:
			if err == nil || (!errors.Is(err, ErrNotJSON) && !errors.Is(err, ErrNoModel)) {
				t.Fatalf("encoding/json refuses it (%v); the reader says %v", jsonErr, err)
			}
			return
		case !hasModel:
			if !errors.Is(err, ErrNoModel) && !errors.Is(err, ErrNotJSON) {
				t.Fatalf("no string model; the reader says %v", err)
			}
			return
		case err != nil:
			t.Fatalf("encoding/json finds the model %q; the reader fails: %v", wantModel, err)
		}
		if b.Model != wantModel {
			t.Fatalf("model %q; encoding/json decodes %q", b.Model, wantModel)
		}
		if !bytes.Equal(all, body) {
			t.Fatal("the body read through differs from the body")
		}
		if b, err = read(); err != nil {
			t.Fatal(err)
		}
		r, delta := b.Rewritten(rewrite)
		rewritten, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		if len(rewritten) != len(body)+delta {
			t.Fatalf("delta %d, but the length changed by %d", delta, len(rewritten)-len(body))
		}
		var after map[string]json.RawMessage
		if err := json.Unmarshal(rewritten, &after); err != nil {
			t.Fatalf("the rewritten body is not JSON: %v", err)
		}
		// encoding/json's idea of the string (invalid UTF-8 replaced).
		var gotModel, wantRewrite string
		marshalled, _ := json.Marshal(rewrite)
		_ = json.Unmarshal(marshalled, &wantRewrite)
		if err := json.Unmarshal(after["model"], &gotModel); err != nil || gotModel != wantRewrite {
			t.Fatalf("the rewritten model is %q (%v); want %q", gotModel, err, wantRewrite)
		}
		if !bytes.Equal(rewritten[:b.Start], body[:b.Start]) || !bytes.Equal(rewritten[len(rewritten)-(len(body)-b.End):], body[b.End:]) {
			t.Fatal("the rewrite changed bytes outside the model's value")
		}
	})
}

// topLevelModelKeys counts the keys of a valid JSON object that decode to
// "model".
func topLevelModelKeys(t *testing.T, body []byte) int {
	dec := json.NewDecoder(bytes.NewReader(body))
	depth, n := 0, 0
	expectKey := false
	for {
		tok, err := dec.Token()
		if err != nil {
			return n
		}
		switch tok := tok.(type) {
		case json.Delim:
			if tok == '{' || tok == '[' {
				depth++
				expectKey = tok == '{' && depth == 1
				continue
			}
			depth--
		case string:
			if depth == 1 && expectKey && tok == "model" {
				n++
			}
		}
		// A value of the top-level object follows each of its keys.
		if depth == 1 {
			expectKey = !expectKey
		}
	}
}

// pieces reads data size bytes at a time.
type pieces struct {
	data []byte
	size int
}

func (p *pieces) Read(b []byte) (int, error) {
	if len(p.data) == 0 {
		return 0, io.EOF
	}
	n := copy(b[:min(len(b), p.size)], p.data)
	p.data = p.data[n:]
	return n, nil
}

// plainPrefix stops at the first quote, backslash or control character,
// wherever it is in a word of eight, and runs to the end without one.
func TestPlainPrefix(t *testing.T) {
	for _, special := range []byte{'"', '\\', 0x00, 0x1f, '\n'} {
		for at := range 20 {
			p := []byte(strings.Repeat("aé", 10)) // 30 bytes, some above 0x7f
			p[at] = special
			want := at
			for i := range at {
				if !plainStringByte[p[i]] {
					want = i
					break
				}
			}
			if got := plainPrefix(p); got != want {
				t.Errorf("%q at %d in %q: %d, want %d", special, at, p, got, want)
			}
		}
	}
	if p := []byte(strings.Repeat("plain ünïcode text ", 9)); plainPrefix(p) != len(p) {
		t.Errorf("stopped at %d of a plain %d bytes", plainPrefix(p), len(p))
	}
}
