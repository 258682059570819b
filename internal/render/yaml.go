package render

import (
	"bytes"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"

	yamlv2 "go.yaml.in/yaml/v2"
)

// yamlWriter writes JSON-shaped values (maps with string keys, slices,
// strings, integers, booleans, nil) as YAML, byte for byte as
// yaml.v2.Marshal does, about ten times faster: render spent most of its
// time in yaml.v2's emitter. It lays out blocks itself and asks yaml.v2 for
// each distinct scalar once. A value it cannot lay out alone (a float, a
// string with a space or a line break, which yaml.v2 may fold depending on
// the column, a key too long to be a simple key) is left to yaml.v2 whole:
// see marshalYAML.
type yamlWriter struct {
	values, keys sync.Map // string → its rendering by yaml.v2
	orders       sync.Map // a set of keys, sorted and joined → that set in yaml.v2's order
}

// maxSimpleKey is the longest key yaml.v2 writes as "key:"; longer ones
// are complex keys ("? key").
const maxSimpleKey = 128

// marshalYAML is yaml.v2.Marshal(v).
func (w *yamlWriter) marshalYAML(v any) ([]byte, error) {
	buf := buffers.Get().(*bytes.Buffer)
	defer buffers.Put(buf)
	buf.Reset()
	if w.root(buf, v) {
		return bytes.Clone(buf.Bytes()), nil
	}
	return yamlv2.Marshal(v)
}

// buffers are reused by marshalYAML: a document is written into one
// grown to size, then copied out at its exact length.
var buffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func (w *yamlWriter) root(buf *bytes.Buffer, v any) bool {
	switch v := v.(type) {
	case map[string]any:
		if len(v) == 0 {
			buf.WriteString("{}\n")
			return true
		}
		return w.mapping(buf, v, 0, false)
	case []any:
		if len(v) == 0 {
			buf.WriteString("[]\n")
			return true
		}
		return w.sequence(buf, v, 0, false)
	}
	s, ok := w.scalar(v)
	buf.WriteString(s)
	buf.WriteByte('\n')
	return ok
}

// mapping writes m's entries, keys sorted as yaml.v2 sorts them, at
// column indent; the first one right where the buffer is when inline.
func (w *yamlWriter) mapping(buf *bytes.Buffer, m map[string]any, indent int, inline bool) bool {
	keys, ok := w.order(m)
	if !ok {
		return false
	}
	for i, k := range keys {
		if i > 0 || !inline {
			writeIndent(buf, indent)
		}
		key, ok := w.key(k)
		if !ok {
			return false
		}
		buf.WriteString(key)
		buf.WriteByte(':')
		switch v := m[k].(type) {
		case map[string]any:
			if len(v) == 0 {
				buf.WriteString(" {}\n")
				continue
			}
			buf.WriteByte('\n')
			if !w.mapping(buf, v, indent+2, false) {
				return false
			}
		case []any:
			if len(v) == 0 {
				buf.WriteString(" []\n")
				continue
			}
			buf.WriteByte('\n')
			// yaml.v2 does not indent a sequence under a key.
			if !w.sequence(buf, v, indent, false) {
				return false
			}
		default:
			s, ok := w.scalar(v)
			if !ok {
				return false
			}
			buf.WriteByte(' ')
			buf.WriteString(s)
			buf.WriteByte('\n')
		}
	}
	return true
}

// sequence writes the items of list at column indent, each after "- ";
// the first one right where the buffer is when inline.
func (w *yamlWriter) sequence(buf *bytes.Buffer, list []any, indent int, inline bool) bool {
	for i, item := range list {
		if i > 0 || !inline {
			writeIndent(buf, indent)
		}
		buf.WriteString("- ")
		switch v := item.(type) {
		case map[string]any:
			if len(v) == 0 {
				buf.WriteString("{}\n")
				continue
			}
			if !w.mapping(buf, v, indent+2, true) {
				return false
			}
		case []any:
			if len(v) == 0 {
				buf.WriteString("[]\n")
				continue
			}
			if !w.sequence(buf, v, indent+2, true) {
				return false
			}
		default:
			s, ok := w.scalar(v)
			if !ok {
				return false
			}
			buf.WriteString(s)
			buf.WriteByte('\n')
		}
	}
	return true
}

func writeIndent(buf *bytes.Buffer, n int) {
	for range n {
		buf.WriteByte(' ')
	}
}

// scalar is v as yaml.v2 writes it as a mapping value; false for what
// the writer leaves to yaml.v2.
func (w *yamlWriter) scalar(v any) (string, bool) {
	switch v := v.(type) {
	case nil:
		return "null", true
	case bool:
		return strconv.FormatBool(v), true
	case int64:
		return strconv.FormatInt(v, 10), true
	case int:
		return strconv.Itoa(v), true
	case int32:
		return strconv.FormatInt(int64(v), 10), true
	case string:
		if plainAsIs(v) {
			return v, true
		}
		if strings.ContainsAny(v, " \n") {
			return "", false
		}
		return w.rendered(&w.values, v, func() (string, string) {
			out, err := yamlv2.Marshal(map[string]string{"k": v})
			return string(out), errString(err)
		}, "k: ", "\n")
	}
	return "", false
}

// key is k as yaml.v2 writes it as a mapping key.
func (w *yamlWriter) key(k string) (string, bool) {
	if len(k) > maxSimpleKey || strings.ContainsAny(k, " \n") {
		return "", false
	}
	if plainAsIs(k) {
		return k, true
	}
	return w.rendered(&w.keys, k, func() (string, string) {
		out, err := yamlv2.Marshal(map[string]int{k: 0})
		return string(out), errString(err)
	}, "", ": 0\n")
}

// plainAsIs reports strings yaml.v2 writes as they are, without asking
// it: an ASCII letter, then letters, digits and "._/-" only. No YAML
// indicator can start them, and a plain scalar starting with a letter
// reads back as a string unless it is one of YAML 1.1's boolean and null
// words (y, yes, true, on, n, no, false, off, null, in a few spellings),
// left to yaml.v2 whatever their case.
func plainAsIs(s string) bool {
	if s == "" || !isASCIILetter(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !isASCIILetter(c) && (c < '0' || c > '9') && c != '.' && c != '_' && c != '/' && c != '-' {
			return false
		}
	}
	switch strings.ToLower(s) {
	case "y", "yes", "true", "on", "n", "no", "false", "off", "null":
		return false
	}
	return true
}

func isASCIILetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// rendered looks s up in memo, else asks marshal and keeps what lies
// between prefix and suffix of its single line.
func (w *yamlWriter) rendered(memo *sync.Map, s string, marshal func() (out, err string), prefix, suffix string) (string, bool) {
	if r, ok := memo.Load(s); ok {
		return r.(string), r.(string) != ""
	}
	out, err := marshal()
	r, ok := strings.CutPrefix(out, prefix)
	if ok {
		r, ok = strings.CutSuffix(r, suffix)
	}
	if !ok || err != "" || r == "" || strings.Contains(r, "\n") {
		r = ""
	}
	memo.Store(s, r)
	return r, r != ""
}

// order is m's keys in the order yaml.v2 writes them (its own, which puts
// runs of digits in numeric order), asked of yaml.v2 once per set of keys.
// (For a few sets of keys with runs of digits, leading zeros among them,
// yaml.v2's order is not total and depends on Go's random map order: its
// own output varies from call to call; the writer's keeps the first.)
func (w *yamlWriter) order(m map[string]any) ([]string, bool) {
	keys := slices.Collect(maps.Keys(m))
	if !slices.ContainsFunc(keys, func(k string) bool { return !plainAsIs(k) || strings.ContainsAny(k, "0123456789") }) {
		// Without digits yaml.v2's order is the runes' but that a letter
		// comes after any other rune: no need to ask.
		slices.SortFunc(keys, compareDigitFreeKeys)
		return keys, true
	}
	slices.Sort(keys)
	var quoted strings.Builder
	for _, k := range keys {
		quoted.WriteString(strconv.Quote(k))
	}
	set := quoted.String()
	if o, ok := w.orders.Load(set); ok {
		return o.([]string), o.([]string) != nil
	}
	var ordered []string
	byRendering := map[string]string{}
	probe := map[string]int{}
	for _, k := range keys {
		r, ok := w.key(k)
		if !ok {
			w.orders.Store(set, ordered)
			return nil, false
		}
		byRendering[r] = k
		probe[k] = 0
	}
	out, err := yamlv2.Marshal(probe)
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	for _, line := range lines {
		r, ok := strings.CutSuffix(line, ": 0")
		if k, found := byRendering[r]; ok && found && err == nil {
			ordered = append(ordered, k)
		}
	}
	if len(ordered) != len(keys) {
		ordered = nil
	}
	w.orders.Store(set, ordered)
	return ordered, ordered != nil
}

// compareDigitFreeKeys orders keys without digits as yaml.v2 does.
func compareDigitFreeKeys(a, b string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] == b[i] {
			continue
		}
		if al, bl := isASCIILetter(a[i]), isASCIILetter(b[i]); al != bl {
			if al {
				return 1
			}
			return -1
		}
		return int(a[i]) - int(b[i])
	}
	return len(a) - len(b)
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
