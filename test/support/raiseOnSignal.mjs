// Preloaded into a service process by a test (startService's `preload`): SIGWINCH makes the process
// throw an error nothing catches, the way a bug would.
process.on('SIGWINCH', () => {
  setImmediate(() => {
    throw new Error('an unexpected error, raised by the test');
  });
});
