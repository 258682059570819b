// Package scale holds the controller's scale benchmark, built only with the
// bench tag so that `go test ./...` skips it: `make bench` runs
//
//	go test -tags bench -run '^TestScale$' ./test/scale/
//
// On the local control plane (etcd and kube-apiserver, see
// internal/localstack/controlplane) it runs the modelroute binary as a separate
// process over 1,000, 10,000 and 50,000 InferenceModels, compares its
// convergence with a plain client making the same writes (the floor), counts
// its API requests through a proxy, and writes docs/benchmarks.md.
//
// `make bench-foreign` runs TestForeignRoutes: the controller's memory over
// 1,000 models, without and then with 50,000 HTTPRoutes of other tools in
// the cluster, in a block of its own of docs/benchmarks.md.
package scale
