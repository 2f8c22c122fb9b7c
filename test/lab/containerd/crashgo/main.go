// crashgo: the containerd lab's crashing program (a static Go binary in the lab's image).
//
//	crashgo threads    lock one OS thread per goroutine until clone fails: the runtime throws
//	                   "failed to create new OS thread" and exits 2, as calico-node did
//	crashgo memory     touch 1 MiB after 1 MiB until the memory cgroup kills the process
//	crashgo hold N     hold N threads and stay alive (the restarted twin)
//	crashgo exit N     print a line and exit N (the event-stream burst)
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"time"
)

func hold() { runtime.LockOSThread(); time.Sleep(1000 * time.Hour) }

func main() {
	mode := "threads"
	if len(os.Args) > 1 {
		mode = os.Args[1]
	}
	n := 0
	if len(os.Args) > 2 {
		n, _ = strconv.Atoi(os.Args[2])
	}
	switch mode {
	case "threads":
		fmt.Println("crashgo: starting threads")
		for {
			go hold()
			time.Sleep(2 * time.Millisecond)
		}
	case "memory":
		fmt.Println("crashgo: allocating")
		var keep [][]byte
		for {
			b := make([]byte, 1<<20)
			for i := range b {
				b[i] = 1
			}
			keep = append(keep, b)
		}
	case "hold":
		for i := 0; i < n; i++ {
			go hold()
		}
		fmt.Printf("crashgo: holding %d threads\n", n)
		for {
			time.Sleep(time.Hour)
		}
	case "exit":
		fmt.Printf("crashgo: exiting %d\n", n)
		os.Exit(n)
	default:
		fmt.Fprintf(os.Stderr, "crashgo: unknown mode %q\n", mode)
		os.Exit(64)
	}
}
