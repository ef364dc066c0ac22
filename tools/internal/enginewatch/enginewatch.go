// Package enginewatch makes a plugin process (our language host, our dynamic
// provider shim) and everything it started end when the Pulumi engine that
// started it is gone, however the engine died.
//
// Pulumi's own plugins do the same through provider.Main: they health-check
// the engine's gRPC address with rpcutil.Healthcheck and stop once it no
// longer answers. They check every 5 minutes; we check every second, so no
// process of a killed run keeps talking to CloudLink for more than a moment.
// The engine starts each plugin in a process group of its own; on engine loss
// we SIGKILL that whole group (the plugin and its children), and every child
// is also started with PR_SET_PDEATHSIG, so it dies with the plugin even when
// the plugin alone is killed.
package enginewatch

import (
	"context"
	"os"
	"os/exec"
	"runtime"
	"syscall"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
)

// Interval is how often the engine is asked whether it is alive.
const Interval = time.Second

// EngineAddress is the engine's gRPC address among a plugin's arguments:
// the engine passes flags (-tracing, -root, ...) and then its address last.
func EngineAddress(args []string) string {
	var engine string
	for _, a := range args {
		if len(a) > 0 && a[0] != '-' {
			engine = a
		}
	}
	return engine
}

// Watch starts health-checking the engine at `engine`; once it stops
// answering, this process's group (or, if it leads none, this process and
// its PR_SET_PDEATHSIG children) is killed. An empty address watches nothing.
func Watch(engine string) error {
	if engine == "" {
		return nil
	}
	ctx, gone := context.WithCancel(context.Background())
	if err := rpcutil.Healthcheck(ctx, engine, Interval, gone); err != nil {
		gone()
		return err
	}
	go func() {
		<-ctx.Done()
		Die()
	}()
	return nil
}

// Die kills this plugin and everything it started, at once.
func Die() {
	if syscall.Getpgrp() == os.Getpid() {
		_ = syscall.Kill(-os.Getpid(), syscall.SIGKILL) // our group: the children, then us
	}
	os.Exit(1) // children still alive die by their parent-death signal
}

// Run runs `cmd` to completion as a child that is SIGKILLed if this process
// dies. The parent-death signal fires when the *thread* that forked the
// child exits, and Go may retire threads, so the forking goroutine is locked
// to its thread until the child has been waited for.
func Run(cmd *exec.Cmd) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	// (Go's fork also covers the race of this process dying before the prctl.)
	if err := cmd.Start(); err != nil {
		return err
	}
	return cmd.Wait()
}
