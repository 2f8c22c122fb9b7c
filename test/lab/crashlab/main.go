// crashlab: the lab's one program. Each mode really reaches a limit (or holds part of one) and fails
// the way real programs do, so podmortem reads genuine output and genuine counters.
//
//	crashlab threads      one locked OS thread per goroutine until clone fails: the runtime throws newosproc (exit 2)
//	crashlab hold N       hold N OS threads and stay up
//	crashlab memory [M]   touch memory 1 MiB at a time (M MiB then exit 0, or until killed)
//	crashlab files [N]    open /dev/null: N times and stay up, or until refused (exit 1)
//	crashlab inotify [N]  create inotify instances: N and stay up, or until refused (exit 1)
//
// When files or inotify is refused, it prints the error as Go programs do, then "crashlab: refused
// after K <things>" on stdout, and keeps everything open until its stdin is closed, so a caller can
// read its /proc while it holds them. In a container stdin is /dev/null, so it exits at once.
package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"syscall"
	"time"
)

// sleepForever parks main without tripping the runtime's deadlock detector (select {} with no other goroutine would).
func sleepForever() {
	for {
		time.Sleep(time.Hour)
	}
}

// lockThread starts a goroutine that keeps an OS thread for itself, and returns once it runs.
func lockThread() {
	started := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		close(started)
		sleepForever()
	}()
	<-started
}

// refused reports a refusal, holds what is open until stdin closes, and exits 1.
func refused(err error, held int, what string) {
	fmt.Fprintln(os.Stderr, err)
	fmt.Printf("crashlab: refused after %d %s\n", held, what)
	io.Copy(io.Discard, os.Stdin)
	os.Exit(1)
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: crashlab threads | hold N | memory [MiB] | files [N] | inotify [N]")
		os.Exit(64)
	}
	mode := os.Args[1]
	n, bounded := -1, false
	if len(os.Args) > 2 {
		v, err := strconv.Atoi(os.Args[2])
		if err != nil || v < 0 {
			fmt.Fprintf(os.Stderr, "crashlab: %q is not a count\n", os.Args[2])
			os.Exit(64)
		}
		n, bounded = v, true
	}
	switch mode {
	case "threads":
		fmt.Println("crashlab: starting threads")
		for {
			lockThread()
		}
	case "hold":
		for i := 0; i < n; i++ {
			lockThread()
		}
		fmt.Printf("crashlab: holding %d threads\n", n)
		sleepForever()
	case "memory":
		var keep [][]byte
		for i := 0; !bounded || i < n; i++ {
			b := make([]byte, 1<<20)
			for j := range b {
				b[j] = byte(j)
			}
			keep = append(keep, b)
		}
		runtime.KeepAlive(keep)
	case "files":
		var keep []*os.File
		for !bounded || len(keep) < n {
			f, err := os.Open("/dev/null")
			if err != nil {
				refused(err, len(keep), "files")
			}
			keep = append(keep, f)
		}
		fmt.Printf("crashlab: holding %d files\n", len(keep))
		sleepForever()
	case "inotify": // as fsnotify.NewWatcher users print it (kubelet, containerd, calico)
		held := 0
		for ; !bounded || held < n; held++ {
			if _, err := syscall.InotifyInit1(0); err != nil {
				refused(fmt.Errorf("failed to create fsnotify watcher: %w", err), held, "inotify instances")
			}
		}
		fmt.Printf("crashlab: holding %d inotify instances\n", held)
		sleepForever()
	case "exit": // a plain exit status, for runtimes' records (the event stream's bursts)
		fmt.Printf("crashlab: exiting %d\n", n)
		os.Exit(n)
	default:
		fmt.Fprintf(os.Stderr, "crashlab: unknown mode %q\n", mode)
		os.Exit(64)
	}
}
