// Package proxybench measures what the body-based router and the
// target-rewrite sidecar cost against what a user would run instead: a
// plain httputil.ReverseProxy, and no proxy at all (`make bench-proxy`,
// test files under the bench build tag). Each runs as its own process, as
// deployed: the router and the sidecar from the modelroute binary, the
// plain proxy and the upstream model server from the test binary itself;
// the load generator is the test. It writes the "make bench-proxy" block
// of docs/benchmarks.md.
package proxybench
