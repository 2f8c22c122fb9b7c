// dumplab's JVM program: a thread pool created per "request" and never shut down, the most common
// JVM thread leak, until the OS refuses a thread (run it under a small RLIMIT_NPROC as a non-root
// UID). It prints the error as an uncaught one would be, then waits: the test takes a thread dump
// (SIGQUIT, as kill -3 does) of the process while it still holds every thread.
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

public class Leak {
  public static void main(String[] args) throws Exception {
    int pools = 0;
    try {
      while (true) {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        pool.submit(() -> {});
        pool.submit(() -> {});
        pools++;
      }
    } catch (OutOfMemoryError e) {
      e.printStackTrace();
      System.out.println("dumplab: refused after " + pools + " pools");
      System.out.flush();
    }
    Thread.sleep(60_000);
  }
}
