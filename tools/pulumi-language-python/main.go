// Command pulumi-language-python is our minimal Python language host.
//
// Pulumi's own host lives in a Go module the module proxy here does not
// serve, so we implement the small part of the LanguageRuntime protocol the
// engine needs to run a Python program: it starts Pulumi's own
// `pulumi-language-python-exec` shim (shipped in the sdk/v3 module and copied
// next to this binary) with the virtualenv's interpreter, passing the run's
// settings as flags and the stack config as PULUMI_CONFIG, exactly as the
// official host does. Dependency installation is `make setup`'s job, so
// InstallDependencies is a no-op. Like Pulumi's own plugins it health-checks
// the engine and ends, with the program it runs, once the engine is gone
// (internal/enginewatch).
//
// RunPlugin runs a Python policy pack (`pulumi preview|up --policy-pack DIR`,
// a PulumiPolicy.yaml with `runtime: python`): the engine asks the language
// host of the pack's runtime to start it, as it does with Pulumi's official
// host; the pack's `__main__.py` (pulumi-policy's PolicyPack) serves the
// Analyzer protocol and prints its port, which we stream back to the engine.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"

	"github.com/cloudlink-fleet/tools/internal/enginewatch"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/version"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
)

// exitShownToUser is the exec shim's code for "an error was already reported".
const exitShownToUser = 32

type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
	engine string
	shim   string
}

func main() {
	engine := enginewatch.EngineAddress(os.Args[1:])
	if err := enginewatch.Watch(engine); err != nil {
		fail(err)
	}
	self, err := os.Executable()
	if err != nil {
		fail(err)
	}
	h := &host{engine: engine, shim: filepath.Join(filepath.Dir(self), "pulumi-language-python-exec")}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(s *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(s, h)
			return nil
		},
	})
	if err != nil {
		fail(err)
	}
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "pulumi-language-python: %v\n", err)
	os.Exit(1)
}

func (h *host) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version.Version}, nil
}

func (h *host) Handshake(context.Context, *pulumirpc.LanguageHandshakeRequest) (*pulumirpc.LanguageHandshakeResponse, error) {
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

// The program's plugins (only the built-in dynamic provider) are on PATH.
func (h *host) GetRequiredPlugins(context.Context, *pulumirpc.GetRequiredPluginsRequest) (*pulumirpc.GetRequiredPluginsResponse, error) {
	return &pulumirpc.GetRequiredPluginsResponse{}, nil
}

func (h *host) GetRequiredPackages(context.Context, *pulumirpc.GetRequiredPackagesRequest) (*pulumirpc.GetRequiredPackagesResponse, error) {
	return &pulumirpc.GetRequiredPackagesResponse{}, nil
}

func (h *host) InstallDependencies(*pulumirpc.InstallDependenciesRequest, grpc.ServerStreamingServer[pulumirpc.InstallDependenciesResponse]) error {
	return nil
}

func (h *host) About(context.Context, *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	py, err := exec.LookPath(python(nil))
	if err != nil {
		py = python(nil)
	}
	return &pulumirpc.AboutResponse{Executable: py}, nil
}

func (h *host) GetProgramDependencies(context.Context, *pulumirpc.GetProgramDependenciesRequest) (*pulumirpc.GetProgramDependenciesResponse, error) {
	return &pulumirpc.GetProgramDependenciesResponse{}, nil
}

func (h *host) RuntimeOptionsPrompts(context.Context, *pulumirpc.RuntimeOptionsRequest) (*pulumirpc.RuntimeOptionsResponse, error) {
	return &pulumirpc.RuntimeOptionsResponse{}, nil
}

// python picks the interpreter: PULUMI_PYTHON_CMD, else the project's
// `virtualenv` runtime option, else python3 from PATH.
func python(info *pulumirpc.ProgramInfo) string {
	if cmd := os.Getenv("PULUMI_PYTHON_CMD"); cmd != "" {
		return cmd
	}
	if info != nil && info.GetOptions() != nil {
		if v, ok := info.GetOptions().AsMap()["virtualenv"].(string); ok && v != "" {
			if !filepath.IsAbs(v) {
				v = filepath.Join(info.GetRootDirectory(), v)
			}
			return filepath.Join(v, "bin", "python")
		}
	}
	return "python3"
}

func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	info := req.GetInfo()
	program := req.GetProgram()
	if info != nil && info.GetProgramDirectory() != "" {
		program = filepath.Join(info.GetProgramDirectory(), info.GetEntryPoint())
	}
	if program == "" {
		program = "."
	}
	args := []string{"-u", h.shim}
	flag := func(k, v string) {
		if v != "" {
			args = append(args, "--"+k, v)
		}
	}
	flag("monitor", req.GetMonitorAddress())
	flag("engine", h.engine)
	flag("project", req.GetProject())
	flag("stack", req.GetStack())
	flag("pwd", req.GetPwd())
	flag("dry_run", fmt.Sprint(req.GetDryRun()))
	flag("parallel", fmt.Sprint(req.GetParallel()))
	flag("organization", req.GetOrganization())
	if info != nil {
		flag("root_directory", info.GetRootDirectory())
	}
	args = append(append(args, program), req.GetArgs()...)

	config, err := json.Marshal(req.GetConfig())
	if err != nil {
		return nil, err
	}
	secretKeys, err := json.Marshal(req.GetConfigSecretKeys())
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, python(info), args...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), "PULUMI_CONFIG="+string(config), "PULUMI_CONFIG_SECRET_KEYS="+string(secretKeys))
	if err := enginewatch.Run(cmd); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			if exit.ExitCode() == exitShownToUser {
				return &pulumirpc.RunResponse{Bail: true}, nil
			}
			return &pulumirpc.RunResponse{Error: fmt.Sprintf("program exited with non-zero exit code: %d", exit.ExitCode())}, nil
		}
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("could not run the Python executor: %v", err)}, nil
	}
	return &pulumirpc.RunResponse{}, nil
}

// RunPlugin starts a plugin written in Python: the engine uses it for policy
// packs (kind "analyzer"). The program directory's __main__.py is run with the
// interpreter of the pack's `virtualenv` option (else PULUMI_PYTHON_CMD, else
// python3), in the engine's working directory, with the engine's arguments and
// environment; its output is streamed back and it dies with the request (the
// engine cancels it when the run ends) or with this host.
func (h *host) RunPlugin(req *pulumirpc.RunPluginRequest, server grpc.ServerStreamingServer[pulumirpc.RunPluginResponse]) error {
	info := req.GetInfo()
	dir := req.GetPwd()
	if info != nil && info.GetProgramDirectory() != "" {
		dir = info.GetProgramDirectory()
	}
	if dir == "" {
		return fmt.Errorf("RunPlugin: no program directory")
	}
	args := append([]string{"-u", dir}, req.GetArgs()...)
	cmd := exec.CommandContext(server.Context(), python(info), args...)
	cmd.Dir = req.GetPwd()
	if cmd.Dir == "" {
		cmd.Dir = dir
	}
	cmd.Env = append(os.Environ(), req.GetEnv()...)
	var mu sync.Mutex
	send := func(r *pulumirpc.RunPluginResponse) error {
		mu.Lock()
		defer mu.Unlock()
		return server.Send(r)
	}
	cmd.Stdout = streamWriter(func(b []byte) error {
		return send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stdout{Stdout: b}})
	})
	cmd.Stderr = streamWriter(func(b []byte) error {
		return send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stderr{Stderr: b}})
	})
	code := 0
	if err := enginewatch.Run(cmd); err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			return fmt.Errorf("could not run the Python plugin in %s: %w", dir, err)
		}
		code = exit.ExitCode()
	}
	return send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: int32(code)}})
}

// streamWriter sends each write (copied: the caller reuses its buffer) as one message.
type streamWriter func([]byte) error

func (w streamWriter) Write(p []byte) (int, error) {
	if err := w(append([]byte(nil), p...)); err != nil {
		return 0, err
	}
	return len(p), nil
}
