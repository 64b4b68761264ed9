// CPU time of this process's threads, from Linux's per-task schedstat (nanoseconds on a CPU), so
// the benchmark can say what each part costs per event whatever else the machine is doing.
import { readFileSync, readdirSync } from 'node:fs'

export interface ThreadCpu {
  /** Microseconds the main thread has run. */
  mainUs: number
  /**
   * Microseconds every other thread has run: the store writer and signature threads, V8's GC
   * helpers, libuv's pool.
   */
  otherUs: number
}

/** Both figures since the process started; zeros where /proc has no schedstat (not Linux). */
export function readThreadCpu(): ThreadCpu {
  const cpu = { mainUs: 0, otherUs: 0 }
  let tasks: string[]
  try {
    tasks = readdirSync('/proc/self/task')
  } catch {
    return cpu
  }
  for (const task of tasks) {
    const us = readTaskNanoseconds(task) / 1000
    if (Number(task) === process.pid) cpu.mainUs += us
    else cpu.otherUs += us
  }
  return cpu
}

function readTaskNanoseconds(task: string): number {
  try {
    const [onCpu] = readFileSync(`/proc/self/task/${task}/schedstat`, 'utf8').split(' ')
    return Number(onCpu) || 0
  } catch {
    // A thread that ended between the listing and the read ran for no more than it had.
    return 0
  }
}
