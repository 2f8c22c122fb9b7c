# dumplab's Python program: a worker thread started per job that blocks forever on its own queue,
# until the OS refuses a thread (run it under a small RLIMIT_NPROC as a non-root UID); then the
# process aborts with faulthandler enabled, which prints every thread's stack.
import faulthandler
import os
import queue
import threading
import traceback

faulthandler.enable()


def consume(q):
    q.get()


def main():
    started = 0
    try:
        while True:
            threading.Thread(target=consume, args=(queue.Queue(),), daemon=True).start()
            started += 1
    except RuntimeError:
        traceback.print_exc()
        print(f"dumplab: refused after {started} workers", flush=True)
        os.abort()


main()
