import fs from 'node:fs';

/** Whether a process with this pid exists (signal 0 checks without signalling). */
export function alive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** When the process started, in clock ticks since boot (field 22 of /proc/<pid>/stat); undefined where there is no /proc. */
export function startIdentity(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses; the fields after its closing parenthesis do not.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** The recorded process still runs: the pid is alive and the OS has not given it to another process since. */
export function sameProcessRunning(pid: number, recordedStart: string | undefined): boolean {
  return alive(pid) && (recordedStart === undefined || startIdentity(pid) === recordedStart);
}
