package openaibody

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
)

// Errors a body can have. Each says what the client got wrong.
var (
	// ErrNotJSON: the body is not JSON, or not a JSON object.
	ErrNotJSON = errors.New("the request body is not a JSON object")
	// ErrNoModel: the body has no top-level "model" string.
	ErrNoModel = errors.New(`the request body has no "model" string`)
	// ErrDuplicateModel: the body has "model" twice at the top level.
	// JSON parsers disagree on which one counts (Go's and Python's take the
	// last, a streaming router the first), so such a body is refused.
	ErrDuplicateModel = errors.New(`the request body has "model" more than once`)
	// ErrTooLarge: the body is over the limit.
	ErrTooLarge = errors.New("the request body is too large")
)

// The scanner's states: what it expects next.
type scanState uint8

const (
	sValue        scanState = iota // a value: at the start, after ':' or ',' in an array, after '['
	sArrayFirst                    // a value or ']', after '['
	sObjectFirst                   // a key or '}', after '{'
	sObjectKey                     // a key, after ',' in an object
	sColon                         // ':' after a key
	sAfterValue                    // ',' or a closing bracket, or the end at the top level
	sString                        // inside a string
	sStringEscape                  // after '\' in a string
	sStringHex                     // in the 4 hex digits of \u
	sNumMinus                      // after '-'
	sNumZero                       // after a leading 0
	sNumInt                        // in the integer digits
	sNumDot                        // after '.'
	sNumFrac                       // in the fraction digits
	sNumE                          // after 'e' or 'E'
	sNumESign                      // after the exponent's sign
	sNumExp                        // in the exponent digits
	sLiteral                       // in true, false or null
	sEnd                           // after the top-level value: only whitespace
)

// maxKey is the longest raw key that can decode to "model": each of its
// five characters escaped as \uXXXX, and the quotes.
const maxKey = 2 + 5*6

// maxModel caps the raw "model" value kept to decode it: a model name is at
// most 256 characters of at most 4 bytes, each perhaps escaped twice over.
const maxModel = 64 << 10

// scanner checks JSON syntax one byte at a time, keeping no string, and
// finds the value of the top-level key "model": where its token starts and
// ends in the stream, and its raw bytes. It accepts exactly what
// encoding/json accepts, so that the model it finds is the one
// encoding/json would (the differential fuzz test holds it to that).
type scanner struct {
	state scanState
	// stack holds '{' and '[' of the open values.
	stack []byte
	// off is the offset in the stream of the next byte.
	off int64
	// hex counts the hex digits of a \u escape; literal is the rest of
	// true, false or null still expected.
	hex     int
	literal string
	// isKey: the string being scanned is a key; inKey: a key of the
	// top-level object, whose raw bytes key holds, up to maxKey.
	isKey, inKey bool
	key          []byte
	// nextIsModel: the value after the current ':' is the model's.
	nextIsModel bool
	// inModel: the string being scanned is the model's value.
	inModel bool
	// model holds the raw token; modelStart and modelEnd its offsets
	// (end exclusive); found says it is complete; seenModel that the key
	// was met.
	model                []byte
	modelStart, modelEnd int64
	found, seenModel     bool
	// err is the first error; the scanner stops at it.
	err error
}

// plainStringByte: a byte that continues a string without anything to
// check (not its end, an escape or a control character); one table load
// per byte in the long strings of a conversation.
var plainStringByte = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// plainPrefix is how many bytes p starts with that plainStringByte holds
// for: eight at a time while none of the eight is special, then one by
// one.
func plainPrefix(p []byte) int {
	i := 0
	for ; i+8 <= len(p); i += 8 {
		x := binary.LittleEndian.Uint64(p[i:])
		// A byte below 0x20 (x - 0x20 per byte borrows), a quote or a
		// backslash (XOR makes it 0).
		if (x-0x20*ones)&^x&highs|zeroByte(x^'"'*ones)|zeroByte(x^'\\'*ones) != 0 {
			break
		}
	}
	for i < len(p) && plainStringByte[p[i]] {
		i++
	}
	return i
}

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// zeroByte has the high bit of each byte of x that is 0 set (and perhaps
// of bytes above a zero one: plainPrefix finds the exact place).
func zeroByte(x uint64) uint64 { return (x - ones) &^ x & highs }

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// feed scans p, which continues the stream, and returns the first error.
func (s *scanner) feed(p []byte) error {
	for i := 0; i < len(p) && s.err == nil; i++ {
		// Inside a plain string, skip ahead to the next byte that matters.
		if s.state == sString && !s.inKey && !s.inModel {
			j := i + plainPrefix(p[i:])
			s.off += int64(j - i)
			if i = j; i == len(p) {
				break
			}
		}
		s.step(p[i])
		s.off++
	}
	return s.err
}

func (s *scanner) fail(format string, args ...any) {
	s.err = fmt.Errorf("%w: %s at byte %d", ErrNotJSON, fmt.Sprintf(format, args...), s.off)
}

// step scans one byte at offset s.off.
func (s *scanner) step(c byte) {
	switch s.state {
	case sString:
		s.stringByte(c)
	case sStringEscape:
		switch c {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			s.state = sString
		case 'u':
			s.state, s.hex = sStringHex, 0
		default:
			s.fail("invalid escape \\%c", c)
			return
		}
		s.keep(c)
	case sStringHex:
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			s.fail("invalid \\u escape")
			return
		}
		s.keep(c)
		if s.hex++; s.hex == 4 {
			s.state = sString
		}
	case sValue, sArrayFirst:
		if isSpace(c) {
			return
		}
		if c == ']' && s.state == sArrayFirst {
			s.close('[')
			return
		}
		s.value(c)
	case sObjectFirst, sObjectKey:
		switch {
		case isSpace(c):
		case c == '}' && s.state == sObjectFirst:
			s.close('{')
		case c == '"':
			s.state, s.isKey = sString, true
			if s.inKey = len(s.stack) == 1; s.inKey {
				s.key = append(s.key[:0], c)
			}
		default:
			s.fail("expected a key")
		}
	case sColon:
		switch {
		case isSpace(c):
		case c == ':':
			s.state = sValue
		default:
			s.fail("expected ':'")
		}
	case sAfterValue:
		switch {
		case isSpace(c):
		case c == ',' && len(s.stack) > 0:
			if s.stack[len(s.stack)-1] == '{' {
				s.state = sObjectKey
			} else {
				s.state = sValue
			}
		case c == '}' && len(s.stack) > 0:
			s.close('{')
		case c == ']' && len(s.stack) > 0:
			s.close('[')
		default:
			s.fail("unexpected %q after a value", c)
		}
	case sEnd:
		if !isSpace(c) {
			s.fail("unexpected %q after the top-level value", c)
		}
	case sLiteral:
		if s.literal == "" || c != s.literal[0] {
			s.fail("invalid literal")
			return
		}
		if s.literal = s.literal[1:]; s.literal == "" {
			s.endValue()
		}
	default:
		s.number(c)
	}
}

// stringByte scans a byte of a string's content or its closing quote.
func (s *scanner) stringByte(c byte) {
	switch {
	case c < 0x20:
		s.fail("control character in a string")
		return
	case c == '\\':
		s.state = sStringEscape
	}
	s.keep(c)
	if c != '"' {
		return
	}
	if s.isKey {
		s.state, s.isKey = sColon, false
		if !s.inKey {
			return
		}
		s.inKey = false
		if len(s.key) <= maxKey && decodesTo(s.key, "model") {
			if s.seenModel {
				s.err = ErrDuplicateModel
				return
			}
			s.seenModel, s.nextIsModel = true, true
		}
		return
	}
	if s.inModel {
		s.inModel, s.found, s.modelEnd = false, true, s.off+1
	}
	s.endValue()
}

// keep records c in the key or the model being scanned.
func (s *scanner) keep(c byte) {
	switch {
	case s.inKey && len(s.key) <= maxKey:
		s.key = append(s.key, c)
	case s.inModel:
		if len(s.model) >= maxModel {
			s.fail("a model name of over %d bytes", maxModel)
			return
		}
		s.model = append(s.model, c)
	}
}

// value starts a value with its first byte c.
func (s *scanner) value(c byte) {
	isModel := s.nextIsModel
	s.nextIsModel = false
	if len(s.stack) == 0 && c != '{' {
		// JSON, perhaps, but not an object: no field to take a model from.
		s.err = ErrNotJSON
		return
	}
	switch {
	case c == '{':
		s.stack = append(s.stack, c)
		s.state = sObjectFirst
	case c == '[':
		s.stack = append(s.stack, c)
		s.state = sArrayFirst
	case c == '"':
		s.state = sString
		if isModel {
			s.inModel, s.modelStart, s.model = true, s.off, append(s.model[:0], c)
		}
	case c == '-':
		s.state = sNumMinus
	case c == '0':
		s.state = sNumZero
	case c >= '1' && c <= '9':
		s.state = sNumInt
	case c == 't':
		s.state, s.literal = sLiteral, "rue"
	case c == 'f':
		s.state, s.literal = sLiteral, "alse"
	case c == 'n':
		s.state, s.literal = sLiteral, "ull"
	default:
		s.fail("unexpected %q where a value belongs", c)
	}
}

// number scans a byte of a number; a byte that ends it is scanned again
// as what follows.
func (s *scanner) number(c byte) {
	digit := c >= '0' && c <= '9'
	switch s.state {
	case sNumMinus:
		switch {
		case c == '0':
			s.state = sNumZero
		case digit:
			s.state = sNumInt
		default:
			s.fail("invalid number")
		}
		return
	case sNumInt:
		if digit {
			return
		}
		fallthrough
	case sNumZero:
		switch c {
		case '.':
			s.state = sNumDot
			return
		case 'e', 'E':
			s.state = sNumE
			return
		}
	case sNumDot:
		if !digit {
			s.fail("invalid number")
		}
		s.state = sNumFrac
		return
	case sNumFrac:
		if digit {
			return
		}
		if c == 'e' || c == 'E' {
			s.state = sNumE
			return
		}
	case sNumE:
		switch {
		case c == '+' || c == '-':
			s.state = sNumESign
		case digit:
			s.state = sNumExp
		default:
			s.fail("invalid number")
		}
		return
	case sNumESign:
		if !digit {
			s.fail("invalid number")
		}
		s.state = sNumExp
		return
	case sNumExp:
		if digit {
			return
		}
	}
	s.endValue()
	s.step(c)
}

// endValue ends a scalar value.
func (s *scanner) endValue() {
	if len(s.stack) == 0 {
		s.state = sEnd
		return
	}
	s.state = sAfterValue
}

// close ends the open value opened by open.
func (s *scanner) close(open byte) {
	if s.stack[len(s.stack)-1] != open {
		s.fail("mismatched brackets")
		return
	}
	s.stack = s.stack[:len(s.stack)-1]
	s.endValue()
}

// complete reports whether the stream so far is one whole JSON value.
func (s *scanner) complete() bool {
	switch s.state {
	case sEnd:
		return true
	case sNumZero, sNumInt, sNumFrac, sNumExp:
		return len(s.stack) == 0
	}
	return false
}

// decodesTo reports whether the raw JSON string token decodes to want;
// encoding/json decodes it, escapes and invalid UTF-8 alike.
func decodesTo(token []byte, want string) bool {
	var got string
	return json.Unmarshal(token, &got) == nil && got == want
}

// modelName decodes the raw model token.
func (s *scanner) modelName() (string, error) {
	var name string
	if err := json.Unmarshal(s.model, &name); err != nil {
		return "", fmt.Errorf("%w: %v", ErrNotJSON, err)
	}
	return name, nil
}
