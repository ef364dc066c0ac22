// Command pulumi-resource-pulumi-python is our shim for Pulumi's Python
// dynamic provider.
//
// The engine starts it (by this name) for every stack that has dynamic
// resources, passing its own gRPC address. It runs the SDK's public entry
// point, `python -u -m pulumi.dynamic <args>`, as its child, and does what
// that provider does not: it health-checks the engine and, when the engine
// is gone (killed, crashed, its fleet killed), kills the provider at once,
// so no provider of a dead run keeps talking to CloudLink (see
// internal/enginewatch). The interpreter is chosen as Pulumi's own shell shim
// chooses it: the project's virtualenv (PULUMI_RUNTIME_VIRTUALENV, which the
// engine sets from Pulumi.yaml), else PULUMI_PYTHON_CMD, else python3.
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/cloudlink-fleet/tools/internal/enginewatch"
)

func main() {
	if err := enginewatch.Watch(enginewatch.EngineAddress(os.Args[1:])); err != nil {
		fail(err)
	}
	py, env, err := python()
	if err != nil {
		fail(err)
	}
	cmd := exec.Command(py, append([]string{"-u", "-m", "pulumi.dynamic"}, os.Args[1:]...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr, cmd.Env = os.Stdin, os.Stdout, os.Stderr, env
	err = enginewatch.Run(cmd)
	var exit *exec.ExitError
	switch {
	case err == nil:
		os.Exit(0)
	case errors.As(err, &exit):
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			os.Exit(128 + int(ws.Signal()))
		}
		os.Exit(exit.ExitCode())
	default:
		fail(err)
	}
}

// python is the interpreter and the environment to run it in (a virtualenv's
// bin first on PATH and no PYTHONHOME, as activating it would do).
func python() (string, []string, error) {
	env := os.Environ()
	if venv := os.Getenv("PULUMI_RUNTIME_VIRTUALENV"); venv != "" {
		if !filepath.IsAbs(venv) {
			wd, err := os.Getwd()
			if err != nil {
				return "", nil, err
			}
			venv = filepath.Join(wd, venv)
		}
		py := filepath.Join(venv, "bin", "python")
		if _, err := os.Stat(py); err != nil {
			return "", nil, fmt.Errorf("the project's virtualenv %s has no bin/python: run `make setup`", venv)
		}
		activated := []string{"PATH=" + filepath.Join(venv, "bin") + string(os.PathListSeparator) + os.Getenv("PATH")}
		for _, kv := range env {
			if !strings.HasPrefix(kv, "PATH=") && !strings.HasPrefix(kv, "PYTHONHOME=") {
				activated = append(activated, kv)
			}
		}
		return py, activated, nil
	}
	if cmd := os.Getenv("PULUMI_PYTHON_CMD"); cmd != "" {
		return cmd, env, nil
	}
	return "python3", env, nil
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "pulumi-resource-pulumi-python: %v\n", err)
	os.Exit(1)
}
