// crashlab: small programs that really reach a limit, for podmortem's lab.
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"syscall"
	"time"
)

func hold() { runtime.LockOSThread(); time.Sleep(1000 * time.Hour) }

// sleepForever parks main without tripping the runtime's deadlock detector (select {} with no other goroutine would).
func sleepForever() {
	for {
		time.Sleep(time.Hour)
	}
}

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
	case "threads": // one locked OS thread per goroutine until clone fails: the runtime throws newosproc
		fmt.Println("crashlab: starting threads")
		for {
			go hold()
			time.Sleep(2 * time.Millisecond)
		}
	case "hold": // hold n threads and stay alive
		for i := 0; i < n; i++ {
			go hold()
			time.Sleep(2 * time.Millisecond)
		}
		fmt.Printf("crashlab: holding %d threads\n", n)
		sleepForever()
	case "memory": // touch memory until the memcg kills us
		var keep [][]byte
		for {
			b := make([]byte, 1<<20)
			for i := range b {
				b[i] = 1
			}
			keep = append(keep, b)
		}
	case "files": // open files until EMFILE
		for i := 0; ; i++ {
			if _, err := os.Open("/"); err != nil {
				fmt.Fprintf(os.Stderr, "crashlab: open %d files: %v\n", i, err)
				os.Exit(1)
			}
		}
	case "openhold": // hold n open files and stay alive (a restarted leaker back at work)
		var keep []*os.File
		for i := 0; i < n; i++ {
			f, err := os.Open("/")
			if err != nil {
				fmt.Fprintf(os.Stderr, "crashlab: open %d files: %v\n", i, err)
				os.Exit(1)
			}
			keep = append(keep, f)
		}
		fmt.Printf("crashlab: holding %d files\n", len(keep))
		sleepForever()
	case "inotify": // hold n inotify instances; die the way fsnotify users do when one more is refused
		for i := 0; i < n; i++ {
			if _, err := syscall.InotifyInit1(0); err != nil {
				fmt.Fprintf(os.Stderr, "crashlab: failed to create fsnotify watcher: %v (after %d instances)\n", err, i)
				os.Exit(1)
			}
		}
		fmt.Printf("crashlab: holding %d inotify instances\n", n)
		sleepForever()
	}
}
