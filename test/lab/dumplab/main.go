// dumplab: Go programs that leak the way real services do and die with a goroutine dump, so
// podmortem's dump bucketing reads genuine runtime output.
//
//	dumplab http       leak HTTP client connections (bodies never closed) until a dial fails, then panic (run it with a small ulimit -n and GOTRACEBACK=all)
//	dumplab syscalls N park goroutines in blocking read syscalls, each holding an OS thread, past debug.SetMaxThreads(N): fatal error: thread exhaustion
package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"strconv"
	"syscall"
	"time"
)

// leakHTTP opens connections to its own server and never closes the response bodies: each
// connection keeps a readLoop and a writeLoop goroutine in the client and a conn.serve in the server.
func leakHTTP() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	}))
	url := "http://" + ln.Addr().String() + "/"
	for i := 0; ; i++ {
		// A Transport per request, as code that builds a client per call does: nothing is ever reused.
		// ResponseHeaderTimeout, not Client.Timeout: a client timeout would close the leaked connections.
		client := &http.Client{Transport: &http.Transport{ResponseHeaderTimeout: 2 * time.Second}}
		resp, err := client.Get(url)
		if err != nil {
			fmt.Printf("dumplab: failed after %d connections\n", i)
			panic(err)
		}
		_ = resp // the body is never closed
	}
}

// blockingRead parks the calling goroutine in read(2) on a pipe nobody writes to: a goroutine in a
// blocking syscall holds its OS thread, so the runtime starts another thread for the others.
func blockingRead(fd int) {
	buf := make([]byte, 1)
	syscall.Read(fd, buf)
}

func holdThreads(limit int) {
	debug.SetMaxThreads(limit)
	for i := 0; ; i++ {
		var p [2]int
		if err := syscall.Pipe(p[:]); err != nil {
			panic(err)
		}
		go blockingRead(p[0])
		time.Sleep(2 * time.Millisecond)
	}
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: dumplab http | syscalls N")
		os.Exit(64)
	}
	switch os.Args[1] {
	case "http":
		leakHTTP()
	case "syscalls":
		n, _ := strconv.Atoi(os.Args[2])
		holdThreads(n)
	}
}
