// Package scale holds the controller's scale benchmark, built only with the
// bench tag so that `go test ./...` skips it: `make bench` runs
//
//	go test -tags bench -run '^TestScale$' ./test/scale/
//
// On the local control plane (etcd and kube-apiserver, see
// internal/testing/localcluster) it runs the modelroute binary as a separate
// process over 1,000, 5,000 and 10,000 InferenceModels, compares its
// convergence with a plain client making the same writes (the floor), counts
// its API requests through a proxy, and writes docs/benchmarks.md.
package scale
