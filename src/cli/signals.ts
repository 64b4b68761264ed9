// Long-running commands (`node run`, `agent run`) stop on the first SIGINT or SIGTERM. While they
// shut down, a repeated SIGTERM is ignored (runuser and some supervisors forward one twice, and
// the default action would kill the process before it removes its socket and lock); a second
// SIGINT, a user pressing Ctrl-C again, ends the process at once.

/** Resolves with the first SIGINT or SIGTERM; later ones are handled as said above. */
export function waitForSignal(): Promise<NodeJS.Signals> {
  return new Promise((done) => {
    const first = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', first)
      process.off('SIGTERM', first)
      process.on('SIGTERM', () => {})
      process.on('SIGINT', () => process.exit(130))
      done(signal)
    }
    process.on('SIGINT', first)
    process.on('SIGTERM', first)
  })
}
