// dumplab's hs_err program: a thread pool per "request", never shut down, until the OS refuses a
// thread; the service then dies the way one run with -XX:+CrashOnOutOfMemoryError does when it next
// runs out of heap (HotSpot writes an hs_err file listing every thread). Run it under a small
// RLIMIT_NPROC as a non-root UID, with -Xmx small and -XX:ErrorFile pointing where the test reads.
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

public class PoolsThenCrash {
  public static void main(String[] args) {
    int pools = 0;
    try {
      while (true) {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        pool.submit(() -> {});
        pool.submit(() -> {});
        pools++;
      }
    } catch (OutOfMemoryError e) {
      System.out.println("dumplab: refused after " + pools + " pools: " + e.getMessage());
      System.out.flush();
    }
    List<long[]> hold = new ArrayList<>();
    while (true) hold.add(new long[1 << 20]);
  }
}
