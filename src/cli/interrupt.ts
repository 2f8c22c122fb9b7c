// Ctrl-C (SIGINT) or a timeout's SIGTERM in the middle of analyze, scan, pod, collect or node: the
// API requests are cancelled, every temp file and folder is removed, one line says so, and the
// process ends by that signal (a shell shows 130, 143). The agent and the server have their own clean stop instead.
import { removeAllTemp } from '../sources/temp-files.js';

const controller = new AbortController();
/** Fires on SIGINT/SIGTERM: the API client stops its requests. */
export const interrupted: AbortSignal = controller.signal;

export function exitOnSignals(): void {
  const stop = (sig: NodeJS.Signals) => {
    controller.abort();
    removeAllTemp();
    process.stderr.write(`podmortem: interrupted by ${sig}: stopped, temporary files removed.\n`);
    // Ended by the signal itself, as POSIX asks of an interrupted program (the shell shows 130/143 and
    // a calling script stops too). Not process.exit: it waits for the thread pool, and a thread
    // blocked reading a FIFO nobody writes to would hold the process forever.
    process.removeAllListeners(sig);
    process.kill(process.pid, sig);
  };
  process.once('SIGINT', stop).once('SIGTERM', stop);
}
