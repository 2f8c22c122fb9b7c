// podmortem lab: a JVM that starts daemon threads until the JVM cannot create one more
// ("java.lang.OutOfMemoryError: unable to create native thread", JDK 9+ wording), then dies
// from the uncaught error in main (exit status 1). With an argument N it holds N threads and stays up.
public class Threads {
    public static void main(String[] args) throws Exception {
        int hold = args.length > 0 ? Integer.parseInt(args[0]) : -1;
        int n = 0;
        while (hold < 0 || n < hold) {
            Thread t = new Thread(() -> {
                try { Thread.sleep(Long.MAX_VALUE); } catch (InterruptedException e) { }
            });
            t.setDaemon(true);
            t.start();
            n++;
        }
        System.out.println("Threads: holding " + n + " threads");
        Thread.sleep(Long.MAX_VALUE);
    }
}
