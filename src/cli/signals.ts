// Long-running commands (`node run`, `agent run`) stop on the first SIGINT or SIGTERM.

/** Resolves with the first SIGINT or SIGTERM, and stops listening for both. */
export function waitForSignal(): Promise<NodeJS.Signals> {
  return new Promise((done) => {
    const stop = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      done(signal)
    }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
  })
}
