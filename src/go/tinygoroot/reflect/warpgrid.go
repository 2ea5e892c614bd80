// WarpGrid additions to TinyGo's reflect (a file merged into TINYGOROOT/src/reflect, which TinyGo
// takes whole from TINYGOROOT). Database drivers such as pgx reference the run-time type
// constructors in code paths for unusual destination types; TinyGo cannot build types at run
// time, so the constructors exist (programs link) and panic with a clear message if one of those
// paths is taken — the same behaviour as TinyGo's internal/reflectlite.

package reflect

// SliceOf would return the slice type with element type t; TinyGo cannot create it.
func SliceOf(t Type) Type {
	panic("reflect.SliceOf(" + t.String() + "): TinyGo cannot create types at run time (WarpGrid TinyGo guest)")
}

// ArrayOf would return the array type with length n and element type t; TinyGo cannot create it.
func ArrayOf(n int, t Type) Type {
	panic("reflect.ArrayOf(" + t.String() + "): TinyGo cannot create types at run time (WarpGrid TinyGo guest)")
}
