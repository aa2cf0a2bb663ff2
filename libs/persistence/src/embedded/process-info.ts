import { existsSync, readFileSync } from 'node:fs';

export type ProcessInfo = { kind: 'gone' } | { kind: 'unknown' } | { kind: 'running'; parentPid: number; args: string[] };

/**
 * What runs under `pid`, read from Linux's /proc. `unknown` where /proc is missing (macOS) or
 * unreadable; a zombie counts as gone.
 */
export function inspectProcess(pid: number): ProcessInfo {
  if (!existsSync('/proc/self/stat')) return { kind: 'unknown' };
  let stat: string;
  let cmdline: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? { kind: 'gone' } : { kind: 'unknown' };
  }
  const { state, parentPid } = parseStat(stat);
  if (state === 'Z' || state === 'X') return { kind: 'gone' };
  return { kind: 'running', parentPid, args: cmdline.split('\0').filter((arg) => arg !== '') };
}

/** State and parent pid from a /proc/<pid>/stat line (the command name may hold spaces and parens). */
export function parseStat(stat: string): { state: string; parentPid: number } {
  const [state, parentPid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { state, parentPid: Number(parentPid) };
}

/** Whether a signal can reach `pid` (it exists, possibly as someone else's process). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
