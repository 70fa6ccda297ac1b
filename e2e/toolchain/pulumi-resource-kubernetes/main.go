// The Kubernetes resource provider, serving the schema.json committed in the provider module.
// build.sh copies schema.json and terraform-mapping.json from the module cache beside this file before building;
// they are never committed here.
package main

import (
	_ "embed"
	"encoding/json"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
)

//go:embed schema.json
var schema []byte

//go:embed terraform-mapping.json
var terraformMapping []byte

func main() {
	provider.Serve("kubernetes", version.Version, withVersion(schema, version.Version), terraformMapping)
}

// withVersion adds the top-level "version" that upstream's go:generate step writes into schema-embed.json;
// schema.json has none. Splicing after the opening brace avoids parsing 7 MB of JSON at every start.
func withVersion(schema []byte, v string) []byte {
	if v == "" || len(schema) == 0 || schema[0] != '{' {
		return schema
	}
	quoted, _ := json.Marshal(v)
	out := make([]byte, 0, len(schema)+len(quoted)+12)
	out = append(out, `{"version":`...)
	out = append(out, quoted...)
	out = append(out, ',')
	return append(out, schema[1:]...)
}
