// Package http is WarpGrid's net/http for TinyGo guests: the server-side API of the standard
// package (Handler, ServeMux with Go 1.22 method/path patterns and PathValue, Request,
// ResponseWriter, Header, helpers) wired to the WarpGrid HTTP trigger instead of sockets.
//
// http.ListenAndServe (and Server.ListenAndServe) registers the handler with the trigger: the
// component exports warpgrid:shim/http-handler@0.1.0#handle, and each request the host
// delivers runs main() up to ListenAndServe once per instance, then the registered handler.
// Outgoing HTTP (Client) is refused with a clear error: guests have no general egress.
package http
