// Command etcd is the etcd server built from the pinned go.etcd.io/etcd/server/v3
// module. Its upstream main package lives in the root etcd module, which is not
// published for the 3.6 line, so this is the same one-line main.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
