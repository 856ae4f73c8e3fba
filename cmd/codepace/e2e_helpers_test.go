package main

import (
	"fmt"
	"reflect"
	"strconv"
	"time"
)

// newScanTarget returns a pointer to a new value of the column's Go type.
func newScanTarget(t reflect.Type) any { return reflect.New(t).Interface() }

// render shows a scanned value: times in UTC as 2006-01-02 15:04:05,
// nulls as NULL, floats with three decimals.
func render(v any) string {
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return "NULL"
		}
		rv = rv.Elem()
	}
	switch x := rv.Interface().(type) {
	case time.Time:
		return x.UTC().Format("2006-01-02 15:04:05")
	case float64:
		return strconv.FormatFloat(x, 'f', 3, 64)
	default:
		return fmt.Sprint(x)
	}
}
