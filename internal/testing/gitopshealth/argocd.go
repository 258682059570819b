package gitopshealth

import (
	"context"
	"fmt"
	"slices"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// ArgoCDHealth is what an Argo CD health script returns.
type ArgoCDHealth struct {
	Status  string `json:"status"`
	Message string `json:"message,omitempty"`
}

// argoCDStatuses are the health codes Argo CD accepts from a script.
var argoCDStatuses = []string{"Healthy", "Progressing", "Degraded", "Suspended", "Missing", "Unknown"}

// RunArgoCDHealth runs a health script the way Argo CD does: a Lua state
// with only the package, base and table libraries open (no string, io or
// os), one second to finish, the object as the global obj (maps and lists
// as tables, numbers as Lua numbers), and a table with status and message
// as the result.
func RunArgoCDHealth(ctx context.Context, script string, obj map[string]any) (ArgoCDHealth, error) {
	l := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer l.Close()
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{{lua.LoadLibName, lua.OpenPackage}, {lua.BaseLibName, lua.OpenBase}, {lua.TabLibName, lua.OpenTable}} {
		l.Push(l.NewFunction(lib.open))
		l.Push(lua.LString(lib.name))
		l.Call(1, 0)
	}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	l.SetContext(ctx)
	l.SetGlobal("obj", toLua(l, obj))
	if err := l.DoString(script); err != nil {
		return ArgoCDHealth{}, err
	}
	table, ok := l.Get(-1).(*lua.LTable)
	if !ok {
		return ArgoCDHealth{}, fmt.Errorf("the script returned %s, not a table", l.Get(-1).Type())
	}
	var h ArgoCDHealth
	for key, dst := range map[string]*string{"status": &h.Status, "message": &h.Message} {
		switch v := table.RawGetString(key).(type) {
		case lua.LString:
			*dst = string(v)
		case *lua.LNilType:
		default:
			return ArgoCDHealth{}, fmt.Errorf("the script returned a %s %s, not a string", v.Type(), key)
		}
	}
	if !slices.Contains(argoCDStatuses, h.Status) {
		return ArgoCDHealth{}, fmt.Errorf("the script returned status %q, not one of %v", h.Status, argoCDStatuses)
	}
	return h, nil
}

// toLua converts an unstructured value as Argo CD does.
func toLua(l *lua.LState, v any) lua.LValue {
	switch v := v.(type) {
	case map[string]any:
		t := l.NewTable()
		for k, e := range v {
			t.RawSetString(k, toLua(l, e))
		}
		return t
	case []any:
		t := l.NewTable()
		for _, e := range v {
			t.Append(toLua(l, e))
		}
		return t
	case string:
		return lua.LString(v)
	case bool:
		return lua.LBool(v)
	case int64:
		return lua.LNumber(v)
	case int32:
		return lua.LNumber(v)
	case int:
		return lua.LNumber(v)
	case float64:
		return lua.LNumber(v)
	case nil:
		return lua.LNil
	default:
		panic(fmt.Sprintf("unstructured value of type %T", v))
	}
}

// ArgoCDTests is a health_test.yaml, as Argo CD lays out the test cases of
// a resource customization.
type ArgoCDTests struct {
	Tests []ArgoCDTest `json:"tests"`
}

// ArgoCDTest is one case: the object at InputPath (relative to the
// health.lua's directory) and the health the script must return.
type ArgoCDTest struct {
	HealthStatus ArgoCDHealth `json:"healthStatus"`
	InputPath    string       `json:"inputPath"`
}
