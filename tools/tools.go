//go:build tools

// Package tools pins the Pulumi engine we build from the Go module proxy
// (the "tools as dependencies" pattern): `go build` of the imported main
// packages gives the exact CLI that go.mod/go.sum pin.
package tools

import (
	_ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
)
